#!/usr/bin/env bash
# Save-to-lens time in the real editor: code-server with the VSIX, driven by Playwright in
# Chromium. It stores N traces, then saves a one-scorer edit S times and prints, per save, the
# time from Ctrl+S to the lens showing the new figures and what crossed the wire between the
# workbench and the extension host meanwhile; then the median and the max.
# bench/bench_lsp.py times the server alone (no editor); the difference is the editor's.
#
#   bench/editor_save_to_lens.sh [N [S]]     (default: 1000 traces, 7 saves)
#
# It is the e2e harness (extension/e2e/run.sh) with its journey skipped: it installs what that
# needs on the first run, and SCORELENS_E2E_ROOT names its tool cache as there.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCORELENS_E2E_TIMING_ONLY=1 SCORELENS_E2E_TIMING_TRACES="${1:-1000}" \
  SCORELENS_E2E_TIMING_SAMPLES="${2:-7}" exec bash "$repo/extension/e2e/run.sh"
