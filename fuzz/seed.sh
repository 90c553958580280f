#!/usr/bin/env bash
# Fills the fuzz corpora with seeds from the repository, at run time rather
# than as committed copies: the JSON of examples/ and fixtures/ for the
# analyzer and the language server, and for the config reader the example
# configs, the configs of docs/configuration.md, and the fixtures' profiles
# wrapped as [[profiles]] tables. Existing corpus entries are kept; seeds
# are named by content, so running this twice adds nothing.
#
#   fuzz/seed.sh [TARGET...]     (default: analyze lsp_document config)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
readonly ROOT=..
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

add() { # add TARGET FILE: copy FILE into the target's corpus under its hash
  local dir=corpus/$1
  mkdir -p "$dir"
  cp "$2" "$dir/seed-$(sha1sum "$2" | cut -c1-16)"
}

json_seeds() {
  find "$ROOT/examples" "$ROOT/fixtures" -name '*.json' -type f | sort
}

config_seeds() {
  local tmp=$TMP
  find "$ROOT/examples" -name 'policy-check.toml' -type f | sort
  # Every ```toml block of the configuration guide.
  awk -v dir="$tmp" '
    /^```toml/ { n++; inside = 1; next }
    /^```/     { inside = 0; next }
    inside     { print > (dir "/guide-" n ".toml") }
  ' "$ROOT/docs/configuration.md"
  local profile i=0
  while IFS= read -r profile; do
    i=$((i + 1))
    { printf '[[profiles]]\nfiles = ["*.json"]\n'; cat "$profile"; } >"$tmp/profile-$i.toml"
  done < <(find "$ROOT/fixtures" -name '*.profile.toml' -type f | sort)
  find "$tmp" -type f | sort
}

targets=("$@")
((${#targets[@]})) || targets=(analyze lsp_document config)
for target in "${targets[@]}"; do
  case $target in
    analyze | lsp_document) while IFS= read -r f; do add "$target" "$f"; done < <(json_seeds) ;;
    config) while IFS= read -r f; do add "$target" "$f"; done < <(config_seeds) ;;
    *) echo "seed.sh: no seeds for target $target" >&2 ;;
  esac
  echo "$target: $(find "corpus/$target" -type f | wc -l) corpus entries"
done
