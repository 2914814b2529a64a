# Networks of one site: mgmt, signing and public, each with an IPv4 subnet
# and, when configured, an IPv6 /64; one router to the external network; one
# port per host and network with port security on.

resource "openstack_networking_network_v2" "net" {
  for_each = local.networks

  name                  = "${local.prefix}-${each.key}"
  description           = local.network_descriptions[each.key]
  admin_state_up        = true
  port_security_enabled = true
}

resource "openstack_networking_subnet_v2" "v4" {
  for_each = local.networks

  name            = "${local.prefix}-${each.key}-v4"
  network_id      = openstack_networking_network_v2.net[each.key].id
  ip_version      = 4
  cidr            = each.value.cidr_v4
  gateway_ip      = cidrhost(each.value.cidr_v4, 1)
  enable_dhcp     = true
  dns_nameservers = [for ip in var.dns_nameservers : ip if !strcontains(ip, ":")]

  # .2-.39 are reserved for the fixed host addresses (see plan.tf); DHCP
  # hands out the rest.
  allocation_pool {
    start = cidrhost(each.value.cidr_v4, 40)
    end   = cidrhost(each.value.cidr_v4, -2)
  }
}

resource "openstack_networking_subnet_v2" "v6" {
  for_each = local.networks_v6

  name              = "${local.prefix}-${each.key}-v6"
  network_id        = openstack_networking_network_v2.net[each.key].id
  ip_version        = 6
  cidr              = each.value
  gateway_ip        = cidrhost(each.value, 1)
  enable_dhcp       = true
  ipv6_address_mode = "dhcpv6-stateful"
  ipv6_ra_mode      = "dhcpv6-stateful"
  dns_nameservers   = [for ip in var.dns_nameservers : ip if strcontains(ip, ":")]

  # ::2-::ffff are reserved for the fixed host addresses.
  allocation_pool {
    start = cidrhost(each.value, 65536)
    end   = cidrhost(each.value, 131071)
  }
}

resource "openstack_networking_router_v2" "site" {
  name                = local.prefix
  description         = "Router of site ${var.site_name}: management access, inter-site signing traffic, public DNS"
  admin_state_up      = true
  external_network_id = var.external_network_id
}

resource "openstack_networking_router_interface_v2" "v4" {
  for_each = local.networks

  router_id = openstack_networking_router_v2.site.id
  subnet_id = openstack_networking_subnet_v2.v4[each.key].id
}

resource "openstack_networking_router_interface_v2" "v6" {
  for_each = local.networks_v6

  router_id = openstack_networking_router_v2.site.id
  subnet_id = openstack_networking_subnet_v2.v6[each.key].id
}

resource "openstack_networking_port_v2" "host" {
  for_each = local.ports

  name                  = "${local.prefix}-${replace(each.key, "/", "-")}"
  network_id            = openstack_networking_network_v2.net[each.value.network].id
  admin_state_up        = true
  port_security_enabled = true
  security_group_ids    = [for group in each.value.security_groups : openstack_networking_secgroup_v2.group[group].id]

  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.v4[each.value.network].id
    ip_address = each.value.fixed_ips.v4
  }

  dynamic "fixed_ip" {
    for_each = contains(keys(each.value.fixed_ips), "v6") ? [each.value.fixed_ips.v6] : []
    content {
      subnet_id  = openstack_networking_subnet_v2.v6[each.value.network].id
      ip_address = fixed_ip.value
    }
  }

  # Anti-spoofing (BCP 38): the port may send only from the host's own
  # addresses. Neutron already allows the fixed IPs; they are listed here so
  # that the allowed set is explicit and reviewed, and nothing else (no
  # prefix, no other host's address) may ever be added.
  dynamic "allowed_address_pairs" {
    for_each = each.value.fixed_ips
    content {
      ip_address = allowed_address_pairs.value
    }
  }
}
