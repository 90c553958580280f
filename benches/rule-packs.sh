#!/usr/bin/env bash
# What twenty user rules cost: the release binary over the 1,000 generated
# key policies of benches/whole-process.sh, with the rule packs of
# benches/rule-packs/policy-check.toml (ten rules over the policy, ten over
# the facts) and without (benches/rule-packs/no-packs.toml), side by side in
# one hyperfine run. The target: the packs add at most 30%.
#
#   benches/rule-packs.sh
#
# BENCH_CPUS pins the runs as in whole-process.sh (default: the first two CPUs);
# PROFILE=dist measures the published binaries' profile, as there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PROFILE=${PROFILE:-release}
readonly BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/policy-check"
readonly CORPUS=target/bench-corpus/1k
readonly RUNS=${BENCH_RUNS:-30}

cargo build --profile "$PROFILE" --bin policy-check
if [[ ! -f $CORPUS/MANIFEST.tsv ]]; then
  rm -rf "$CORPUS" "$CORPUS.partial"
  python3 benches/corpus/generate.py --count 1000 --out "$CORPUS.partial"
  mv "$CORPUS.partial" "$CORPUS"
fi
if [[ -z ${BENCH_CPUS+set} ]]; then
  BENCH_CPUS=$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0))[:2])))')
fi
pin=""
if [[ -n $BENCH_CPUS ]] && command -v taskset >/dev/null; then
  pin="taskset -c $BENCH_CPUS "
fi
# The packs must load without error, or the numbers measure nothing.
"$BIN" --config benches/rule-packs/policy-check.toml --list-rules | grep -c '^BENCH' | grep -qx 20
without="$pin$BIN --format json --config benches/rule-packs/no-packs.toml $CORPUS > /dev/null"
with="$pin$BIN --format json --config benches/rule-packs/policy-check.toml $CORPUS > /dev/null"
json=$(mktemp)
hyperfine --warmup 3 --runs "$RUNS" -i --export-json "$json" -n "no packs" "$without" -n "20 user rules" "$with"
python3 - "$json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base, packs = results["no packs"], results["20 user rules"]
for name, r in (("no packs", base), ("20 user rules", packs)):
    print(f"{name:>14}: mean {r['mean'] * 1e3:7.1f} ms  median {r['median'] * 1e3:7.1f} ms  min {r['min'] * 1e3:7.1f} ms")
overhead = packs["median"] / base["median"] - 1
print(f"overhead (median): {overhead * 100:+.1f}% ({'ok' if overhead <= 0.30 else 'OVER'} against +30%)")
PY
rm -f "$json"
