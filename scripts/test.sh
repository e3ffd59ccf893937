#!/usr/bin/env bash
# Every check and test: lint, format, types, then the test suite.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup-python.sh dev
bin="$repo/.venv/bin"

echo "== ruff"
"$bin/ruff" check .
"$bin/ruff" format --check .
echo "== mypy"
"$bin/mypy"
echo "== pytest"
"$bin/python" -m pytest
