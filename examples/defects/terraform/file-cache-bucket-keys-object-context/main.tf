# An Amazon File Cache whose data repository is an SSE-KMS bucket with S3
# Bucket Keys on, so S3 sends the bucket ARN as encryption context; the
# bucket key policy, a template file, still names the objects (bucket/*).
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

variable "subnet_id" {
  type = string
}

variable "cache_id" {
  type        = string
  description = "The id of the cache (fc-...), which names its service-linked role"
  default     = "fc-0123456789abcdef0"
}

resource "aws_kms_key" "bucket" {
  enable_key_rotation = true
  policy = templatefile("${path.module}/policies/bucket-key.json.tpl", {
    account_id = data.aws_caller_identity.current.account_id
    region     = data.aws_region.current.name
    cache_id   = var.cache_id
    bucket     = aws_s3_bucket.data.bucket
  })
}

resource "aws_s3_bucket" "data" {
  bucket = "amzn-s3-demo-bucket"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.bucket.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_fsx_file_cache" "cache" {
  file_cache_type         = "LUSTRE"
  file_cache_type_version = "2.12"
  storage_capacity        = 1200
  subnet_ids              = [var.subnet_id]

  data_repository_association {
    file_cache_path      = "/ns1"
    data_repository_path = "s3://${aws_s3_bucket.data.bucket}/data/"
  }

  lustre_configuration {
    deployment_type             = "CACHE_1"
    per_unit_storage_throughput = 1000
    metadata_configuration {
      storage_capacity = 2400
    }
  }
}
