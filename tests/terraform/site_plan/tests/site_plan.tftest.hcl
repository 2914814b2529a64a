# terraform test of the site module's plan (variables.tf + plan.tf, no
# provider): hosts, addresses, ports, security group assignment, rule sets,
# the inventory contract, and every validation. Run by
# tests/terraform/test_site_plan.py on an assembled copy.

variables {
  site_name           = "a"
  external_network_id = "00000000-0000-4000-8000-00000000000a"
  image_id            = "00000000-0000-4000-8000-0000000000d1"
  key_pair            = "rsp-ops"
  signer_flavor       = "m1.large"
  secondary_flavor    = "m1.medium"
  networks = {
    mgmt    = { cidr_v4 = "192.0.2.0/26" }
    signing = { cidr_v4 = "192.0.2.64/26", cidr_v6 = "2001:db8:a:2::/64" }
    public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
  }
  dns_nameservers       = ["198.51.100.53", "2001:db8:ffff::53"]
  management_prefixes   = ["198.51.100.0/28", "2001:db8:ffff:1::/64"]
  signing_peer_prefixes = ["192.0.2.192/26", "2001:db8:b:2::/64"]
  hsm_endpoints         = [{ prefix = "198.51.100.112/29", port = 1792 }]
}

run "default_site" {
  command = plan

  assert {
    condition     = keys(output.hosts) == ["bind-a1", "nsd-a1", "signer-a1"]
    error_message = "One signer, one BIND and one NSD secondary named <role>-<site><n>."
  }

  assert {
    condition     = sort([for port in values(output.ports) : port.network if port.role == "signer"]) == tolist(["mgmt", "signing"])
    error_message = "A signer has a mgmt and a signing port, and no public port (hidden primary)."
  }

  assert {
    condition     = sort([for port in values(output.ports) : port.network if port.host == "nsd-a1"]) == tolist(["mgmt", "public", "signing"])
    error_message = "A secondary has a mgmt, a signing and a public port."
  }

  assert {
    condition = output.addresses["signer-a1"] == {
      mgmt       = "192.0.2.11"
      signing    = "192.0.2.75"
      signing_v6 = "2001:db8:a:2::11"
    }
    error_message = "signer-a1: .11 in every IPv4 prefix, ::11 in the IPv6 ones, no IPv6 on mgmt (none configured), no public address."
  }

  assert {
    condition     = output.addresses["bind-a1"].public == "203.0.113.21" && output.addresses["bind-a1"].public_v6 == "2001:db8:a:3::21" && output.addresses["nsd-a1"].public == "203.0.113.31"
    error_message = "Secondaries: BIND at .21/::21, NSD at .31/::31."
  }

  assert {
    condition = alltrue([
      for port in values(output.ports) :
      port.fixed_ips.v4 == output.addresses[port.host][port.network] &&
      (contains(keys(port.fixed_ips), "v6") ? port.fixed_ips.v6 == output.addresses[port.host]["${port.network}_v6"] : !contains(keys(output.addresses[port.host]), "${port.network}_v6"))
    ])
    error_message = "Every port's fixed IPs (and so its allowed address pairs) must be exactly the host's own addresses on that network."
  }

  assert {
    condition = alltrue([
      for port in values(output.ports) :
      cidrsubnet("${port.fixed_ips.v4}/${split("/", var.networks[port.network].cidr_v4)[1]}", 0, 0) == var.networks[port.network].cidr_v4
    ])
    error_message = "Every IPv4 fixed IP must lie in its network's prefix."
  }

  assert {
    condition     = length(distinct(flatten([for host in values(output.addresses) : values(host)]))) == length(flatten([for host in values(output.addresses) : values(host)]))
    error_message = "No two hosts may share an address."
  }

  assert {
    condition = alltrue([
      for port in values(output.ports) :
      jsonencode(port.security_groups) == jsonencode(
        port.role == "signer"
        ? { mgmt = ["mgmt", "signer_hsm"], signing = ["signer_signing"] }[port.network]
        : { mgmt = ["mgmt"], signing = ["secondary_signing"], public = ["secondary_public"] }[port.network]
      )
    ])
    error_message = "Security groups per port: signer mgmt=[mgmt, signer_hsm], signing=[signer_signing]; secondary mgmt=[mgmt], signing=[secondary_signing], public=[secondary_public]."
  }

  assert {
    condition     = alltrue([for port in values(output.ports) : alltrue([for group in port.security_groups : contains(keys(output.security_groups), group)])])
    error_message = "Every security group a port names must exist."
  }

  assert {
    condition     = length(output.public_dns) == 4 && alltrue([for rule in values(output.public_dns) : contains(["udp", "tcp"], rule.protocol) && contains(["0.0.0.0/0", "::/0"], rule.prefix)])
    error_message = "The public DNS rule set is 53/udp and 53/tcp from 0.0.0.0/0 and ::/0, nothing else."
  }

  assert {
    condition     = sort([for rule in values(output.dns_to_resolvers) : rule.prefix]) == tolist(["198.51.100.53/32", "198.51.100.53/32", "2001:db8:ffff::53/128", "2001:db8:ffff::53/128"])
    error_message = "Resolvers are reached as single addresses (/32, /128), over udp and tcp."
  }

  assert {
    condition     = sort([for rule in values(output.dns_to_peers) : "${rule.protocol} ${rule.prefix}"]) == tolist(["tcp 192.0.2.192/26", "tcp 2001:db8:b:2::/64", "udp 192.0.2.192/26", "udp 2001:db8:b:2::/64"])
    error_message = "Peer rules are 53/udp and 53/tcp to each peer signing prefix."
  }

  assert {
    condition     = output.networks_v6 == { signing = "2001:db8:a:2::/64", public = "2001:db8:a:3::/64" }
    error_message = "IPv6 subnets exist only where an IPv6 prefix is configured."
  }

  assert {
    condition     = { for name, host in output.inventory_site.hosts : name => host.role } == { "bind-a1" = "secondary_bind", "nsd-a1" = "secondary_nsd", "signer-a1" = "signer" }
    error_message = "inventory_site must carry each host's role."
  }
}

run "site_without_nsd_and_more_hosts" {
  command = plan

  variables {
    signer_count         = 2
    bind_secondary_count = 2
    nsd_secondary_count  = 0
  }

  assert {
    condition     = keys(output.hosts) == ["bind-a1", "bind-a2", "signer-a1", "signer-a2"]
    error_message = "Two signers, two BIND secondaries and no NSD secondary."
  }

  assert {
    condition     = output.addresses["signer-a2"].signing == "192.0.2.76" && output.addresses["signer-a2"].signing_v6 == "2001:db8:a:2::12" && output.addresses["bind-a2"].public == "203.0.113.22"
    error_message = "The n-th host of a role gets offset + n."
  }
}

run "largest_site_fits_below_the_dhcp_pool" {
  command = plan

  variables {
    signer_count         = 4
    bind_secondary_count = 8
    nsd_secondary_count  = 8
  }

  assert {
    condition     = length(output.hosts) == 20 && alltrue([for host in values(output.hosts) : host.hostnum >= 11 && host.hostnum <= 38])
    error_message = "Every fixed host number must stay in .11-.38, below the DHCP pool (.40 and up)."
  }

  assert {
    condition     = length(distinct(flatten([for host in values(output.addresses) : values(host)]))) == length(flatten([for host in values(output.addresses) : values(host)]))
    error_message = "No two hosts may share an address, even at the largest counts."
  }
}

run "inventory_accepts_the_site" {
  command = plan

  module {
    source = "./inventory"
  }

  variables {
    sites          = { a = run.default_site.inventory_site }
    primary_signer = "signer-a1"
  }

  assert {
    condition     = output.hostvars["nsd-a1"].rsp_addr_public_v6 == "2001:db8:a:3::31" && output.hostvars["signer-a1"].ansible_host == "192.0.2.11"
    error_message = "The inventory module must accept the site's inventory_site output as it is."
  }
}

run "rejects_bad_site_name" {
  command = plan
  variables {
    site_name = "Site-A"
  }
  expect_failures = [var.site_name]
}

run "rejects_bad_name_prefix" {
  command = plan
  variables {
    name_prefix = "rsp_dnssec-"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_network_name_as_external_network_id" {
  command = plan
  variables {
    external_network_id = "public"
  }
  expect_failures = [var.external_network_id]
}

run "rejects_image_name_as_image_id" {
  command = plan
  variables {
    image_id = "debian-13"
  }
  expect_failures = [var.image_id]
}

run "rejects_bad_key_pair" {
  command = plan
  variables {
    key_pair = ""
  }
  expect_failures = [var.key_pair]
}

run "rejects_bad_availability_zone" {
  command = plan
  variables {
    availability_zone = " nova"
  }
  expect_failures = [var.availability_zone]
}

run "rejects_empty_signer_flavor" {
  command = plan
  variables {
    signer_flavor = " "
  }
  expect_failures = [var.signer_flavor]
}

run "rejects_empty_secondary_flavor" {
  command = plan
  variables {
    secondary_flavor = ""
  }
  expect_failures = [var.secondary_flavor]
}

run "rejects_no_signer" {
  command = plan
  variables {
    signer_count = 0
  }
  expect_failures = [var.signer_count]
}

run "rejects_fractional_bind_count" {
  command = plan
  variables {
    bind_secondary_count = 1.5
  }
  expect_failures = [var.bind_secondary_count]
}

run "rejects_too_many_nsd" {
  command = plan
  variables {
    nsd_secondary_count = 9
  }
  expect_failures = [var.nsd_secondary_count]
}

run "rejects_site_without_secondary" {
  command = plan
  variables {
    bind_secondary_count = 0
    nsd_secondary_count  = 0
  }
  expect_failures = [var.nsd_secondary_count]
}

run "rejects_small_signer_volume" {
  command = plan
  variables {
    signer_volume_size_gb = 5
  }
  expect_failures = [var.signer_volume_size_gb]
}

run "rejects_huge_secondary_volume" {
  command = plan
  variables {
    secondary_volume_size_gb = 5000
  }
  expect_failures = [var.secondary_volume_size_gb]
}

run "rejects_empty_volume_type" {
  command = plan
  variables {
    volume_type = ""
  }
  expect_failures = [var.volume_type]
}

run "rejects_prefix_with_host_bits" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.1/26" }
      signing = { cidr_v4 = "192.0.2.64/26" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_too_small_prefix" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.0/27" }
      signing = { cidr_v4 = "192.0.2.64/26" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_public_without_ipv6" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.0/26" }
      signing = { cidr_v4 = "192.0.2.64/26" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = null }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_ipv6_prefix_other_than_64" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.0/26" }
      signing = { cidr_v4 = "192.0.2.64/26", cidr_v6 = "2001:db8:a:2::/56" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_overlapping_networks" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.0/24" }
      signing = { cidr_v4 = "192.0.2.64/26" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_same_ipv6_prefix_twice" {
  command = plan
  variables {
    networks = {
      mgmt    = { cidr_v4 = "192.0.2.0/26" }
      signing = { cidr_v4 = "192.0.2.64/26", cidr_v6 = "2001:db8:a:3::/64" }
      public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
    }
  }
  expect_failures = [var.networks]
}

run "rejects_resolver_with_prefix_length" {
  command = plan
  variables {
    dns_nameservers = ["198.51.100.53/32"]
  }
  expect_failures = [var.dns_nameservers]
}

run "rejects_ssh_from_anywhere_ipv4" {
  command = plan
  variables {
    management_prefixes = ["0.0.0.0/0"]
  }
  expect_failures = [var.management_prefixes]
}

run "rejects_ssh_from_anywhere_ipv6" {
  command = plan
  variables {
    management_prefixes = ["198.51.100.0/28", "::/0"]
  }
  expect_failures = [var.management_prefixes]
}

run "rejects_no_management_prefix" {
  command = plan
  variables {
    management_prefixes = []
  }
  expect_failures = [var.management_prefixes]
}

run "rejects_management_egress_to_the_internet" {
  command = plan
  variables {
    management_egress_prefixes = ["0.0.0.0/1"]
  }
  expect_failures = [var.management_egress_prefixes]
}

run "rejects_signing_peer_internet" {
  command = plan
  variables {
    signing_peer_prefixes = ["0.0.0.0/0"]
  }
  expect_failures = [var.signing_peer_prefixes]
}

run "rejects_wide_hsm_prefix" {
  command = plan
  variables {
    hsm_endpoints = [{ prefix = "198.51.0.0/16", port = 1792 }]
  }
  expect_failures = [var.hsm_endpoints]
}

run "rejects_bad_hsm_port" {
  command = plan
  variables {
    hsm_endpoints = [{ prefix = "198.51.100.112/29", port = 70000 }]
  }
  expect_failures = [var.hsm_endpoints]
}

run "rejects_affinity_policy" {
  command = plan
  variables {
    server_group_policy = "affinity"
  }
  expect_failures = [var.server_group_policy]
}
