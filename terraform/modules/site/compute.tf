# Instances of one site: the signers in one anti-affinity server group, the
# secondaries in another, each with a state volume.

resource "openstack_compute_servergroup_v2" "signers" {
  name     = "${local.prefix}-signers"
  policies = [var.server_group_policy]
}

resource "openstack_compute_servergroup_v2" "secondaries" {
  name     = "${local.prefix}-secondaries"
  policies = [var.server_group_policy]
}

resource "openstack_compute_instance_v2" "host" {
  for_each = local.hosts

  # The instance name is the inventory host name (and the guest's hostname).
  name                = each.key
  image_id            = var.image_id
  flavor_name         = each.value.role == "signer" ? var.signer_flavor : var.secondary_flavor
  key_pair            = var.key_pair
  availability_zone   = var.availability_zone
  config_drive        = true
  stop_before_destroy = true

  metadata = {
    rsp_site = var.site_name
    rsp_role = each.value.role
  }

  scheduler_hints {
    group = each.value.role == "signer" ? openstack_compute_servergroup_v2.signers.id : openstack_compute_servergroup_v2.secondaries.id
  }

  # mgmt first (the first interface), then signing, then public.
  dynamic "network" {
    for_each = each.value.networks
    content {
      port = openstack_networking_port_v2.host["${each.key}/${network.value}"].id
    }
  }
}

resource "openstack_blockstorage_volume_v3" "state" {
  for_each = local.hosts

  name        = "${local.prefix}-${each.key}-state"
  description = "State of ${each.key} (${each.value.role}): survives rebuilding the instance"
  size        = each.value.role == "signer" ? var.signer_volume_size_gb : var.secondary_volume_size_gb
  volume_type = var.volume_type

  metadata = {
    rsp_site = var.site_name
    rsp_role = each.value.role
  }
}

resource "openstack_compute_volume_attach_v2" "state" {
  for_each = local.hosts

  instance_id = openstack_compute_instance_v2.host[each.key].id
  volume_id   = openstack_blockstorage_volume_v3.state[each.key].id
}
