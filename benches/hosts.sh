#!/usr/bin/env bash
# Whole-process benchmark of the host readers, side by side with the peers in
# one run: policy-check against cfn-lint over 100 and 1,000 generated
# CloudFormation templates, and against checkov over 100 and 1,000 generated
# Terraform modules (2-10 KB each, one to three keys and the resources that
# use them; benches/corpus/generate_hosts.py).
#
#   benches/hosts.sh            # 100 and 1,000
#   HOSTS_SIZES=100 benches/hosts.sh
#
# The peers are installed with pip when absent (`pip install cfn-lint
# checkov`). policy-check is timed with hyperfine (mean of 10 runs); the
# peers, which take minutes on 1,000 inputs, with one run each. Peak memory
# from GNU time. BENCH_CPUS pins every run as benches/whole-process.sh does.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# PROFILE=dist measures the published binaries' profile (see Cargo.toml).
readonly PROFILE=${PROFILE:-release}
readonly BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/policy-check"
readonly CORPORA=target/bench-hosts
readonly RESULTS=target/bench-hosts.md
readonly GNU_TIME=/usr/bin/time
read -r -a SIZES <<<"${HOSTS_SIZES:-100 1000}"

say() { printf '\n==> %s\n' "$*"; }

generate() {
  local kind=$1 count=$2 dir=$CORPORA/$1-$2
  [[ -d $dir ]] && return
  say "generating $count $kind inputs into $dir"
  rm -rf "$dir.partial"
  python3 benches/corpus/generate_hosts.py --kind "$kind" --count "$count" --out "$dir.partial"
  mv "$dir.partial" "$dir"
}

if [[ -z ${BENCH_CPUS+set} ]]; then
  BENCH_CPUS=$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0))[:2])))')
fi
PIN=()
if [[ -n $BENCH_CPUS ]] && command -v taskset >/dev/null; then
  PIN=(taskset -c "$BENCH_CPUS")
fi

# One timed run: "seconds peak_kb".
timed() {
  local report status=0
  report=$(mktemp)
  "${PIN[@]}" "$GNU_TIME" -f '%e %M' -o "$report" "$@" >/dev/null 2>&1 || status=$?
  # GNU time puts "Command exited with non-zero status" first when it does.
  tail -n 1 "$report"
  rm -f "$report"
}

# policy-check's mean over hyperfine runs, in seconds.
policy_check_mean() {
  local json
  json=$(mktemp)
  hyperfine --warmup 2 --runs 10 -i --export-json "$json" \
    "${PIN[*]:+${PIN[*]} }$BIN --format json $1 > /dev/null" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$json"
  rm -f "$json"
}

say "building the $PROFILE binary"
cargo build --profile "$PROFILE" --bin policy-check
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
[[ -x $GNU_TIME ]] || apt-get install -y -qq time >/dev/null
command -v cfn-lint >/dev/null || pip install -q cfn-lint
command -v checkov >/dev/null || pip install -q checkov

for size in "${SIZES[@]}"; do
  generate cloudformation "$size"
  generate terraform "$size"
done

{
  echo "| input | files | policy-check mean s | peak RSS MB | peer | peer s | peer peak RSS MB | speed-up |"
  echo "|:---|---:|---:|---:|:---|---:|---:|---:|"
} >"$RESULTS"
for size in "${SIZES[@]}"; do
  for kind in cloudformation terraform; do
    dir=$CORPORA/$kind-$size
    say "$kind, $size inputs"
    ours=$(policy_check_mean "$dir")
    read -r _ our_kb < <(timed "$BIN" --format json "$dir")
    if [[ $kind == cloudformation ]]; then
      peer=cfn-lint
      read -r theirs their_kb < <(timed cfn-lint --format parseable "$dir"/*.yaml)
    else
      peer=checkov
      read -r theirs their_kb < <(timed checkov -d "$dir" --framework terraform --quiet --compact)
    fi
    speedup=$(python3 -c "print(f'{$theirs / $ours:.0f}x')")
    printf 'policy-check %.3f s (%d MB); %s %.1f s (%d MB): %s\n' "$ours" $((our_kb / 1024)) \
      "$peer" "$theirs" $((their_kb / 1024)) "$speedup"
    printf '| %s | %s | %.3f | %d | %s | %.1f | %d | %s |\n' "$kind" "$size" "$ours" \
      $((our_kb / 1024)) "$peer" "$theirs" $((their_kb / 1024)) "$speedup" >>"$RESULTS"
  done
done

say "summary (CPUs: ${BENCH_CPUS:-all}; load: $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$RESULTS"
