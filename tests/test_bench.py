"""The benchmarks run, and write only into temporary folders: never into the working directory.

They are run from the repository's root, so what lands in the working directory lands there.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BENCH = REPO / "bench"


def run_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cwd.mkdir()
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_store_bench_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    result = run_in(tmp_path / "cwd", str(BENCH / "bench_store.py"), "20")
    assert result.returncode == 0, result.stderr
    assert "N = 20 traces" in result.stdout
    assert list((tmp_path / "cwd").iterdir()) == []


def test_lsp_bench_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    result = run_in(tmp_path / "cwd", str(BENCH / "bench_lsp.py"), "20")
    assert result.returncode == 0, result.stderr
    assert "save to lens, one scorer changed" in result.stdout
    assert list((tmp_path / "cwd").iterdir()) == []


def test_scale_bench_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    result = run_in(tmp_path / "cwd", str(BENCH / "bench_scale.py"), "50")
    assert result.returncode == 0, result.stderr
    assert "server + worker" in result.stdout
    assert list((tmp_path / "cwd").iterdir()) == []


def test_mlflow_comparison_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    # Not skipped without it: scripts/test.sh installs the extra, so CI always runs this.
    if importlib.util.find_spec("mlflow") is None:
        pytest.fail("the comparison needs the bench extra: pip install -e '.[dev,bench]'")
    program = (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); import bench_lsp; "
        "assert bench_lsp.bench_mlflow(20) > 0"
    )
    result = run_in(tmp_path / "cwd", "-c", program)
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "cwd").iterdir()) == []


def test_ray_bench_leaves_the_working_directory_alone(tmp_path: Path) -> None:
    result = run_in(tmp_path / "cwd", str(BENCH / "bench_ray.py"), "200", "--repeat", "1")
    assert result.returncode == 0, result.stderr
    assert "N = 200 traces" in result.stdout
    assert re.search(r"score a stored run \(CLI\)\s+[\d.]+s\s+[\d.]+s", result.stdout)
    assert list((tmp_path / "cwd").iterdir()) == []
