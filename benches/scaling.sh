#!/usr/bin/env bash
# Scaling check (issue 14): for each family of hostile input, the release
# binary's time at N and at 2N, in one run. Doubling an input must at most
# double the time and a bit (linear times a log): a ratio under 2.6 passes,
# one near 4 means quadratic. Ratios within one run hold on a noisy machine
# where absolute times do not; each time is CPU time, the best of a few runs.
#
#   benches/scaling.sh              # every family; exit 1 if one fails
#   benches/scaling.sh values keys  # some of them
#
# Needs python3 (the generators) and builds the release binary if it is
# missing. Takes well under a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly BIN="${CARGO_TARGET_DIR:-target}/release/policy-check"
readonly LIMIT=2.6
readonly REPEAT=3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ ! -x $BIN ]]; then
  cargo build --release --locked --bin policy-check
fi

# family -> N (2N is measured too); each N takes about 0.1 s or more.
declare -A SIZE=(
  [services]=1000
  [findings]=600
  [values]=40000
  [keys]=1500
  [line]=20000
  [duplicates]=40000
  [surrogates]=400000
)
readonly ORDER=(services findings values keys line duplicates surrogates)

# Writes the input of FAMILY at size N to FILE.
generate() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys

family, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ROOT = {"Sid": "Root", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}

def policy(statements, indent=2):
    return json.dumps({"Version": "2012-10-17", "Statement": [ROOT] + statements}, indent=indent)

def statement(**rest):
    return {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:Decrypt", "Resource": "*", **rest}

if family == "services":
    # Statements that match a service: a linked cache and bucket each, so
    # each names a caller, a bucket and a region for the service checks.
    slr = ("arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/"
           "AWSServiceRoleForFSxS3Access_fc-{:017x}")
    text = policy([{
        "Sid": f"Cache{i}", "Effect": "Allow", "Principal": {"AWS": slr.format(i)},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": "111122223333",
                             "kms:ViaService": f"fsx.us-west-{i % 2 + 1}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::bucket-{i}/*"}},
    } for i in range(n)])
elif family == "findings":
    # Statements with many findings each: structure, actions, conditions.
    text = policy([{
        "Sid": "Same", "Effect": "Allw", "Principal": {"AWS": "arn:aws:iam::123:rooot"}, "Actions": "x",
        "Action": ["kms:Decrypts", "kms:ReEncrypt", "s3:GetObject", "kms:listaliases"],
        "Resource": "arn:aws:s3:::b",
        "Condition": {"StringEqual": {"kms:ViaServce": "x"},
                      "StringEquals": {"kms:CallerAccount": "12", "kms:ViaService": "*"}},
    } for _ in range(n)])
elif family == "values":
    # Values under one condition key, each malformed.
    text = policy([statement(Condition={"StringEquals": {
        "kms:ViaService": [f"fsx.us-east-1.amazonaws.com{i}" for i in range(n)]}})])
elif family == "keys":
    # Keys in one condition block, each misspelled and with a wildcard.
    text = policy([statement(Condition={"StringEquals": {
        f"kms:CallerAcount{i}": "1111*" for i in range(n)}})])
elif family == "line":
    # Findings on one line: a minified policy, one unknown action per statement.
    text = policy([statement(Action="kms:D\u00e9crypts") for _ in range(n)], indent=None)
elif family == "duplicates":
    # Duplicate keys in one object.
    body = ", ".join('"Sid": "s"' for _ in range(n))
    text = ('{"Version": "2012-10-17", "Statement": [{' + body + ', "Effect": "Allow", '
            '"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}')
elif family == "surrogates":
    # Lone surrogate escapes in one string.
    text = ('{"Version": "2012-10-17", "Statement": [{"Sid": "' + "\\ud800" * n + '", "Effect": "Allow", '
            '"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}')
else:
    sys.exit(f"unknown family {family}")
open(path, "w", encoding="utf-8").write(text)
PY
}

# The best of REPEAT runs, in milliseconds of CPU time (user and system):
# unlike the wall clock, it does not count the time the process waited for
# a core on a busy machine. JSON output: every finding's line and column
# is computed.
time_ms() {
  local best="" cpu ms status
  for _ in $(seq "$REPEAT"); do
    status=0
    cpu=$( { TIMEFORMAT='%3U %3S'; time "$BIN" --no-config --format json "$1" >/dev/null 2>&1 || echo "status $?" >&2; } 2>&1 )
    if [[ $cpu == status* ]]; then
      status=${cpu#status }
      status=${status%%$'\n'*}
      cpu=${cpu#*$'\n'}
    fi
    if ((status > 1)); then
      echo "error: $BIN exited $status on $1" >&2
      exit 2
    fi
    ms=$(awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%d", (u + s) * 1000 }')
    if [[ -z $best ]] || ((ms < best)); then best=$ms; fi
  done
  echo "$best"
}

families=("$@")
((${#families[@]})) || families=("${ORDER[@]}")
failed=0
printf '%-11s %8s %9s %8s %9s %6s\n' family N "cpu ms" 2N "cpu ms" ratio
for family in "${families[@]}"; do
  n=${SIZE[$family]:?unknown family $family}
  generate "$family" "$n" "$WORK/$family-1.json"
  generate "$family" $((2 * n)) "$WORK/$family-2.json"
  t1=$(time_ms "$WORK/$family-1.json")
  t2=$(time_ms "$WORK/$family-2.json")
  ratio=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 1) }')
  verdict=PASS
  if awk -v r="$ratio" -v l="$LIMIT" 'BEGIN { exit !(r >= l) }'; then
    verdict=FAIL
    failed=1
  fi
  printf '%-11s %8d %9d %8d %9d %6s  %s\n' "$family" "$n" "$t1" $((2 * n)) "$t2" "$ratio" "$verdict"
done
if ((failed)); then
  echo "FAIL: some family grows faster than linearly (ratio >= $LIMIT)"
  exit 1
fi
echo "PASS: every family grows linearly (ratio < $LIMIT)"
