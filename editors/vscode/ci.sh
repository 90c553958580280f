#!/usr/bin/env bash
# Builds and packages the VS Code extension; the project's CI calls this.
#
# It makes two packages:
#   policy-check.vsix           for every platform, without a server: it runs
#                               the policy-lsp found on PATH or in ~/.cargo/bin
#   policy-check-TARGET.vsix    for one platform, with policy-lsp in bundled/
#
# TARGET is this machine's (linux-x64 here). To package another platform, give
# its VS Code target and a policy-lsp built for it (see README.md):
#   VSCE_TARGET=darwin-arm64 POLICY_LSP=path/to/policy-lsp ./ci.sh
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

host_target() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=win32 ;;
    *) echo "ci.sh: no VS Code target for $(uname -s); set VSCE_TARGET" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    armv7l) arch=armhf ;;
    *) echo "ci.sh: no VS Code target for $(uname -m); set VSCE_TARGET" >&2; exit 1 ;;
  esac
  echo "$os-$arch"
}

target="${VSCE_TARGET:-$(host_target)}"
exe=""
[[ "$target" == win32-* ]] && exe=".exe"

server="${POLICY_LSP:-}"
if [[ -z "$server" ]]; then
  echo "ci.sh: building policy-lsp (release) for $target"
  (cd "$root" && cargo build --release --locked -p policy-lsp)
  target_dir="${CARGO_TARGET_DIR:-target}"
  [[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
  server="$target_dir/release/policy-lsp$exe"
fi
if [[ ! -x "$server" ]]; then
  echo "ci.sh: $server is not an executable policy-lsp" >&2
  exit 1
fi

# Type-checked and bundled by the vscode:prepublish script, once per package.
npm ci --no-audit --no-fund

rm -rf bundled
npx --no-install vsce package --no-dependencies -o policy-check.vsix

mkdir -p bundled
install -m 755 "$server" "bundled/policy-lsp$exe"
# Debug symbols are most of the binary; a server built here is stripped
# (another platform's binary is taken as given).
if [[ -z "${POLICY_LSP:-}" ]] && command -v strip >/dev/null; then
  strip "bundled/policy-lsp$exe"
fi
npx --no-install vsce package --no-dependencies --target "$target" -o "policy-check-$target.vsix"
rm -rf bundled

# What a user installs: the script, and in the platform package the server.
check_package() {
  local vsix="$1"
  shift
  local listing
  listing="$(python3 -m zipfile -l "$vsix")"
  for entry in "$@"; do
    if ! grep -q "^$entry " <<<"$listing"; then
      echo "ci.sh: $vsix lacks $entry" >&2
      exit 1
    fi
  done
  if grep -q "^extension/node_modules/\|^extension/src/" <<<"$listing"; then
    echo "ci.sh: $vsix carries sources or node_modules; see .vscodeignore" >&2
    exit 1
  fi
  echo "ci.sh: built $(pwd)/$vsix ($(wc -c <"$vsix") bytes)"
}
check_package policy-check.vsix extension/dist/extension.js extension/images/icon.png
if python3 -m zipfile -l policy-check.vsix | grep -q "^extension/bundled/"; then
  echo "ci.sh: policy-check.vsix is for every platform and must bundle no server" >&2
  exit 1
fi
check_package "policy-check-$target.vsix" extension/dist/extension.js extension/images/icon.png \
  "extension/bundled/policy-lsp$exe"
