terraform {
  required_version = "~> 1.11.0"

  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "3.0.0"
    }
  }

  # State of site B alone, in an S3-compatible object store of site B
  # (e.g. Ceph RGW or Swift's S3 API). Bucket, endpoint and credentials come
  # from `terraform init -backend-config=backend.s3.tfbackend` (not in git;
  # see backend.s3.tfbackend.example and docs/terraform.md).
  backend "s3" {
    key          = "rsp-dnssec/production/site-b.tfstate"
    use_lockfile = true
  }
}
