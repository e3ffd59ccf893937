#!/usr/bin/env bash
# Creates .venv (once) and installs scorelens into it, editable, with the given extras.
# Usage: source scripts/setup-python.sh [extras]   e.g. "dev"
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$repo/.venv/bin/python" ]; then
  python3 -m venv "$repo/.venv"
fi
"$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
spec="$repo"
[ -n "${1:-}" ] && spec="$repo[$1]"
"$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
