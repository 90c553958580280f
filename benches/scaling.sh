#!/usr/bin/env bash
# Scaling check (issue 14): for each family of hostile input, the release
# binary's time at N and at 2N, in one run. Doubling an input must at most
# double the time and a bit (linear times a log): a ratio under 2.6 passes,
# one near 4 means quadratic. Ratios within one run hold on a noisy machine
# where absolute times do not; each time is CPU time, the best of five runs
# alternating between N and 2N (fewer let a busy moment of the machine
# through as a slow 2N run), and a family over the limit is measured again.
#
#   benches/scaling.sh              # every family; exit 1 if one fails
#   benches/scaling.sh values keys  # some of them
#
# The yaml-* families are CloudFormation templates and the tf-* families
# Terraform modules: the same questions of the host readers, and alias and
# locals bombs (billion laughs) that must stay bounded in time and memory;
# each run is also held to MAX_RSS_MB of memory.
#
# Needs python3 (the generators) and builds the release binary if it is
# missing. Takes about a minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly BIN="${CARGO_TARGET_DIR:-target}/release/policy-check"
readonly LIMIT=2.6
readonly REPEAT=5
readonly ATTEMPTS=3
readonly MAX_RSS_MB=1024
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Always through cargo: a binary left from an older checkout would measure old code.
cargo build --release --locked --bin policy-check

# family -> N (2N is measured too); each N takes about 0.1 s or more.
declare -A SIZE=(
  [services]=1000
  [findings]=600
  [values]=40000
  [keys]=1500
  [line]=20000
  [duplicates]=40000
  [surrogates]=400000
  [repeats]=5000
  [yaml-keys]=1500
  [yaml-anchors]=300
  [yaml-line]=60000
  [yaml-laughs]=40
  [tf-keys]=1000
  [tf-line]=60000
  [tf-laughs]=200
  [tf-strings]=200
  [rule-filters]=10000
  [rule-depth]=400000
)
readonly ORDER=(services findings values keys line duplicates surrogates repeats
  yaml-keys yaml-anchors yaml-line yaml-laughs tf-keys tf-line tf-laughs tf-strings
  rule-filters rule-depth)

# The file name of a family's input: the reader it needs.
input() { # input FAMILY K -> path (a folder of its own: a module is a folder)
  local ext=json
  case $1 in
    yaml-*) ext=yaml ;;
    tf-*) ext=tf ;;
  esac
  mkdir -p "$WORK/$1-$2"
  echo "$WORK/$1-$2/main.$ext"
}

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
elif family == "rule-filters":
    # Statements under a user rule whose filter, tried at every node, asks
    # about the whole document (see rule_pack below).
    text = policy([statement(Sid=f"S{i}") for i in range(n)])
elif family == "rule-depth":
    # Arrays nested n deep beside the statements, under a user rule whose
    # filter, tried at every node, walks down from it (see rule_pack below).
    text = ('{"Version": "2012-10-17", "Statement": [], "Deep": ' + "[" * n + "]" * n + "}")
elif family == "repeats":
    # Distinct statements, each repeated: one redundant-statement finding
    # and fix each, every fix re-reading the Statement array.
    text = policy([statement(Action=f"kms:Decrypt{i}") for i in range(n) for _ in range(2)])
elif family.startswith("yaml-"):
    head = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n")
    def key(name, statements, extra=""):
        return (f"  {name}:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n"
                f"        Version: '2012-10-17'\n        Statement:\n"
                "          - Sid: Root\n            Effect: Allow\n"
                "            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}\n"
                "            Action: 'kms:*'\n            Resource: '*'\n" + statements + extra)
    if family == "yaml-keys":
        # Keys, each with a policy that has findings, used by a file system.
        text = head + "".join(key(f"Key{i}", "          - Effect: Allow\n            Principal: {AWS: '*'}\n"
                                  "            Action: [kms:Decrypts, kms:ReEncrypt]\n            Resource: '*'\n")
                              + f"  Fs{i}:\n    Type: AWS::EFS::FileSystem\n    Properties:\n      KmsKeyId: !Ref Key{i}\n"
                              for i in range(n))
    elif family == "yaml-anchors":
        # Statements that are anchors, each repeated by an alias.
        text = head + key("Key", "".join(
            f"          - &s{i}\n            Sid: S{i}\n            Effect: Allow\n"
            f"            Principal: {{AWS: 'arn:aws:iam::111122223333:root'}}\n"
            f"            Action: kms:Decrypts{i}\n            Resource: '*'\n          - *s{i}\n" for i in range(n)))
    elif family == "yaml-line":
        # Findings on one line: a flow sequence of unknown actions.
        text = head + key("Key", "          - {Effect: Allow, Principal: {AWS: 'arn:aws:iam::111122223333:root'}, Action: ["
                          + ", ".join(f"kms:D\u00e9crypts{i}" for i in range(n)) + "], Resource: '*'}\n")
    elif family == "yaml-laughs":
        # Keys, each naming a billion laughs: 12 levels of nine aliases.
        text = "AWSTemplateFormatVersion: '2010-09-09'\nMappings:\n  Laughs:\n"
        text += "".join(f"    k{k}l0: &k{k}l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" +
                        "".join(f"    k{k}l{i}: &k{k}l{i} [" + ", ".join([f"*k{k}l{i-1}"] * 9) + "]\n" for i in range(1, 13))
                        for k in range(n))
        text += "Resources:\n" + "".join(key(f"Key{k}", "          - Effect: Allow\n            Principal: {AWS: '*'}\n"
                                               "            Action: kms:Decrypt\n            Resource: '*'\n"
                                               f"            Condition: {{StringEquals: {{kms:ViaService: *k{k}l12}}}}\n")
                                          for k in range(n))
    else:
        sys.exit(f"unknown family {family}")
elif family.startswith("tf-"):
    root = ('    {Sid = "Root", Effect = "Allow", Principal = {AWS = "arn:aws:iam::111122223333:root"}, '
            'Action = "kms:*", Resource = "*"},\n')
    def key(name, statement, extra=""):
        return (f'resource "aws_kms_key" "{name}" {{\n  policy = jsonencode({{Statement = [\n' + root
                + statement + "  ]})\n}\n" + extra)
    if family == "tf-keys":
        # Keys, each with a policy that has findings, used by a file system.
        text = "".join(key(f"k{i}", '    {Effect = "Allow", Principal = {AWS = "*"}, Action = ["kms:Decrypts", "kms:ReEncrypt"], Resource = "*"},\n',
                           f'resource "aws_efs_file_system" "f{i}" {{\n  encrypted = true\n  kms_key_id = aws_kms_key.k{i}.arn\n}}\n')
                       for i in range(n))
    elif family == "tf-line":
        # Findings on one line: a list of unknown actions.
        text = key("k", '    {Effect = "Allow", Principal = {AWS = "arn:aws:iam::111122223333:root"}, Action = ['
                   + ", ".join(f'"kms:D\u00e9crypts{i}"' for i in range(n)) + '], Resource = "*"},\n')
    elif family in ("tf-laughs", "tf-strings"):
        # Keys, each naming a billion laughs in locals: 12 levels of nine
        # uses (a list) or of two (a string that doubles).
        lines = ["locals {"]
        for k in range(n):
            if family == "tf-laughs":
                lines.append(f'  k{k}l0 = ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]')
                lines += [f"  k{k}l{i} = [" + ", ".join([f"local.k{k}l{i-1}"] * 9) + "]" for i in range(1, 13)]
            else:
                lines.append(f'  k{k}l0 = "lol"')
                lines += [f'  k{k}l{i} = "${{local.k{k}l{i-1}}}${{local.k{k}l{i-1}}}"' for i in range(1, 41)]
        lines.append("}")
        last = 12 if family == "tf-laughs" else 40
        text = "\n".join(lines) + "\n" + "".join(
            key(f"k{k}", '    {Effect = "Allow", Principal = {AWS = "*"}, Action = "kms:Decrypt", Resource = "*", '
                f'Condition = {{StringEquals = {{"kms:ViaService" = local.k{k}l{last}}}}}}},\n')
            for k in range(n))
    else:
        sys.exit(f"unknown family {family}")
else:
    sys.exit(f"unknown family {family}")
open(path, "w", encoding="utf-8").write(text)
PY
  case $1 in
    rule-filters) rule_pack "$(dirname "$3")" '$..[?$..Absent]' ;;
    rule-depth) rule_pack "$(dirname "$3")" '$..[?@..Absent]' ;;
  esac
}

# A user rule pack in FOLDER (the rule-* families): one rule that forbids
# what SELECTOR selects.
rule_pack() { # rule_pack FOLDER SELECTOR
  mkdir -p "$1/rules"
  printf 'rule-packs = ["rules"]\n' >"$1/policy-check.toml"
  cat >"$1/rules/filter.toml" <<TOML
id = "SCALE001"
name = "scaling-filter"
severity = "warning"
summary = "A filter tried at every node"
message = "{value}"
document = "policy"
select = "$2"
forbid = true
TOML
}

# One run's CPU time in milliseconds (user and system): unlike the wall
# clock, it does not count the time the process waited for a core on a busy
# machine. JSON output: every finding's line and column is computed.
run_ms() {
  local cpu status=0 config=(--no-config)
  if [[ -f $(dirname "$1")/policy-check.toml ]]; then config=(--config "$(dirname "$1")/policy-check.toml"); fi
  # At most MAX_RSS_MB of memory and 60 s: a bomb that gets through fails
  # the check instead of the machine.
  cpu=$( { TIMEFORMAT='%3U %3S'; time bash -c 'ulimit -v "$1"; shift; exec timeout 60 "$@"' limit \
    $((MAX_RSS_MB * 1024)) "$BIN" "${config[@]}" --format json "$1" >/dev/null 2>&1 || echo "status $?" >&2; } 2>&1 )
  # `time` reports when the command ends, before `echo` says how.
  if [[ $cpu == *$'\n'status* ]]; then
    status=${cpu##*status }
    cpu=${cpu%%$'\n'*}
  fi
  if ((status > 1)); then
    echo "error: $BIN exited $status on $1" >&2
    exit 2
  fi
  awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%d", (u + s) * 1000 }'
}

# The best of REPEAT runs of each of two inputs, as "t1 t2". The runs
# alternate, so a slow spell of the machine falls on both sizes alike
# instead of on whichever was being measured.
best_pair_ms() {
  local best1="" best2="" ms
  for _ in $(seq "$REPEAT"); do
    ms=$(run_ms "$1")
    if [[ -z $best1 ]] || ((ms < best1)); then best1=$ms; fi
    ms=$(run_ms "$2")
    if [[ -z $best2 ]] || ((ms < best2)); then best2=$ms; fi
  done
  echo "$best1 $best2"
}

families=("$@")
((${#families[@]})) || families=("${ORDER[@]}")
failed=0
printf '%-12s %8s %9s %8s %9s %6s\n' family N "cpu ms" 2N "cpu ms" ratio
for family in "${families[@]}"; do
  n=${SIZE[$family]:?unknown family $family}
  f1=$(input "$family" 1)
  f2=$(input "$family" 2)
  generate "$family" "$n" "$f1"
  generate "$family" $((2 * n)) "$f2"
  # A ratio over the limit is measured again, up to ATTEMPTS times in all:
  # growth that is really faster than linear fails every time, while a busy
  # moment of a shared machine (seen: one 2N best-of-five 45 % slow) does not
  # come back three times.
  for attempt in $(seq "$ATTEMPTS"); do
    read -r t1 t2 < <(best_pair_ms "$f1" "$f2")
    ratio=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 1) }')
    verdict=PASS
    if awk -v r="$ratio" -v l="$LIMIT" 'BEGIN { exit !(r >= l) }'; then
      verdict=FAIL
      ((attempt < ATTEMPTS)) && verdict="over $LIMIT, again"
    fi
    printf '%-12s %8d %9d %8d %9d %6s  %s\n' "$family" "$n" "$t1" $((2 * n)) "$t2" "$ratio" "$verdict"
    [[ $verdict == FAIL ]] && failed=1
    [[ $verdict == PASS || $verdict == FAIL ]] && break
  done
done
if ((failed)); then
  echo "FAIL: some family grows faster than linearly (ratio >= $LIMIT every time)"
  exit 1
fi
echo "PASS: every family grows linearly (ratio < $LIMIT)"
