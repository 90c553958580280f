#!/usr/bin/env bash
# Fills the fuzz corpora with seeds from the repository, at run time rather
# than as committed copies: the JSON of examples/ and fixtures/ for the
# analyzer and the language server, and for the config reader the example
# configs, the configs of docs/configuration.md, and the fixtures' profiles
# wrapped as [[profiles]] tables. Existing corpus entries are kept; seeds
# are named by content, so running this twice adds nothing.
#
# The host readers take templates and modules: for cloudformation each YAML
# and JSON template, behind the byte that picks its file name; for
# terraform each module's main.tf, and after a NUL byte the template file
# it loads, if it has one.
#
# For user_rules, each selector of the repository's rule packs (tests,
# examples, benches) on a line of its own, then a policy: each selector over
# three example policies.
#
#   fuzz/seed.sh [TARGET...]     (default: every target)
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

cloudformation_seeds() {
  local tmp=$TMP/cfn f i=0
  mkdir -p "$tmp"
  while IFS= read -r f; do
    i=$((i + 1))
    case $f in
      *.json) { printf '\001'; cat "$f"; } >"$tmp/template-$i" ;;
      *.template) { printf '\002'; cat "$f"; } >"$tmp/template-$i" ;;
      *) { printf '\000'; cat "$f"; } >"$tmp/template-$i" ;;
    esac
  done < <(
    find "$ROOT/examples" "$ROOT/fixtures" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.template' \) | sort
    find "$ROOT/examples" "$ROOT/fixtures" -type f -name '*.json' -exec grep -l 'AWSTemplateFormatVersion' {} + | sort
  )
  find "$tmp" -type f | sort
}

terraform_seeds() {
  local tmp=$TMP/tf f i=0 tpl
  mkdir -p "$tmp"
  while IFS= read -r f; do
    i=$((i + 1))
    tpl=$(find "$(dirname "$f")" -type f \( -name '*.tpl' -o -name '*.tftpl' \) | sort | head -n 1)
    { cat "$f"; if [[ -n $tpl ]]; then printf '\000'; cat "$tpl"; fi; } >"$tmp/module-$i"
  done < <(find "$ROOT/examples" "$ROOT/fixtures" -type f -name '*.tf' | sort)
  find "$tmp" -type f | sort
}

user_rules_seeds() {
  local tmp=$TMP/rules
  mkdir -p "$tmp"
  python3 - "$ROOT" "$tmp" <<'PY'
import hashlib, pathlib, sys, tomllib
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
selectors = set()
for folder in ("tests/rule-packs", "examples", "benches/rule-packs"):
    for f in sorted((root / folder).rglob("*.toml")):
        try:
            rule = tomllib.loads(f.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        selectors.update(rule[k] for k in ("select", "each") if isinstance(rule.get(k), str))
policies = sorted((root / "examples").rglob("*.json"))[:3]
for selector in sorted(selectors):
    for policy in policies:
        seed = selector.encode() + b"\n" + policy.read_bytes()
        (out / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)
PY
  find "$tmp" -type f | sort
}

targets=("$@")
((${#targets[@]})) || targets=(analyze lsp_document config cloudformation terraform user_rules)
for target in "${targets[@]}"; do
  case $target in
    analyze | lsp_document) while IFS= read -r f; do add "$target" "$f"; done < <(json_seeds) ;;
    config) while IFS= read -r f; do add "$target" "$f"; done < <(config_seeds) ;;
    cloudformation) while IFS= read -r f; do add "$target" "$f"; done < <(cloudformation_seeds) ;;
    terraform) while IFS= read -r f; do add "$target" "$f"; done < <(terraform_seeds) ;;
    user_rules) while IFS= read -r f; do add "$target" "$f"; done < <(user_rules_seeds) ;;
    *) echo "seed.sh: no seeds for target $target" >&2 ;;
  esac
  echo "$target: $(find "corpus/$target" -type f | wc -l) corpus entries"
done
