"""Save-to-lens latency of the language server, and the same re-score done by MLflow.

    python bench/bench_lsp.py [N ...]        (default: 1000 10000)

For each N: a workspace with N stored traces and one scorer file, a real server over stdio.
"changed" is the time from didSave of a one-scorer edit to the code lens holding the new
numbers; "unchanged" is the same for a save that changes nothing. Medians of repeated runs.
With the `bench` extra installed (it brings mlflow), it also times
`mlflow.genai.evaluate(data=mlflow.search_traces(...), scorers=[...])` on 1,000 traces
recorded by MLflow's own tracing, and prints the ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

import scorelens
from scorelens.genai import evaluate
from scorelens.genai.evaluation import generate_traces

TARGETS_S = {1000: 0.25, 10000: 1.5}
UNCHANGED_TARGET_S = 0.05
REPEATS = 7

SCORER = """from scorelens.genai.scorers import scorer


@scorer
def response_length(outputs: str) -> int:
    return len(outputs) + {offset}
"""


@scorelens.trace
def app(question: str) -> str:
    return f"A considered answer to: {question}"


def make_workspace(root: Path, n: int) -> int:
    """Store n traces; returns the mean output length."""
    scorelens.set_tracking_uri(root / ".scorelens")
    generated = generate_traces([{"inputs": {"question": f"Question {i}?"}} for i in range(n)], app)
    (root / "scorers.py").write_text(SCORER.format(offset=0))
    return int(sum(len(t.outputs) for t in generated.traces))


class Editor:
    """Just enough of an LSP client: saves files and reads lenses."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("scorelens-bench", "1")
        self.changed: asyncio.Queue[Any] = asyncio.Queue()
        self.ready: asyncio.Queue[Any] = asyncio.Queue()  # every scorelens/status
        self.refreshed = asyncio.Event()  # set at each workspace/codeLens/refresh
        client = self.client
        client.feature("scorelens/scoresChanged")(lambda params: self.changed.put_nowait(params))
        client.feature("scorelens/status")(lambda params: self.ready.put_nowait(params))
        client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(lambda _params: self.refreshed.set())
        client.feature(types.WORKSPACE_CONFIGURATION)(lambda params: [{} for _ in params.items])
        client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda _params: None)
        client.feature(types.PROGRESS)(lambda _params: None)
        client.feature(types.WINDOW_LOG_MESSAGE)(lambda _params: None)
        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda _params: None)
        self.uri = from_fs_path(str(root / "scorers.py")) or ""

    async def start(self) -> None:
        await self.launch()
        await asyncio.wait_for(self.ready.get(), 120)
        self.open()

    async def launch(self) -> None:
        """Start the server and initialize it; its statuses arrive in `ready`."""
        await self.client.start_io(sys.executable, "-m", "scorelens.lsp", cwd=str(self.root))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    workspace=types.WorkspaceClientCapabilities(
                        code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
                        configuration=True,
                    ),
                    window=types.WindowClientCapabilities(work_done_progress=True),
                ),
                root_uri=from_fs_path(str(self.root)),
            )
        )
        self.client.initialized(types.InitializedParams())

    def open(self) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri,
                    language_id="python",
                    version=1,
                    text=(self.root / "scorers.py").read_text(),
                )
            )
        )

    async def save_and_read_lens(self, text: str, expect: str) -> tuple[float, bool]:
        (self.root / "scorers.py").write_text(text)
        started = time.perf_counter()
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri)
            )
        )
        notice = await asyncio.wait_for(self.changed.get(), 120)
        while notice.running:  # a long run's figures so far: wait for its end
            notice = await asyncio.wait_for(self.changed.get(), 120)
        lenses = await self.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )
        elapsed = time.perf_counter() - started
        title = lenses[0].command.title if lenses and lenses[0].command else ""
        if expect not in title:
            raise AssertionError(f"lens {title!r} lacks {expect!r}")
        return elapsed, bool(notice.workerCalled)

    async def titles(self) -> list[str]:
        lenses = await self.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )
        return [lens.command.title for lens in lenses or [] if lens.command]

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()  # type: ignore[no-untyped-call]


async def bench(n: int) -> float:
    """Prints the figures for n traces; returns the median save-to-lens time of a change."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        total_length = make_workspace(root, n)
        editor = Editor(root)
        await editor.start()
        changed, unchanged = [], []
        try:
            for offset in range(1, REPEATS + 1):
                mean = (total_length + offset * n) / n
                elapsed, called = await editor.save_and_read_lens(
                    SCORER.format(offset=offset), f"mean {mean:,.1f}".replace(".0 ", " ")
                )
                assert called
                changed.append(elapsed)
                elapsed, called = await editor.save_and_read_lens(
                    SCORER.format(offset=offset), "mean"
                )
                assert not called
                unchanged.append(elapsed)
        finally:
            await editor.stop()
    target = TARGETS_S.get(n)
    median = statistics.median(changed)
    print(f"N = {n:,} traces")
    print(f"  save to lens, one scorer changed  {median * 1000:8.1f} ms" + _target(median, target))
    median_unchanged = statistics.median(unchanged)
    print(
        f"  save to lens, nothing changed     {median_unchanged * 1000:8.1f} ms"
        + _target(median_unchanged, UNCHANGED_TARGET_S)
    )
    return median


def _target(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"   target {target * 1000:.0f} ms: {'met' if value <= target else 'MISSED'}"


def bench_mlflow(n: int = 1000) -> float | None:
    """MLflow's own re-score of n traces it recorded itself; None without mlflow."""
    try:
        import mlflow
        from mlflow.genai.scorers import scorer as mlflow_scorer
    except ImportError:
        print("mlflow is not installed (pip install -e '.[bench]'): skipping the comparison")
        return None
    # Everything MLflow writes stays in folder: its database, the experiment's artifacts and
    # traces, and the ./mlruns that its SQL store makes in the working directory (as the
    # default artifact root) whatever the tracking URI says.
    with tempfile.TemporaryDirectory() as folder, _working_directory(folder):
        mlflow.set_tracking_uri(f"sqlite:///{os.path.join(folder, 'mlflow.db')}")
        experiment_id = mlflow.create_experiment(
            "bench", artifact_location=Path(folder, "artifacts").as_uri()
        )
        mlflow.set_experiment(experiment_id=experiment_id)

        # mlflow's decorators are untyped to mypy unless mlflow is installed.
        @mlflow.trace  # type: ignore[untyped-decorator, unused-ignore]
        def mlflow_app(question: str) -> str:
            return f"A considered answer to: {question}"

        @mlflow_scorer  # type: ignore[untyped-decorator, unused-ignore]
        def response_length(outputs: str) -> int:
            return len(outputs)

        with mlflow.start_run() as run:
            for i in range(n):
                mlflow_app(f"Question {i}?")
        flush = getattr(mlflow, "flush_trace_async_logging", None)
        if flush is not None:
            flush()  # MLflow writes traces in the background; time only the re-score
        started = time.perf_counter()
        traces = mlflow.search_traces(run_id=run.info.run_id, max_results=n)
        mlflow.genai.evaluate(data=traces, scorers=[response_length])
        elapsed = time.perf_counter() - started
        if flush is not None:
            flush()  # nothing may be left writing into folder once it is gone
        return elapsed


@contextlib.contextmanager
def _working_directory(folder: str) -> Iterator[None]:
    """The working directory is folder meanwhile (contextlib.chdir needs Python 3.11)."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000]
    save_to_lens = {n: asyncio.run(bench(n)) for n in sizes}
    if 1000 in sizes:
        mlflow_s = bench_mlflow(1000)
        if mlflow_s is not None:
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder)
                make_workspace(root, 1000)
                scorelens.set_tracking_uri(root / ".scorelens")
                started = time.perf_counter()
                evaluate(scorelens.search_traces(), scorers=[_length_scorer()])
                ours = time.perf_counter() - started
            print("N = 1,000 traces, re-scored by search_traces + genai.evaluate in one process")
            print(f"  mlflow                            {mlflow_s:8.2f} s")
            ratio = mlflow_s / ours
            print(f"  scorelens                         {ours:8.2f} s   {ratio:6.0f} x faster")
            print(
                f"  scorelens save to lens            {save_to_lens[1000]:8.2f} s"
                f"   {mlflow_s / save_to_lens[1000]:6.0f} x faster"
            )


def _length_scorer() -> Any:
    from scorelens.genai.scorers import scorer

    @scorer
    def response_length(outputs: str) -> int:
        return len(outputs)

    return response_length


if __name__ == "__main__":
    main(sys.argv[1:])
