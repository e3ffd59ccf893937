#!/usr/bin/env bash
# Creates .venv (once) and installs scorelens into it, editable, with the given extras.
# Usage: source scripts/setup-python.sh [extras]   e.g. "dev"
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$repo/.venv/bin/python" ]; then
  python3 -m venv "$repo/.venv"
fi
pip_install() {
  # Some machines' pip configuration names package folders that do not exist; pip warns about
  # each one on every run, which drowns what matters.
  "$repo/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" \
    2> >(grep -v "^WARNING: Location '" >&2)
}
pip_install --upgrade pip
spec="$repo"
[ -n "${1:-}" ] && spec="$repo[$1]"
pip_install -e "$spec"
