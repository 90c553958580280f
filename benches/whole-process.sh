#!/usr/bin/env bash
# Whole-process benchmark: the release binary over 1,000 and 10,000 generated key policies,
# and over ../shared/corpus when it exists. See benches/corpus/README.md for the targets.
#
#   benches/whole-process.sh
#
# BENCH_CPUS=0,1 pins every run to those CPUs with taskset. By default the first two CPUs
# this process may use, because the targets are stated for 2 cores; BENCH_CPUS= turns it off.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# PROFILE=dist measures the published binaries' profile (see Cargo.toml).
readonly PROFILE=${PROFILE:-release}
readonly BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/policy-check"
readonly CORPORA=target/bench-corpus
readonly RESULTS=target/bench-results.md
readonly SHARED=../shared/corpus
readonly GNU_TIME=/usr/bin/time
declare -A TARGET_MS=([1k]=50 [10k]=400)
declare -A MEAN_MS MIN_MS RSS_KB FILES

say() { printf '\n==> %s\n' "$*"; }

# Runs as root on the project's machines; anywhere else this fails and the caller falls back.
apt_install() {
  command -v apt-get >/dev/null || return 1
  apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
  # A fresh machine may have no package lists yet.
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1
}

generate() {
  local name=$1 count=$2 dir=$CORPORA/$1
  [[ -f $dir/MANIFEST.tsv ]] && return
  say "generating $count policies into $dir"
  rm -rf "$dir" "$dir.partial"
  # Into a side directory first, so an interrupted run is not mistaken for a corpus.
  python3 benches/corpus/generate.py --count "$count" --out "$dir.partial"
  mv "$dir.partial" "$dir"
}

# Peak resident memory of one run; also the sanity check that the binary does not crash,
# since hyperfine -i below would time a crash as happily as a real run.
measure_memory() {
  local name=$1 dir=$2 report status=0
  report=$(mktemp)
  "${PIN[@]}" "$GNU_TIME" -v -o "$report" "$BIN" --format json "$dir" >/dev/null 2>&1 || status=$?
  RSS_KB[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
  rm -f "$report"
  echo "$name: peak RSS: ${RSS_KB[$name]} KB (exit status $status)"
  # 0 = clean, 1 = findings; anything else means the numbers below measure a failure.
  if ((status > 1)); then
    echo "warning: $BIN exited $status on $dir" >&2
  fi
}

# hyperfine's JSON export -> "name mean_ms min_ms" lines.
hyperfine_times() {
  python3 - "$1" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print(result["command"], f"{result['mean'] * 1e3:.1f}", f"{result['min'] * 1e3:.1f}")
PY
}

# Used only where hyperfine cannot be installed.
time_loop() {
  local name=$1 dir=$2 runs=10 start end i mean min
  local -a ns=()
  "${PIN[@]}" "$BIN" --format json "$dir" >/dev/null 2>&1 || true  # warm the page cache
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "${PIN[@]}" "$BIN" --format json "$dir" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    ns+=($((end - start)))
  done
  read -r mean min < <(printf '%s\n' "${ns[@]}" |
    awk '{ s += $1; if (NR == 1 || $1 < m) m = $1 } END { printf "%.1f %.1f\n", s / NR / 1e6, m / 1e6 }')
  MEAN_MS[$name]=$mean
  MIN_MS[$name]=$min
  echo "$name: mean ${MEAN_MS[$name]} ms, min ${MIN_MS[$name]} ms ($runs runs)"
}

say "building the $PROFILE binary"
cargo build --profile "$PROFILE" --bin policy-check

generate 1k 1000
generate 10k 10000

names=(1k 10k)
declare -A DIRS=([1k]=$CORPORA/1k [10k]=$CORPORA/10k)
if [[ -d $SHARED ]]; then
  names+=(shared)
  DIRS[shared]=$SHARED
fi
for name in "${names[@]}"; do
  FILES[$name]=$(find "${DIRS[$name]}" -type f ! -name MANIFEST.tsv | wc -l)
done

if [[ -z ${BENCH_CPUS+set} ]]; then
  BENCH_CPUS=$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0))[:2])))')
fi
PIN=()
if [[ -n $BENCH_CPUS ]] && command -v taskset >/dev/null; then
  PIN=(taskset -c "$BENCH_CPUS")
fi

say "peak memory"
if [[ ! -x $GNU_TIME ]]; then
  apt_install time || true
fi
if [[ -x $GNU_TIME ]]; then
  for name in "${names[@]}"; do
    measure_memory "$name" "${DIRS[$name]}"
  done
else
  echo "GNU time is not available; skipping peak memory" >&2
fi

say "wall time"
if ! command -v hyperfine >/dev/null; then
  apt_install hyperfine || true
fi
if command -v hyperfine >/dev/null; then
  json=$(mktemp)
  commands=()
  # hyperfine runs each command through a shell, so the pinning goes into the string.
  pin_prefix=${PIN[*]:+${PIN[*]} }
  for name in "${names[@]}"; do
    commands+=(-n "$name" "$pin_prefix$BIN --format json ${DIRS[$name]} > /dev/null")
  done
  # -i: policy-check exits 1 whenever it finds problems, and the corpus is meant to have some.
  hyperfine --warmup 3 --runs 20 -i --export-markdown "$RESULTS" --export-json "$json" \
    "${commands[@]}"
  while read -r name mean min; do
    MEAN_MS[$name]=$mean
    MIN_MS[$name]=$min
  done < <(hyperfine_times "$json")
  rm -f "$json"
else
  echo "hyperfine is not available; timing 10 runs with date instead" >&2
  {
    echo "| corpus | mean [ms] | min [ms] |"
    echo "|:---|---:|---:|"
  } >"$RESULTS"
  for name in "${names[@]}"; do
    time_loop "$name" "${DIRS[$name]}"
    echo "| $name | ${MEAN_MS[$name]} | ${MIN_MS[$name]} |" >>"$RESULTS"
  done
fi

say "summary"
echo "CPUs: ${BENCH_CPUS:-all $(nproc)}; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %7s %10s %10s %10s %12s\n' corpus files "mean ms" "min ms" target "peak RSS KB"
for name in "${names[@]}"; do
  target=${TARGET_MS[$name]:-}
  verdict=""
  if [[ -n $target && -n ${MEAN_MS[$name]:-} ]]; then
    verdict=$(awk -v m="${MEAN_MS[$name]}" -v t="$target" 'BEGIN { print (m < t ? "ok" : "OVER") }')
  fi
  printf '%-8s %7s %10s %10s %10s %12s  %s\n' "$name" "${FILES[$name]}" "${MEAN_MS[$name]:--}" \
    "${MIN_MS[$name]:--}" "${target:+< $target}" "${RSS_KB[$name]:--}" "$verdict"
done
if [[ -n ${RSS_KB[1k]:-} && -n ${RSS_KB[10k]:-} ]]; then
  awk -v a="${RSS_KB[1k]}" -v b="${RSS_KB[10k]}" 'BEGIN {
    r = b / a
    printf "peak RSS 10k/1k: %.2fx (%s)\n", r, r < 1.25 ? "flat in the number of files" : "grows with the number of files"
  }'
fi
echo "results: $RESULTS"
