# Production site A: one data centre, built and destroyed on its own.
# Nothing here refers to another site: the other sites' signing prefixes
# arrive as plain values (signing_peer_prefixes), never as references to
# their state or resources.

provider "openstack" {
  cloud = var.cloud
}

module "site" {
  source    = "../../../modules/site"
  site_name = "a"

  name_prefix                = var.name_prefix
  external_network_id        = var.external_network_id
  image_id                   = var.image_id
  key_pair                   = var.key_pair
  availability_zone          = var.availability_zone
  signer_flavor              = var.signer_flavor
  secondary_flavor           = var.secondary_flavor
  signer_count               = var.signer_count
  bind_secondary_count       = var.bind_secondary_count
  nsd_secondary_count        = var.nsd_secondary_count
  signer_volume_size_gb      = var.signer_volume_size_gb
  secondary_volume_size_gb   = var.secondary_volume_size_gb
  volume_type                = var.volume_type
  networks                   = var.networks
  dns_nameservers            = var.dns_nameservers
  management_prefixes        = var.management_prefixes
  management_egress_prefixes = var.management_egress_prefixes
  signing_peer_prefixes      = var.signing_peer_prefixes
  hsm_endpoints              = var.hsm_endpoints
  server_group_policy        = var.server_group_policy
}
