# Security groups: the same policy as the hardening role's host firewall.
#
# - mgmt:              SSH and ICMP echo only from var.management_prefixes;
#                      out only to DNS resolvers and var.management_egress_prefixes.
# - signer_hsm:        signers out to the network HSM endpoints only.
# - signer_signing:    the hidden primary: DNS (53/udp+tcp) only from this
#                      site's secondaries and the other sites' signing
#                      networks; NOTIFY out to the same. Never any public rule.
# - secondary_signing: secondaries: NOTIFY in from the signers, SOA/IXFR/AXFR
#                      out to the signers (this site's or a peer site's).
# - secondary_public:  secondaries' public service: DNS in from anywhere.
#
# Every group starts empty (delete_default_rules): no implicit egress.
# The rule sets (local.dns_by_family, local.dns_to_peers, ...) are in plan.tf.

resource "openstack_networking_secgroup_v2" "group" {
  for_each = local.security_groups

  name                 = "${local.prefix}-${replace(each.key, "_", "-")}"
  description          = each.value
  delete_default_rules = true
}

# --- mgmt -------------------------------------------------------------------

resource "openstack_networking_secgroup_rule_v2" "mgmt_ssh_in" {
  for_each = toset(var.management_prefixes)

  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id
  description       = "SSH from management prefix ${each.value}"
  direction         = "ingress"
  ethertype         = strcontains(each.value, ":") ? "IPv6" : "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = each.value
}

resource "openstack_networking_secgroup_rule_v2" "mgmt_icmp_in" {
  for_each = toset(var.management_prefixes)

  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id
  description       = "ICMP echo from management prefix ${each.value}"
  direction         = "ingress"
  ethertype         = strcontains(each.value, ":") ? "IPv6" : "IPv4"
  protocol          = strcontains(each.value, ":") ? "ipv6-icmp" : "icmp"
  port_range_min    = strcontains(each.value, ":") ? 128 : 8 # ICMP type: echo request
  remote_ip_prefix  = each.value
}

resource "openstack_networking_secgroup_rule_v2" "mgmt_dns_out" {
  for_each = local.dns_to_resolvers

  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id
  description       = "DNS to resolver ${each.value.prefix}"
  direction         = "egress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}

resource "openstack_networking_secgroup_rule_v2" "mgmt_services_out" {
  for_each = toset(var.management_egress_prefixes)

  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id
  description       = "Management services (mirror, NTP, logs, monitoring) in ${each.value}"
  direction         = "egress"
  ethertype         = strcontains(each.value, ":") ? "IPv6" : "IPv4"
  remote_ip_prefix  = each.value
}

# --- signer_hsm ---------------------------------------------------------------

resource "openstack_networking_secgroup_rule_v2" "signer_hsm_out" {
  for_each = local.hsm_endpoints

  security_group_id = openstack_networking_secgroup_v2.group["signer_hsm"].id
  description       = "Network HSM ${each.value.prefix} port ${each.value.port}"
  direction         = "egress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = "tcp"
  port_range_min    = each.value.port
  port_range_max    = each.value.port
  remote_ip_prefix  = each.value.prefix
}

# --- signer_signing (hidden primary) ----------------------------------------

resource "openstack_networking_secgroup_rule_v2" "signer_dns_from_secondaries" {
  for_each = local.dns_by_family

  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id
  description       = "SOA queries and zone transfers from this site's secondaries"
  direction         = "ingress"
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_group_id   = openstack_networking_secgroup_v2.group["secondary_signing"].id
}

resource "openstack_networking_secgroup_rule_v2" "signer_dns_from_peers" {
  for_each = local.dns_to_peers

  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id
  description       = "SOA queries and zone transfers from peer signing network ${each.value.prefix}"
  direction         = "ingress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}

resource "openstack_networking_secgroup_rule_v2" "signer_notify_to_secondaries" {
  for_each = local.dns_by_family

  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id
  description       = "NOTIFY to this site's secondaries"
  direction         = "egress"
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_group_id   = openstack_networking_secgroup_v2.group["secondary_signing"].id
}

resource "openstack_networking_secgroup_rule_v2" "signer_notify_to_peers" {
  for_each = local.dns_to_peers

  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id
  description       = "NOTIFY to secondaries in peer signing network ${each.value.prefix}"
  direction         = "egress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}

# --- secondary_signing --------------------------------------------------------

resource "openstack_networking_secgroup_rule_v2" "secondary_notify_from_signers" {
  for_each = local.dns_by_family

  security_group_id = openstack_networking_secgroup_v2.group["secondary_signing"].id
  description       = "NOTIFY from this site's signers"
  direction         = "ingress"
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_group_id   = openstack_networking_secgroup_v2.group["signer_signing"].id
}

resource "openstack_networking_secgroup_rule_v2" "secondary_notify_from_peers" {
  for_each = local.dns_to_peers

  security_group_id = openstack_networking_secgroup_v2.group["secondary_signing"].id
  description       = "NOTIFY from signers in peer signing network ${each.value.prefix}"
  direction         = "ingress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}

resource "openstack_networking_secgroup_rule_v2" "secondary_transfer_to_signers" {
  for_each = local.dns_by_family

  security_group_id = openstack_networking_secgroup_v2.group["secondary_signing"].id
  description       = "SOA queries and zone transfers to this site's signers"
  direction         = "egress"
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_group_id   = openstack_networking_secgroup_v2.group["signer_signing"].id
}

resource "openstack_networking_secgroup_rule_v2" "secondary_transfer_to_peers" {
  for_each = local.dns_to_peers

  security_group_id = openstack_networking_secgroup_v2.group["secondary_signing"].id
  description       = "SOA queries and zone transfers to signers in peer signing network ${each.value.prefix}"
  direction         = "egress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}

# --- secondary_public ---------------------------------------------------------

resource "openstack_networking_secgroup_rule_v2" "public_dns_in" {
  for_each = local.public_dns

  security_group_id = openstack_networking_secgroup_v2.group["secondary_public"].id
  description       = "Public DNS service: 53/${each.value.protocol} from anywhere"
  direction         = "ingress"
  ethertype         = strcontains(each.value.prefix, ":") ? "IPv6" : "IPv4"
  protocol          = each.value.protocol
  port_range_min    = 53
  port_range_max    = 53
  remote_ip_prefix  = each.value.prefix
}
