#!/usr/bin/env python3
"""Generates CloudFormation templates or Terraform modules for the whole-process
benchmark of the host readers (benches/hosts.sh).

Each template or module holds one to three keys with the resources that use
them (FSx for Lustre or Windows, EFS, File Cache with a linked SSE-KMS bucket),
written the ways real ones are (intrinsic functions, parameters, conditions;
jsonencode, aws_iam_policy_document, heredocs), padded with unrelated
resources to 2-10 KB. About one in five carries a defect. Deterministic for a
given seed.

    generate_hosts.py --kind cloudformation --count 100 --out DIR
    generate_hosts.py --kind terraform --count 100 --out DIR
"""

import argparse
import os
import random

SERVICES = ["lustre", "windows", "efs", "cache"]

ADMIN_ACTIONS = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
    "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
               "kms:CreateGrant", "kms:DescribeKey"]


def use_actions(rng, defect):
    actions = list(USE_ACTIONS)
    if defect == "typo":
        actions[1] = "kms:Decrypts"
    elif defect == "grant":
        actions.remove("kms:CreateGrant")
    return actions


# --------------------------------------------------------------- CloudFormation

def yaml_list(items, indent):
    pad = " " * indent
    return "".join(f"{pad}- {item}\n" for item in items)


def cfn_key(rng, i, service, defect):
    via = {"lustre": "fsx", "windows": "fsx", "cache": "fsx", "efs": "elasticfilesystem"}[service]
    rotation = "false" if defect == "rotation" else "true"
    return f"""  Key{i}:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub 'Key {i} of ${{AWS::StackName}}'
      EnableKeyRotation: {rotation}
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Enable IAM User Permissions
            Effect: Allow
            Principal:
              AWS: !Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:root'
            Action: 'kms:*'
            Resource: '*'
          - Sid: Allow access for Key Administrators
            Effect: Allow
            Principal:
              AWS: !GetAtt KeyAdmin.Arn
            Action:
{yaml_list(ADMIN_ACTIONS, 14)}            Resource: '*'
          - Sid: Allow access through the service for all principals in the account
            Effect: Allow
            Principal:
              AWS: '*'
            Action:
{yaml_list(use_actions(rng, defect), 14)}            Resource: '*'
            Condition:
              StringEquals:
                'kms:CallerAccount': !Ref AWS::AccountId
                'kms:ViaService': !Sub '{via}.${{AWS::Region}}.amazonaws.com'
"""


def cfn_consumer(rng, i, service):
    if service == "efs":
        return f"""  Files{i}:
    Type: AWS::EFS::FileSystem
    Properties:
      Encrypted: true
      KmsKeyId: !GetAtt Key{i}.Arn
"""
    if service == "cache":
        return f"""  Cache{i}:
    Type: AWS::FSx::FileCache
    Properties:
      FileCacheType: LUSTRE
      FileCacheTypeVersion: '2.12'
      StorageCapacity: 1200
      SubnetIds: [!Ref SubnetId]
      KmsKeyId: !Ref Key{i}
      LustreConfiguration:
        DeploymentType: CACHE_1
        PerUnitStorageThroughput: 1000
        MetadataConfiguration: {{StorageCapacity: 2400}}
      DataRepositoryAssociations:
        - FileCachePath: /ns1
          DataRepositoryPath: !Sub 's3://${{Data{i}}}/data/'
  Data{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: 'aws:kms'
              KMSMasterKeyID: !GetAtt Key{i}.Arn
            BucketKeyEnabled: {rng.choice(['true', 'false'])}
"""
    kind = "LUSTRE" if service == "lustre" else "WINDOWS"
    extra = ("      LustreConfiguration:\n        DeploymentType: PERSISTENT_2\n"
             "        PerUnitStorageThroughput: 125\n") if kind == "LUSTRE" else (
             "      WindowsConfiguration:\n        ThroughputCapacity: 32\n")
    return f"""  FileSystem{i}:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: {kind}
      StorageCapacity: 1200
      SubnetIds: [!Ref SubnetId]
      KmsKeyId: !Ref Key{i}
{extra}"""


def cfn_padding(rng, n):
    out = []
    for j in range(n):
        out.append(f"""  Topic{j}:
    Type: AWS::SNS::Topic
    Condition: IsProd
    Properties:
      TopicName: !Sub '${{AWS::StackName}}-topic-{j}'
      Tags:
        - Key: team
          Value: !FindInMap [Teams, !Ref Stage, Name]
""")
    return "".join(out)


def cloudformation(rng, n):
    keys = rng.randint(1, 3)
    body = ["AWSTemplateFormatVersion: '2010-09-09'\n",
            f"Description: Generated template {n} for the host benchmark\n",
            "Parameters:\n  SubnetId:\n    Type: AWS::EC2::Subnet::Id\n",
            "  Stage:\n    Type: String\n    AllowedValues: [dev, prod]\n    Default: dev\n",
            "Mappings:\n  Teams:\n    dev: {Name: platform-dev}\n    prod: {Name: platform}\n",
            "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n",
            "Resources:\n",
            """  KeyAdmin:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}
            Action: 'sts:AssumeRole'
"""]
    for i in range(keys):
        service = rng.choice(SERVICES)
        defect = rng.choice(["typo", "grant", "rotation"]) if rng.random() < 0.2 else None
        body.append(cfn_key(rng, i, service, defect))
        body.append(cfn_consumer(rng, i, service))
    size = sum(len(b) for b in body)
    target = rng.randint(2048, 10240)
    if size < target:
        body.append(cfn_padding(rng, max(0, (target - size) // 230)))
    return "".join(body)


# --------------------------------------------------------------- Terraform

def hcl_list(items):
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def tf_key(rng, i, service, defect):
    via = {"lustre": "fsx", "windows": "fsx", "cache": "fsx", "efs": "elasticfilesystem"}[service]
    rotation = "false" if defect == "rotation" else "true"
    style = rng.choice(["jsonencode", "document"])
    if style == "jsonencode":
        policy = f"""jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid       = "Enable IAM User Permissions"
        Effect    = "Allow"
        Principal = {{ AWS = "arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:root" }}
        Action    = "kms:*"
        Resource  = "*"
      }},
      {{
        Sid       = "Allow access for Key Administrators"
        Effect    = "Allow"
        Principal = {{ AWS = aws_iam_role.admin.arn }}
        Action    = {hcl_list(ADMIN_ACTIONS)}
        Resource  = "*"
      }},
      {{
        Sid       = "Allow access through the service for all principals in the account"
        Effect    = "Allow"
        Principal = {{ AWS = "*" }}
        Action    = {hcl_list(use_actions(rng, defect))}
        Resource  = "*"
        Condition = {{
          StringEquals = {{
            "kms:CallerAccount" = data.aws_caller_identity.current.account_id
            "kms:ViaService"    = "{via}.${{data.aws_region.current.name}}.amazonaws.com"
          }}
        }}
      }},
    ]
  }})"""
        document = ""
    else:
        policy = f"data.aws_iam_policy_document.key{i}.json"
        document = f"""
data "aws_iam_policy_document" "key{i}" {{
  statement {{
    sid       = "Enable IAM User Permissions"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}
  statement {{
    sid       = "Allow access for Key Administrators"
    actions   = {hcl_list(ADMIN_ACTIONS)}
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = [aws_iam_role.admin.arn]
    }}
  }}
  statement {{
    sid       = "Allow access through the service for all principals in the account"
    actions   = {hcl_list(use_actions(rng, defect))}
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["*"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }}
    condition {{
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["{via}.${{data.aws_region.current.name}}.amazonaws.com"]
    }}
  }}
}}
"""
    return f"""{document}
resource "aws_kms_key" "key{i}" {{
  description         = "key {i}"
  enable_key_rotation = {rotation}
  policy              = {policy}
}}
"""


def tf_consumer(rng, i, service):
    if service == "efs":
        return f"""
resource "aws_efs_file_system" "files{i}" {{
  encrypted  = true
  kms_key_id = aws_kms_key.key{i}.arn
}}
"""
    if service == "cache":
        return f"""
resource "aws_s3_bucket" "data{i}" {{
  bucket = "example-data-{i}-${{var.stage}}"
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "data{i}" {{
  bucket = aws_s3_bucket.data{i}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.key{i}.arn
    }}
    bucket_key_enabled = {rng.choice(['true', 'false'])}
  }}
}}

resource "aws_fsx_file_cache" "cache{i}" {{
  file_cache_type         = "LUSTRE"
  file_cache_type_version = "2.12"
  storage_capacity        = 1200
  subnet_ids              = [var.subnet_id]
  kms_key_id              = aws_kms_key.key{i}.arn
  data_repository_association {{
    file_cache_path      = "/ns1"
    data_repository_path = "s3://${{aws_s3_bucket.data{i}.bucket}}/data/"
  }}
  lustre_configuration {{
    deployment_type             = "CACHE_1"
    per_unit_storage_throughput = 1000
    metadata_configuration {{
      storage_capacity = 2400
    }}
  }}
}}
"""
    if service == "lustre":
        return f"""
resource "aws_fsx_lustre_file_system" "fs{i}" {{
  storage_capacity            = 1200
  subnet_ids                  = [var.subnet_id]
  deployment_type             = "PERSISTENT_2"
  per_unit_storage_throughput = 125
  kms_key_id                  = aws_kms_key.key{i}.arn
}}
"""
    return f"""
resource "aws_fsx_windows_file_system" "fs{i}" {{
  storage_capacity    = 32
  subnet_ids          = [var.subnet_id]
  throughput_capacity = 32
  kms_key_id          = aws_kms_key.key{i}.arn
}}
"""


def tf_padding(n):
    return "".join(f"""
resource "aws_sns_topic" "topic{j}" {{
  name = "${{var.stage}}-topic-{j}"
  tags = {{
    team  = local.team
    stage = var.stage
  }}
}}
""" for j in range(n))


def terraform(rng, n):
    keys = rng.randint(1, 3)
    body = [f"""# Generated module {n} for the host benchmark
data "aws_caller_identity" "current" {{}}
data "aws_region" "current" {{}}
data "aws_partition" "current" {{}}

variable "subnet_id" {{
  type = string
}}

variable "stage" {{
  type    = string
  default = "dev"
}}

locals {{
  team = "platform-${{var.stage}}"
}}

resource "aws_iam_role" "admin" {{
  name = "key-admin-{n}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ AWS = "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root" }}, Action = "sts:AssumeRole" }}]
  }})
}}
"""]
    for i in range(keys):
        service = rng.choice(SERVICES)
        defect = rng.choice(["typo", "grant", "rotation"]) if rng.random() < 0.2 else None
        body.append(tf_key(rng, i, service, defect))
        body.append(tf_consumer(rng, i, service))
    size = sum(len(b) for b in body)
    target = rng.randint(2048, 10240)
    if size < target:
        body.append(tf_padding(max(0, (target - size) // 130)))
    return "".join(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=["cloudformation", "terraform"], required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for n in range(args.count):
        if args.kind == "cloudformation":
            path = os.path.join(args.out, f"template-{n:05}.yaml")
            text = cloudformation(rng, n)
        else:
            directory = os.path.join(args.out, f"module-{n:05}")
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, "main.tf")
            text = terraform(rng, n)
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
