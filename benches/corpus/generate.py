#!/usr/bin/env python3
"""Generate a corpus of realistic AWS KMS key policies for whole-process benchmarks.

    python3 benches/corpus/generate.py --count 1000 --out DIR [--seed N]

Writes COUNT key policies (2-4 KB each, 100 per subdirectory, e.g. team-07/key-00723.json),
about 1% extra non-policy JSON files (package.json, tsconfig.json, ...) that a checker must
skip, and DIR/MANIFEST.tsv naming each file's services and its defect, if any.

Each file is generated from its own RNG seeded with (seed, index), so the output is the same on
every run and machine, and the 1,000-file corpus is a prefix of the 10,000-file one.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

FILES_PER_DIR = 100
# Inside both readings of "2-4 KB" (2,000-4,000 and 2,048-4,096 bytes).
MIN_BYTES = 2048
MAX_BYTES = 4000
MIN_STATEMENTS = 3
MAX_STATEMENTS = 9
DEFECT_RATE = 0.15
NON_POLICY_RATE = 0.01

REGIONS = [
    "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
    "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-south-1",
    "ca-central-1", "sa-east-1",
]
# Most accounts live in a few regions; the long tail keeps ViaService values varied.
REGION_WEIGHTS = [8, 4, 6, 6, 3, 4, 1, 2, 3, 2, 1, 1, 1]

ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wonka", "tyrell",
        "cyberdyne", "soylent", "stark", "wayne", "oscorp", "gringotts"]
TEAMS = ["platform", "data", "genomics", "hpc", "analytics", "ml", "payments", "security",
         "media", "research", "render", "finance", "search", "iot"]
ENVS = ["prod", "staging", "dev", "sandbox", "shared"]
PEOPLE = ["alice", "bob", "carol", "dmitri", "esther", "farid", "jdoe", "ci-bot"]

ADMIN_ACTIONS = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
]
USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                "kms:DescribeKey"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
FILE_SYSTEM_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:CreateGrant", "kms:DescribeKey"]
LOGS_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                "kms:Describe*"]

# Typos that match no KMS action even case-insensitively (IAM ignores case in action names).
ACTION_TYPOS = {
    "kms:Decrypt": ["kms:Decrypts", "kms:Decyrpt"],
    "kms:Encrypt": ["kms:Encrpyt", "kms:Encrypts"],
    "kms:DescribeKey": ["kms:DescribeKeys", "kms:DiscribeKey"],
    "kms:CreateGrant": ["kms:CreateGrants"],
    "kms:ListGrants": ["kms:ListGrant"],
    "kms:TagResource": ["kms:TagResources"],
    "kms:ScheduleKeyDeletion": ["kms:ScheduleKeyDelete"],
}
CONDITION_KEY_TYPOS = {
    "kms:ViaService": ["kms:ViaSevice", "kms:ViaServices"],
    "kms:CallerAccount": ["kms:CallerAcount", "kms:CallerAccountId"],
}

# Rendering order: people write the root statement first and denies last.
KIND_ORDER = ["root", "admins", "users", "grants", "cross-account", "team-use", "audit",
              "fsx", "file-cache", "efs", "s3-link", "cloudtrail", "cloudtrail-describe",
              "cloudtrail-decrypt", "logs", "deny"]
KIND_SERVICE = {"fsx": "fsx", "file-cache": "file-cache", "efs": "efs", "s3-link": "s3",
                "cloudtrail": "cloudtrail", "cloudtrail-describe": "cloudtrail",
                "cloudtrail-decrypt": "cloudtrail", "logs": "logs"}
# Statements that may be added (more than once, with distinct Sids) to reach a target size.
FILLER_KINDS = ["cross-account", "team-use", "audit", "grants", "deny"]


def hex_id(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


@dataclass
class Account:
    """The account a key lives in, and the names its people picked."""

    rng: random.Random
    id: str
    region: str
    org: str
    team: str
    env: str
    # Set by the administrators statement, so a Deny can exempt the same people.
    admins: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, rng: random.Random) -> Account:
        return cls(rng=rng, id=account_id(rng), region=rng.choices(REGIONS, REGION_WEIGHTS)[0],
                   org=rng.choice(ORGS), team=rng.choice(TEAMS), env=rng.choice(ENVS))

    def root(self, account: str | None = None) -> str:
        return f"arn:aws:iam::{account or self.id}:root"

    def role(self, name: str) -> str:
        return f"arn:aws:iam::{self.id}:role/{name}"

    def sso_role(self, permission_set: str) -> str:
        return self.role(f"aws-reserved/sso.amazonaws.com/{self.region}/"
                         f"AWSReservedSSO_{permission_set}_{hex_id(self.rng, 16)}")

    def admin_principal(self) -> str:
        rng = self.rng
        return rng.choice([
            lambda: self.role("KMSKeyAdmin"),
            lambda: self.role("KeyAdministrators"),
            lambda: self.role("Admin"),
            lambda: self.role(f"{self.team}-admin"),
            lambda: self.role("OrganizationAccountAccessRole"),
            lambda: self.role(f"terraform-{self.env}-admin"),
            lambda: self.role(f"cdk-hnb659fds-cfn-exec-role-{self.id}-{self.region}"),
            lambda: self.sso_role("AdministratorAccess"),
            lambda: f"arn:aws:iam::{self.id}:user/{rng.choice(PEOPLE)}",
        ])()

    def user_principal(self) -> str:
        rng = self.rng
        team = rng.choice([self.team, self.team, rng.choice(TEAMS)])
        return rng.choice([
            lambda: self.role(f"{team}-app-{self.env}"),
            lambda: self.role(f"{team}-etl"),
            lambda: self.role(f"lambda-{team}-processor"),
            lambda: self.role(f"ecs-task-{team}-api-{self.env}"),
            lambda: self.role(f"{self.org}-hpc-compute-node"),
            lambda: self.role(f"lustre-client-{self.env}"),
            lambda: self.role(f"service-role/sagemaker-execution-{team}"),
            lambda: self.role(f"github-actions-{team}-deploy"),
            lambda: self.role("EMR_EC2_DefaultRole"),
            lambda: self.sso_role("PowerUserAccess"),
        ])()

    def bucket(self) -> str:
        purpose = self.rng.choice(["raw", "datasets", "results", "scratch-input", "archive",
                                   "reference-genomes", "training-data", "renders", "landing"])
        suffix = self.rng.choice([self.env, self.region, f"{self.env}-{self.id}"])
        return f"{self.org}-{self.team}-{purpose}-{suffix}"


def account_id(rng: random.Random) -> str:
    # Real account ids can start with 0, which is why they must be JSON strings.
    return f"{rng.randrange(10**12):012d}"


@dataclass
class Statement:
    kind: str
    body: dict
    # Protected statements carry the defect or the account-root grant; sizing never drops them.
    protected: bool = False

    @property
    def sid(self) -> str | None:
        return self.body.get("Sid")


@dataclass
class Policy:
    acct: Account
    statements: list[Statement] = field(default_factory=list)
    policy_id: str | None = None
    indent: int = 4
    defect: str = "-"
    detail: str = "-"
    # Where the trailing-comma defect goes, as a fraction of the candidate spots, so every
    # render of the policy puts it in the same place.
    trailing_comma_at: float | None = None

    def sids(self) -> set[str]:
        return {s.sid for s in self.statements if s.sid}

    def services(self) -> str:
        found = sorted({KIND_SERVICE[s.kind] for s in self.statements if s.kind in KIND_SERVICE})
        return ",".join(found) or "kms"

    def render(self) -> str:
        """The file's text: render_json() plus the trailing-comma defect, if that is the one."""
        text = self.render_json()
        if self.trailing_comma_at is not None:
            spot = self.trailing_comma_spot(text)
            text = text[:spot] + "," + text[spot:]
        return text

    def render_json(self) -> str:
        doc: dict = {"Version": "2012-10-17"}
        if self.policy_id:
            doc["Id"] = self.policy_id
        ordered = sorted(self.statements, key=lambda s: KIND_ORDER.index(s.kind))
        doc["Statement"] = [s.body for s in ordered]
        return json.dumps(doc, indent=self.indent) + "\n"

    def trailing_comma_spot(self, text: str) -> int:
        # After the last element of an array or object, as left behind by deleting the line
        # below it.
        spots = [m.end() for m in re.finditer(r'["\w\]}](?=\n\s*[\]}])', text)]
        return spots[int(self.trailing_comma_at * len(spots))]


# --- statement templates ---------------------------------------------------------------

def principal_aws(rng: random.Random, arns: list[str]) -> dict:
    if len(arns) == 1 and rng.random() < 0.6:
        return {"AWS": arns[0]}
    return {"AWS": arns}


def root_statement(acct: Account) -> Statement:
    rng = acct.rng
    sid = rng.choices(["Enable IAM User Permissions", "Enable IAM policies",
                       "EnableRootAccountAccess", "Allow account root full access"],
                      [12, 3, 1, 1])[0]
    # Both spellings mean the account root; the bare id is rarer but valid.
    principal = acct.id if rng.random() < 0.05 else acct.root()
    return Statement("root", {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": "kms:*", "Resource": "*",
    }, protected=True)


def admins_statement(acct: Account) -> Statement:
    rng = acct.rng
    actions = list(ADMIN_ACTIONS)
    if rng.random() < 0.3:
        actions.append("kms:RotateKeyOnDemand")
    admins = unique(acct.admin_principal() for _ in range(rng.choice([1, 1, 2, 3])))
    acct.admins = admins
    return Statement("admins", {
        "Sid": "Allow access for Key Administrators", "Effect": "Allow",
        "Principal": principal_aws(rng, admins), "Action": actions, "Resource": "*",
    })


def users_statement(acct: Account) -> Statement:
    rng = acct.rng
    users = unique(acct.user_principal() for _ in range(rng.choice([1, 2, 2, 3, 4])))
    return Statement("users", {
        "Sid": "Allow use of the key", "Effect": "Allow",
        "Principal": principal_aws(rng, users), "Action": list(USER_ACTIONS), "Resource": "*",
    })


def grants_statement(acct: Account, taken: set[str]) -> Statement | None:
    rng = acct.rng
    sid = first_free(taken, ["Allow attachment of persistent resources",
                             f"Allow {acct.team} services to attach persistent resources"])
    if sid is None:
        return None
    users = unique(acct.user_principal() for _ in range(rng.choice([1, 2, 3])))
    # CloudFormation-authored policies often quote the boolean.
    flag = True if rng.random() < 0.7 else "true"
    return Statement("grants", {
        "Sid": sid, "Effect": "Allow", "Principal": principal_aws(rng, users),
        "Action": list(GRANT_ACTIONS), "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": flag}},
    })


def file_system_statement(acct: Account, kind: str) -> Statement:
    rng = acct.rng
    service, sid = {
        "fsx": ("fsx", "Allow access through Amazon FSx for all principals in the account "
                       "that are authorized to use Amazon FSx"),
        # File Cache has no ViaService name of its own; it calls KMS through fsx.
        "file-cache": ("fsx", "Allow access through Amazon File Cache for all principals "
                              "in the account that are authorized to use File Cache"),
        "efs": ("elasticfilesystem", "Allow access through EFS for all principals in the "
                                     "account that are authorized to use EFS"),
    }[kind]
    regions = [acct.region]
    if rng.random() < 0.15:
        regions.append(rng.choice([r for r in REGIONS if r != acct.region]))
    via = [f"{service}.{r}.amazonaws.com" for r in regions]
    return Statement(kind, {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": list(FILE_SYSTEM_ACTIONS), "Resource": "*",
        "Condition": {"StringEquals": {
            "kms:CallerAccount": acct.id,
            "kms:ViaService": via[0] if len(via) == 1 else via,
        }},
    })


def s3_link_statement(acct: Account, for_cache: bool) -> Statement:
    """The bucket key statement that lets an FSx for Lustre file system or a File Cache
    read and write an SSE-KMS bucket linked as its data repository."""
    rng = acct.rng
    resource_id = ("fc-" if for_cache else "fs-") + hex_id(rng, 17)
    product = "File Cache" if for_cache else "FSx"
    bucket = acct.bucket()
    # The bucket's own region decides the ViaService value, usually the same as the FS.
    bucket_region = acct.region if rng.random() < 0.85 else rng.choice(REGIONS)
    # With S3 Bucket Keys the encryption context is the bucket ARN instead of object ARNs.
    bucket_keys = rng.random() < 0.25
    context_arn = f"arn:aws:s3:::{bucket}" if bucket_keys else f"arn:aws:s3:::{bucket}/*"
    string_like = {"kms:EncryptionContext:aws:s3:arn": context_arn}
    if rng.random() < 0.7:
        sid = (f"Allow access through S3 for the {product} SLR to use the KMS key on the "
               f"objects in the given S3 bucket")
        principal: dict = {"AWS": acct.role(
            "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/"
            f"AWSServiceRoleForFSxS3Access_{resource_id}")}
    else:
        sid = f"Allow every {product} in the account to link to {bucket}"
        principal = {"AWS": "*"}
        string_like = {"aws:userid": "*:FSx", **string_like}
    return Statement("s3-link", {
        "Sid": sid, "Effect": "Allow", "Principal": principal,
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                   "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": acct.id,
                             "kms:ViaService": f"s3.{bucket_region}.amazonaws.com"},
            "StringLike": string_like,
        },
    })


def trail_arn(acct: Account) -> str:
    name = acct.rng.choice([f"{acct.org}-org-trail", "management-events",
                            f"{acct.env}-audit-trail", "data-events"])
    return f"arn:aws:cloudtrail:{acct.region}:{acct.id}:trail/{name}"


def cloudtrail_statements(acct: Account) -> list[Statement]:
    rng = acct.rng
    trail = trail_arn(acct)
    statements = [
        Statement("cloudtrail", {
            "Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*", "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                               f"arn:aws:cloudtrail:*:{acct.id}:trail/*"},
            },
        }),
        Statement("cloudtrail-describe", {
            "Sid": "Allow CloudTrail to describe key", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey", "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail}},
        }),
    ]
    if rng.random() < 0.6:
        statements.append(Statement("cloudtrail-decrypt", {
            "Sid": "Allow principals in the account to decrypt log files", "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"], "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": acct.id},
                "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"},
            },
        }))
    return statements


def logs_statement(acct: Account) -> Statement:
    rng = acct.rng
    group = rng.choice([f"/aws/lambda/{acct.team}-processor", f"/ecs/{acct.team}-api",
                        "/aws/vpc/flow-logs", f"{acct.team}-{acct.env}-app", "*"])
    group_arn = f"arn:aws:logs:{acct.region}:{acct.id}:log-group:{group}"
    return Statement("logs", {
        "Sid": "Allow CloudWatch Logs to use the key", "Effect": "Allow",
        "Principal": {"Service": f"logs.{acct.region}.amazonaws.com"},
        "Action": list(LOGS_ACTIONS), "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": group_arn}},
    })


def deny_statement(acct: Account, taken: set[str]) -> Statement | None:
    rng = acct.rng
    sid = first_free(taken, ["Deny key deletion except by key administrators",
                             "Prevent policy changes and deletion by anyone but admins"])
    if sid is None:
        return None
    actions = ["kms:ScheduleKeyDeletion", "kms:DisableKey"]
    if "Prevent" in sid:
        actions = ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
    exempt = [a for a in acct.admins if ":user/" not in a and "AWSReservedSSO" not in a]
    if not exempt:
        exempt = [acct.role(rng.choice(["KMSKeyAdmin", "KeyAdministrators", f"{acct.team}-admin"]))]
    # SSO role names end in a random suffix that changes when the permission set is recreated.
    if rng.random() < 0.5 or any("AWSReservedSSO" in a for a in acct.admins):
        exempt.append(acct.role("aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_AdministratorAccess_*"))
    return Statement("deny", {
        "Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"},
        "Action": actions, "Resource": "*",
        "Condition": {"StringNotLike": {"aws:PrincipalArn": exempt[0] if len(exempt) == 1 else exempt}},
    })


def cross_account_statement(acct: Account, taken: set[str]) -> Statement | None:
    rng = acct.rng
    other = account_id(rng)
    name = rng.choice(["log-archive", "analytics", "shared-services", "backup", "dr",
                       f"{acct.team}-{rng.choice(ENVS)}"])
    sid = first_free(taken, [f"Allow use of the key by the {name} account",
                             f"Allow use of the key from account {other}"])
    if sid is None:
        return None
    return Statement("cross-account", {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": acct.root(other)},
        "Action": list(USER_ACTIONS), "Resource": "*",
    })


def team_use_statement(acct: Account, taken: set[str]) -> Statement | None:
    rng = acct.rng
    team = rng.choice(TEAMS)
    sid = first_free(taken, [f"Allow {team} workloads to use the key",
                             f"Allow{team.title()}Decrypt"])
    if sid is None:
        return None
    roles = unique(acct.user_principal() for _ in range(rng.choice([1, 2])))
    actions = ["kms:Decrypt", "kms:DescribeKey"]
    if rng.random() < 0.5:
        actions.insert(1, "kms:GenerateDataKey*")
    return Statement("team-use", {
        "Sid": sid, "Effect": "Allow", "Principal": principal_aws(rng, roles),
        "Action": actions, "Resource": "*",
    })


def audit_statement(acct: Account, taken: set[str]) -> Statement | None:
    rng = acct.rng
    sid = first_free(taken, ["Allow read-only access to key metadata",
                             "Allow security tooling to inspect the key"])
    if sid is None:
        return None
    principal = rng.choice([acct.role("SecurityAudit"), acct.role(f"{acct.org}-security-scanner"),
                            acct.sso_role("ReadOnlyAccess")])
    return Statement("audit", {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
                   "kms:ListResourceTags"],
        "Resource": "*",
    })


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def first_free(taken: set[str], sids: list[str]) -> str | None:
    return next((s for s in sids if s not in taken), None)


# Template name -> builder(account, Sids already taken). Fillers return None when every Sid
# variant is taken, because a repeated Sid is one of the defects and must not appear by chance.
BUILDERS: dict[str, Callable[[Account, set[str]], Statement | list[Statement] | None]] = {
    "root": lambda a, _: root_statement(a),
    "admins": lambda a, _: admins_statement(a),
    "users": lambda a, _: users_statement(a),
    "fsx": lambda a, _: file_system_statement(a, "fsx"),
    "file-cache": lambda a, _: file_system_statement(a, "file-cache"),
    "efs": lambda a, _: file_system_statement(a, "efs"),
    "s3-link": lambda a, _: s3_link_statement(a, for_cache=False),
    "s3-link-cache": lambda a, _: s3_link_statement(a, for_cache=True),
    "cloudtrail": lambda a, _: cloudtrail_statements(a),
    "logs": lambda a, _: logs_statement(a),
    "grants": grants_statement,
    "deny": deny_statement,
    "cross-account": cross_account_statement,
    "team-use": team_use_statement,
    "audit": audit_statement,
}


# Which statements a key needs, by what the key is for. Weighted toward the file-system and
# S3-link keys the checker's service rules are about, next to the console-default, CloudTrail
# and CloudWatch Logs keys that dominate public repositories.
PROFILES: list[tuple[int, list[str]]] = [
    (14, ["root", "admins", "users", "grants"]),
    (10, ["root", "admins", "fsx"]),
    (6, ["root", "admins", "users", "grants", "fsx"]),
    (5, ["root", "admins", "file-cache", "s3-link-cache"]),
    (4, ["root", "admins", "file-cache"]),
    (8, ["root", "admins", "efs"]),
    (4, ["root", "admins", "users", "efs"]),
    (10, ["root", "admins", "users", "s3-link"]),
    (4, ["root", "admins", "fsx", "s3-link"]),
    (9, ["root", "admins", "cloudtrail"]),
    (7, ["root", "admins", "logs"]),
    (4, ["root", "admins", "cloudtrail", "logs"]),
    (3, ["root", "admins", "users", "grants", "logs"]),
    (3, ["root", "users", "efs", "logs"]),
]


# --- defects ---------------------------------------------------------------------------

def actions_of(stmt: Statement) -> list[str]:
    action = stmt.body.get("Action", [])
    return action if isinstance(action, list) else []


def condition_blocks(stmt: Statement) -> list[dict]:
    return list(stmt.body.get("Condition", {}).values())


def rename_key(block: dict, old: str, new: str) -> None:
    """Rename in place, keeping the key's position so the file still reads naturally."""
    items = [(new if k == old else k, v) for k, v in block.items()]
    block.clear()
    block.update(items)


@dataclass
class Defect:
    name: str
    # Statements that can carry the defect; when none exists the fallback kind is added.
    carriers: Callable[[Policy], list[Statement]]
    fallback_kind: str
    # Returns the manifest detail.
    apply: Callable[[Policy, Statement], str]


def _misspell_action(policy: Policy, stmt: Statement) -> str:
    rng = policy.acct.rng
    actions = actions_of(stmt)
    target = rng.choice([a for a in actions if a in ACTION_TYPOS])
    typo = rng.choice(ACTION_TYPOS[target])
    actions[actions.index(target)] = typo
    return typo


def _reencrypt_without_star(policy: Policy, stmt: Statement) -> str:
    actions = actions_of(stmt)
    actions[actions.index("kms:ReEncrypt*")] = "kms:ReEncrypt"
    return "kms:ReEncrypt"


def _misspell_condition_key(policy: Policy, stmt: Statement) -> str:
    rng = policy.acct.rng
    spots = [(block, key) for block in condition_blocks(stmt) for key in block
             if key in CONDITION_KEY_TYPOS]
    block, key = rng.choice(spots)
    typo = rng.choice(CONDITION_KEY_TYPOS[key])
    rename_key(block, key, typo)
    return typo


def _s3_arn_in_string_equals(policy: Policy, stmt: Statement) -> str:
    # StringEquals compares "*" literally, so the object-ARN pattern never matches.
    cond = stmt.body["Condition"]
    key = "kms:EncryptionContext:aws:s3:arn"
    value = cond["StringLike"].pop(key)
    if not value.endswith("/*"):
        value += "/*"
    if not cond["StringLike"]:
        del cond["StringLike"]
    cond["StringEquals"][key] = value
    return f"StringEquals {value}"


def _placeholder_account(policy: Policy, stmt: Statement) -> str:
    value = policy.acct.rng.choice(["aws_account_id", "aws_account_id", "<aws_account_id>"])
    for block in condition_blocks(stmt):
        if "kms:CallerAccount" in block:
            block["kms:CallerAccount"] = value
    return f"kms:CallerAccount={value}"


def _drop_create_grant(policy: Policy, stmt: Statement) -> str:
    actions_of(stmt).remove("kms:CreateGrant")
    return f"{stmt.kind} statement without kms:CreateGrant"


def _trailing_comma(policy: Policy, stmt: Statement) -> str:
    policy.trailing_comma_at = policy.acct.rng.random()
    # The line is only known once sizing is done; make_policy fills it in.
    return "trailing comma on line {line}"


def _duplicate_sid(policy: Policy, stmt: Statement) -> str:
    # A statement copied and edited, its Sid left as it was.
    rng = policy.acct.rng
    source = rng.choice([s for s in policy.statements if s is not stmt and s.kind != "root"])
    source.protected = True
    stmt.body["Sid"] = source.sid
    return f"Sid {source.sid!r}"


def _principal_star_without_condition(policy: Policy, stmt: Statement) -> str:
    stmt.body["Principal"] = "*"
    stmt.body.pop("Condition", None)
    return f"{stmt.kind} statement open to everyone"


def _with_condition_key(key: str) -> Callable[[Policy], list[Statement]]:
    return lambda p: [s for s in p.statements
                      if any(key in block for block in condition_blocks(s))]


DEFECTS = [
    # Not in service statements: a typo there also drops an action the service requires, and
    # the file would carry two defects.
    Defect("misspelled-action",
           lambda p: [s for s in p.statements if s.kind not in KIND_SERVICE
                      and any(a in ACTION_TYPOS for a in actions_of(s))],
           "users", _misspell_action),
    Defect("reencrypt-without-star",
           lambda p: [s for s in p.statements if "kms:ReEncrypt*" in actions_of(s)
                      and s.kind != "logs"],
           "users", _reencrypt_without_star),
    Defect("misspelled-condition-key",
           lambda p: [s for s in p.statements if s.kind in ("fsx", "file-cache", "efs", "s3-link")],
           "fsx", _misspell_condition_key),
    Defect("s3-arn-in-string-equals",
           lambda p: [s for s in p.statements if s.kind == "s3-link"],
           "s3-link", _s3_arn_in_string_equals),
    Defect("placeholder-account", _with_condition_key("kms:CallerAccount"),
           "fsx", _placeholder_account),
    Defect("missing-required-action",
           lambda p: [s for s in p.statements if s.kind in ("fsx", "file-cache", "efs")],
           "fsx", _drop_create_grant),
    Defect("trailing-comma", lambda p: p.statements, "users", _trailing_comma),
    Defect("duplicate-sid",
           lambda p: [s for s in p.statements if s.kind != "root"]
           if sum(s.kind != "root" for s in p.statements) >= 2 else [],
           "users", _duplicate_sid),
    Defect("principal-star-without-condition",
           lambda p: [s for s in p.statements if s.kind in ("fsx", "file-cache", "efs", "users")],
           "users", _principal_star_without_condition),
]


# --- one policy ------------------------------------------------------------------------

def add(policy: Policy, template: str) -> list[Statement]:
    made = BUILDERS[template](policy.acct, policy.sids())
    made = [] if made is None else made if isinstance(made, list) else [made]
    policy.statements.extend(made)
    return made


def resize(policy: Policy, target: int) -> bool:
    """Grow toward the target size, then back under the ceiling, with edits that change
    neither the policy's meaning for its services nor its defect."""
    rng = policy.acct.rng
    for _ in range(40):
        size = len(policy.render().encode())
        if size > MAX_BYTES:
            # Once over, aim only for the floor, or adding and dropping could cycle.
            target = MIN_BYTES
            # Drop what sizing added before what the key is for.
            droppable = ([s for s in policy.statements if not s.protected and s.kind in FILLER_KINDS]
                         or [s for s in policy.statements if not s.protected])
            if len(policy.statements) > MIN_STATEMENTS and droppable:
                policy.statements.remove(rng.choice(droppable))
            elif not shrink_principals(policy):
                return False
        elif size < target and grow(policy):
            continue
        else:
            return (size >= MIN_BYTES
                    and MIN_STATEMENTS <= len(policy.statements) <= MAX_STATEMENTS)
    return False


def grow(policy: Policy) -> bool:
    if len(policy.statements) < MAX_STATEMENTS and add(policy, policy.acct.rng.choice(FILLER_KINDS)):
        return True
    return grow_principals(policy)


def principal_lists(policy: Policy) -> list[tuple[Statement, list]]:
    return [(s, s.body["Principal"]["AWS"]) for s in policy.statements
            if s.kind in ("admins", "users", "grants", "team-use")
            and isinstance(s.body.get("Principal"), dict)
            and isinstance(s.body["Principal"].get("AWS"), list)]


def grow_principals(policy: Policy) -> bool:
    lists = [(s, arns) for s, arns in principal_lists(policy) if len(arns) < 6]
    if not lists:
        return False
    stmt, arns = policy.acct.rng.choice(lists)
    acct = policy.acct
    new = acct.admin_principal() if stmt.kind == "admins" else acct.user_principal()
    if new not in arns:
        arns.append(new)
    return True


def shrink_principals(policy: Policy) -> bool:
    lists = [arns for _, arns in principal_lists(policy) if len(arns) > 1]
    if not lists:
        return False
    policy.acct.rng.choice(lists).pop()
    return True


def make_policy(seed: int, index: int) -> Policy:
    rng = random.Random(f"policy-check-corpus/{seed}/{index}")
    defect = rng.choice(DEFECTS) if rng.random() < DEFECT_RATE else None
    for _ in range(20):
        policy = attempt_policy(rng, defect)
        if policy is not None:
            if policy.trailing_comma_at is not None:
                text = policy.render_json()
                line = text[:policy.trailing_comma_spot(text)].count("\n") + 1
                policy.detail = policy.detail.format(line=line)
            return policy
    raise RuntimeError(f"could not fit policy {index} (seed {seed}) into "
                       f"{MIN_BYTES}-{MAX_BYTES} bytes")


def attempt_policy(rng: random.Random, defect: Defect | None) -> Policy | None:
    acct = Account.new(rng)
    policy = Policy(acct=acct, indent=rng.choice([2, 4, 4]))
    if rng.random() < 0.35:
        policy.policy_id = rng.choice(["key-default-1", "key-consolepolicy-3",
                                       f"{acct.team}-{acct.env}-key-policy",
                                       f"KeyPolicy-{acct.org}-{acct.team}"])
    kinds = rng.choices([k for _, k in PROFILES], [w for w, _ in PROFILES])[0]
    for kind in kinds:
        add(policy, kind)
    if rng.random() < 0.2:
        add(policy, "deny")

    if defect is not None:
        if not defect.carriers(policy):
            add(policy, defect.fallback_kind)
        carrier = rng.choice(defect.carriers(policy))
        carrier.protected = True
        policy.defect = defect.name
        policy.detail = defect.apply(policy, carrier)

    target = rng.randint(MIN_BYTES + 100, MAX_BYTES - 200)
    if not resize(policy, target):
        return None
    if policy.defect != "duplicate-sid" and len(policy.sids()) != len(policy.statements):
        raise AssertionError("filler produced a duplicate Sid")
    return policy


# --- files a checker must skip ---------------------------------------------------------

def package_json(rng: random.Random) -> dict:
    name = f"@{rng.choice(ORGS)}/{rng.choice(TEAMS)}-infra"
    return {
        "name": name, "version": f"{rng.randint(0, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "private": True, "bin": {"infra": "bin/infra.js"},
        "scripts": {"build": "tsc", "watch": "tsc -w", "test": "jest", "cdk": "cdk",
                    "lint": "eslint . --ext .ts", "synth": "cdk synth --quiet"},
        "devDependencies": {"@types/jest": "^29.5.12", "@types/node": "20.14.9",
                            "aws-cdk": "2.150.0", "jest": "^29.7.0", "ts-jest": "^29.1.5",
                            "ts-node": "^10.9.2", "typescript": "~5.5.3"},
        "dependencies": {"aws-cdk-lib": "2.150.0", "constructs": "^10.0.0",
                         "source-map-support": "^0.5.21"},
    }


def tsconfig_json(rng: random.Random) -> dict:
    return {
        "compilerOptions": {
            "target": rng.choice(["ES2020", "ES2022"]), "module": "commonjs",
            "lib": ["es2020", "dom"], "declaration": True, "strict": True,
            "noImplicitAny": True, "strictNullChecks": True, "noImplicitThis": True,
            "alwaysStrict": True, "noUnusedLocals": False, "noUnusedParameters": False,
            "noImplicitReturns": True, "noFallthroughCasesInSwitch": False,
            "inlineSourceMap": True, "inlineSources": True, "experimentalDecorators": True,
            "strictPropertyInitialization": False, "typeRoots": ["./node_modules/@types"],
        },
        "exclude": ["node_modules", "cdk.out"],
    }


def cdk_json(rng: random.Random) -> dict:
    return {
        "app": "npx ts-node --prefer-ts-exts bin/infra.ts",
        "watch": {"include": ["**"], "exclude": ["README.md", "cdk*.json", "**/*.d.ts",
                                                 "**/*.js", "tsconfig.json", "node_modules"]},
        "context": {
            "@aws-cdk/aws-iam:minimizePolicies": True,
            "@aws-cdk/aws-kms:aliasNameRef": True,
            "@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope": True,
            "@aws-cdk/core:target-partitions": ["aws"],
            "keyAdmins": [f"arn:aws:iam::{account_id(rng)}:role/KMSKeyAdmin"],
        },
    }


def renovate_json(rng: random.Random) -> dict:
    return {
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "extends": ["config:recommended", ":semanticCommits"],
        "schedule": [rng.choice(["before 6am on monday", "every weekend"])],
        "packageRules": [{"matchPackagePatterns": ["aws-cdk"], "groupName": "aws-cdk"}],
    }


NON_POLICY = [("package.json", package_json), ("tsconfig.json", tsconfig_json),
              ("cdk.json", cdk_json), ("renovate.json", renovate_json)]


# --- corpus ----------------------------------------------------------------------------

def generate(count: int, out: Path, seed: int) -> tuple[list[int], dict[str, int]]:
    dirs = max(1, -(-count // FILES_PER_DIR))
    width = max(2, len(str(dirs - 1)))
    manifest = ["file\tservices\tdefect\tdetail"]
    sizes: list[int] = []
    defects: dict[str, int] = {}

    for index in range(count):
        policy = make_policy(seed, index)
        rel = f"team-{index // FILES_PER_DIR:0{width}d}/key-{index:05d}.json"
        data = policy.render().encode()
        write(out / rel, data)
        sizes.append(len(data))
        defects[policy.defect] = defects.get(policy.defect, 0) + 1
        manifest.append(f"{rel}\t{policy.services()}\t{policy.defect}\t{policy.detail}")

    extra = max(1, round(count * NON_POLICY_RATE))
    rng = random.Random(f"policy-check-corpus/{seed}/non-policy")
    for i in range(extra):
        name, make = NON_POLICY[i % len(NON_POLICY)]
        # One per directory, spread over the tree, so names never collide.
        rel = f"team-{(i * dirs // extra) % dirs:0{width}d}/{name}"
        write(out / rel, (json.dumps(make(rng), indent=2) + "\n").encode())
        manifest.append(f"{rel}\tnot-a-policy\t-\t-")

    write(out / "MANIFEST.tsv", ("\n".join(manifest) + "\n").encode())
    return sizes, defects


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="number of key policies")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be at least 1")
    # Files left over from a larger run would silently join the corpus.
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty; remove it first")

    started = time.perf_counter()
    sizes, defects = generate(args.count, args.out, args.seed)
    elapsed = time.perf_counter() - started

    total = len(sizes)
    defective = total - defects.get("-", 0)
    print(f"wrote {total} policies to {args.out} in {elapsed:.2f} s (seed {args.seed})")
    print(f"size bytes: min {min(sizes)}  median {statistics.median(sizes):.0f}  "
          f"max {max(sizes)}  total {sum(sizes) / 1e6:.1f} MB")
    print(f"defective: {defective} ({100 * defective / total:.1f}%)")
    for name, n in sorted(defects.items(), key=lambda kv: -kv[1]):
        if name != "-":
            print(f"  {n:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
