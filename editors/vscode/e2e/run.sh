#!/usr/bin/env bash
# The extension in a real editor: installs the platform package into
# code-server and drives it with headless Chromium through Playwright
# (editor.test.mjs says what is checked).
#
#   editors/vscode/e2e/run.sh [PLATFORM.vsix [UNIVERSAL.vsix]]
#
# The packages default to the two editors/vscode/ci.sh builds: the one for
# this machine, which carries the server, and the one for every platform. What it needs is installed here: Debian packages (Chromium, the
# headers code-server's native modules build against, ripgrep), code-server
# from the npm registry (kept under ~/.cache/policy-check-e2e, so a rerun
# starts at once), and playwright-core. When those cannot be installed (no
# apt-get, no network) the test is skipped and says so; any other failure
# fails it.
#
# Screenshots of each step go to target/e2e-screenshots (E2E_SCREENSHOTS).
set -euo pipefail
started=$SECONDS
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

CODE_SERVER_VERSION=4.100.3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/policy-check-e2e"
code_server_dir="$cache/code-server-$CODE_SERVER_VERSION"

log() { echo "e2e: $*"; }
skip() {
  log "SKIPPED, the real-editor test did not run: $*"
  exit 0
}

vsix="${1:-}"
if [[ -z "$vsix" ]]; then
  vsix="$(ls "$here"/../policy-check-linux-*.vsix 2>/dev/null | head -n 1 || true)"
fi
universal="${2:-$here/../policy-check.vsix}"
for package in "$vsix" "$universal"; do
  if [[ -z "$package" || ! -f "$package" ]]; then
    log "no package ${package:-for this platform}; build them with editors/vscode/ci.sh" >&2
    exit 1
  fi
done
vsix="$(cd "$(dirname "$vsix")" && pwd)/$(basename "$vsix")"
universal="$(cd "$(dirname "$universal")" && pwd)/$(basename "$universal")"

# --- Debian packages -------------------------------------------------------
# Chromium to drive; the rest builds code-server's native modules (and gives
# ripgrep, which code-server's search bundles, without a download).
packages=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config
  python3 make g++ fonts-dejavu-core)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || skip "apt-get is not available to install ${missing[*]}"
  log "installing ${missing[*]}"
  apt-get update -qq >/dev/null || skip "apt-get update failed (no network?)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || skip "apt-get could not install ${missing[*]}"
fi
chromium="$(command -v chromium || true)"
[[ -n "$chromium" ]] || skip "the chromium package installed no chromium binary"

# --- code-server -------------------------------------------------------------
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false
if [[ ! -f "$code_server_dir/.installed" ]]; then
  log "installing code-server $CODE_SERVER_VERSION into $code_server_dir"
  rm -rf "$code_server_dir"
  mkdir -p "$code_server_dir"
  # Scripts run later, once ripgrep's download is answered from its cache.
  (cd "$code_server_dir" && npm install --ignore-scripts --no-save "code-server@$CODE_SERVER_VERSION" >/dev/null) ||
    skip "npm could not install code-server $CODE_SERVER_VERSION (no registry?)"
  vscode_dir="$code_server_dir/node_modules/code-server/lib/vscode"
  # @vscode/ripgrep's postinstall downloads rg from GitHub, which is out of
  # reach; it takes a tarball from its cache first, so Debian's rg goes there.
  ripgrep_version="$(node -p "require('$vscode_dir/npm-shrinkwrap.json').packages['node_modules/@vscode/ripgrep'].version")"
  unpacked="$(mktemp -d)"
  (cd "$unpacked" && npm pack --silent "@vscode/ripgrep@$ripgrep_version" >/dev/null && tar xzf ./*.tgz) ||
    skip "npm could not fetch @vscode/ripgrep $ripgrep_version"
  rg_release="$(sed -n "s/^const VERSION = '\(.*\)';/\1/p" "$unpacked/package/lib/postinstall.js")"
  rm -rf "$unpacked"
  case "$(uname -m)" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64) rg_target=aarch64-unknown-linux-musl ;;
    *) skip "no ripgrep target known for $(uname -m)" ;;
  esac
  export TMPDIR="$cache/tmp"
  rg_cache="$TMPDIR/vscode-ripgrep-cache-$ripgrep_version"
  mkdir -p "$rg_cache"
  tar czf "$rg_cache/ripgrep-$rg_release-$rg_target.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  log "building code-server's native modules (ripgrep $rg_release from Debian)"
  (cd "$code_server_dir" && npm rebuild --foreground-scripts >"$cache/code-server-build.log" 2>&1) || {
    tail -n 40 "$cache/code-server-build.log" >&2
    log "code-server's install scripts failed (log: $cache/code-server-build.log)" >&2
    exit 1
  }
  unset TMPDIR
  "$code_server_dir/node_modules/.bin/code-server" --version >/dev/null
  touch "$code_server_dir/.installed"
fi
code_server="$code_server_dir/node_modules/.bin/code-server"
log "$("$code_server" --version 2>/dev/null | head -n 1)"

# --- playwright-core (no browser download: Debian's Chromium is used) ---------
(cd "$here" && npm ci --no-audit --no-fund >/dev/null) || skip "npm could not install playwright-core"

# --- the test ----------------------------------------------------------------
export E2E_VSIX="$vsix" E2E_VSIX_UNIVERSAL="$universal" E2E_CODE_SERVER="$code_server" E2E_CHROMIUM="$chromium"
export E2E_SCREENSHOTS="${E2E_SCREENSHOTS:-$root/target/e2e-screenshots}"
rm -rf "$E2E_SCREENSHOTS"
mkdir -p "$E2E_SCREENSHOTS"
log "packages $vsix $universal"
status=0
node --test --test-reporter=spec --test-concurrency=1 "$here/editor.test.mjs" || status=$?
log "screenshots in $E2E_SCREENSHOTS"
log "finished in $((SECONDS - started)) s"
exit "$status"
