#!/usr/bin/env bash
# Every check and test: Python lint, format, types and tests (library, CLI, language server);
# the extension's format, types, lint and unit tests; then end to end in a real VS Code.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# The bench and mlflow extras bring MLflow, the ray extra Ray: the tests of the MLflow
# comparison, of pulling from and pushing to an `mlflow server` and of scoring on Ray run too,
# never skip.
bash scripts/setup-python.sh dev,bench,mlflow,ray
bin="$repo/.venv/bin"

echo "== ruff"
"$bin/ruff" check .
"$bin/ruff" format --check .
echo "== mypy"
"$bin/mypy"

echo "== extension: install, check, unit tests"
(
  cd extension
  npm ci --no-fund --no-audit --loglevel=error
  npm run --silent check
  # The counts, skipped and failed tests included; on a failure, the whole report.
  unit_log="$(mktemp)"
  npm run --silent test:unit >"$unit_log" 2>&1 || { cat "$unit_log"; exit 1; }
  grep -E '^# (tests|pass|fail|cancelled|skipped|todo) ' "$unit_log"
)

echo "== pytest"
"$bin/python" -m pytest

echo "== end to end in VS Code"
bash extension/e2e/run.sh
