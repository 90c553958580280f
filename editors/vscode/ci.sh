#!/usr/bin/env bash
# Builds and packages the VS Code extension; the project's CI calls this.
set -euo pipefail
cd "$(dirname "$0")"

npm ci
npm run compile
# Not --no-dependencies: vscode-languageclient must ship inside the .vsix.
npx --yes @vscode/vsce package -o policy-check.vsix

if [[ ! -s policy-check.vsix ]]; then
  echo "ci.sh: policy-check.vsix was not produced" >&2
  exit 1
fi
echo "ci.sh: built $(pwd)/policy-check.vsix ($(wc -c < policy-check.vsix) bytes)"
