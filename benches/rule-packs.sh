#!/usr/bin/env bash
# What twenty user rules cost: the release binary over the 1,000 generated
# key policies of benches/whole-process.sh, with the rule packs of
# benches/rule-packs/policy-check.toml (ten rules over the policy, ten over
# the facts) and without (benches/rule-packs/no-packs.toml), side by side in
# alternating hyperfine rounds. The target: the packs add at most 30%.
#
#   benches/rule-packs.sh
#
# BENCH_CPUS pins the runs as in whole-process.sh (default: the first two CPUs);
# PROFILE=dist measures the published binaries' profile, as there;
# BENCH_RUNS (default 30) runs of each, in BENCH_ROUNDS (default 6) rounds.
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
# Runs alternate in rounds (no packs first, then packs first), so that a
# machine that slows down or speeds up during the benchmark weighs on both
# sides alike; the figures are over all rounds' runs.
readonly ROUNDS=${BENCH_ROUNDS:-6}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then
    order=("no packs" "$without" "20 user rules" "$with")
  else
    order=("20 user rules" "$with" "no packs" "$without")
  fi
  hyperfine --style basic --warmup 2 --runs "$(( (RUNS + ROUNDS - 1) / ROUNDS ))" -i \
    --export-json "$dir/$round.json" -n "${order[0]}" "${order[1]}" -n "${order[2]}" "${order[3]}" \
    > "$dir/$round.log" 2>&1
done
python3 - "$dir" <<'PY'
import glob, json, statistics, sys
runs = {"no packs": [], "20 user rules": []}
cpu = {"no packs": [], "20 user rules": []}
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    for r in json.load(open(path))["results"]:
        runs[r["command"]] += r["times"]
        # hyperfine keeps CPU time only as each round's mean.
        cpu[r["command"]].append(r["user"] + r["system"])
for name in runs:
    t, c = runs[name], cpu[name]
    print(f"{name:>14}: {len(t)} runs  median {statistics.median(t) * 1e3:6.1f} ms"
          f"  mean {statistics.mean(t) * 1e3:6.1f} ms  min {min(t) * 1e3:6.1f} ms"
          f"  CPU (user+sys) {statistics.median(c) * 1e3:6.1f} ms")
wall = statistics.median(runs["20 user rules"]) / statistics.median(runs["no packs"]) - 1
cpus = statistics.median(cpu["20 user rules"]) / statistics.median(cpu["no packs"]) - 1
print(f"overhead (median wall): {wall * 100:+.1f}% ({'ok' if wall <= 0.30 else 'OVER'} against +30%)")
print(f"overhead (CPU, median of the rounds' means): {cpus * 100:+.1f}%")
PY
