#!/usr/bin/env bash
# The work of the GitHub Action (action.yml), runnable anywhere:
#
#   INPUT_PATHS="keys infra" INPUT_ARGS="--fail-on error" scripts/github-action.sh
#
# 1. Finds policy-check: $POLICY_CHECK if set, else the build cached under
#    $POLICY_CHECK_ROOT (default ~/.policy-check), else it builds one there
#    from this checkout with `cargo install --locked`.
# 2. Runs it twice over the same files: once for annotations on the pull
#    request (`--format github`, on standard output, where GitHub reads
#    workflow commands), once for code scanning (SARIF to $INPUT_SARIF_FILE).
# 3. Writes `exit-code` and `sarif-file` to $GITHUB_OUTPUT (standard output
#    when unset), and exits 0: the action fails in its last step, after the
#    SARIF is uploaded, so that the findings reach code scanning either way.
set -uo pipefail

paths=${INPUT_PATHS:-.}
args=${INPUT_ARGS:-}
sarif=${INPUT_SARIF_FILE:-policy-check.sarif}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
output=${GITHUB_OUTPUT:-/dev/stdout}

bin=${POLICY_CHECK:-}
if [ -z "$bin" ]; then
  root=${POLICY_CHECK_ROOT:-$HOME/.policy-check}
  bin=$root/bin/policy-check
  if [ ! -x "$bin" ]; then
    echo "::group::Building policy-check (cached for later runs)"
    if ! cargo install --locked --path "$source_dir" --root "$root" --bin policy-check; then
      echo "::error title=policy-check::cargo install failed; see the log above"
      echo "::endgroup::"
      echo "exit-code=2" >>"$output"
      exit 0
    fi
    echo "::endgroup::"
  fi
fi

# Paths and extra arguments are split on whitespace, as a shell would.
read -r -a path_list <<<"$paths"
read -r -a arg_list <<<"$args"

"$bin" --format github "${arg_list[@]}" "${path_list[@]}"
code=$?
# The SARIF keeps every finding, whatever the minimum severity shown above.
"$bin" --format sarif --output-file "$sarif" --quiet "${arg_list[@]}" "${path_list[@]}" >/dev/null
sarif_code=$?
if [ "$sarif_code" -ne "$code" ]; then
  echo "::warning title=policy-check::the SARIF run exited $sarif_code, the annotations run $code"
fi

{
  echo "exit-code=$code"
  echo "sarif-file=$sarif"
} >>"$output"
exit 0
