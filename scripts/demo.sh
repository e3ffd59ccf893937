#!/usr/bin/env bash
# The demo: record traces of the sample support app over 56 conversations, then score them with
# the example scorers. Uses OpenAI when OPENAI_API_KEY is set, else the loopback server.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup-python.sh
py="$repo/.venv/bin/python"

export SCORELENS_TRACKING_URI="$repo/.demo-store"
rm -rf "$SCORELENS_TRACKING_URI"
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"

if [ -z "${OPENAI_API_KEY:-}" ]; then
  url_file="$(mktemp)"
  "$py" fixtures/openai_server.py --port 0 >"$url_file" &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; rm -f "$url_file"' EXIT
  for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
  export OPENAI_BASE_URL="$(head -n1 "$url_file")"
  export OPENAI_API_KEY="loopback"
  echo "No OPENAI_API_KEY: using the loopback server at $OPENAI_BASE_URL"
fi

echo "== scorelens generate (runs the app once per row, recording traces)"
"$py" -m scorelens generate --dataset fixtures/datasets/support.jsonl --app fixtures.sample_app:sample_app
echo
echo "== scorelens score (re-scores the stored traces; the app is not called)"
"$py" -m scorelens score fixtures/scorers.py --rows
