# The site's plan: hosts, their networks and fixed addresses, the security
# groups of each port and the rule sets of security.tf. Pure expressions over
# the variables (no resource, no provider): known before apply, and tested
# offline (tests/terraform/site_plan).

locals {
  prefix = "${var.name_prefix}-${var.site_name}"

  # Host roles, the inventory groups they end up in, and their networks. A
  # signer is a hidden primary: it has no port on the public network.
  roles = {
    signer = {
      short    = "signer"
      count    = var.signer_count
      offset   = 10
      networks = ["mgmt", "signing"]
    }
    secondary_bind = {
      short    = "bind"
      count    = var.bind_secondary_count
      offset   = 20
      networks = ["mgmt", "signing", "public"]
    }
    secondary_nsd = {
      short    = "nsd"
      count    = var.nsd_secondary_count
      offset   = 30
      networks = ["mgmt", "signing", "public"]
    }
  }

  # signer-a1, bind-a1, nsd-a1, ...: the host number is the role's offset
  # plus the index, in IPv4 (.11) and, read as hexadecimal, in IPv6 (::11).
  hosts = merge([
    for role, spec in local.roles : {
      for index in range(1, spec.count + 1) : "${spec.short}-${var.site_name}${index}" => {
        role     = role
        hostnum  = spec.offset + index
        networks = spec.networks
      }
    }
  ]...)

  # Addresses by network name: mgmt, signing, public (IPv4) and mgmt_v6,
  # signing_v6, public_v6 (IPv6, when the network has an IPv6 prefix).
  addresses = {
    for name, host in local.hosts : name => merge([
      for network in host.networks : {
        for key, address in {
          (network)       = cidrhost(var.networks[network].cidr_v4, host.hostnum)
          "${network}_v6" = var.networks[network].cidr_v6 == null ? null : cidrhost(var.networks[network].cidr_v6, parseint(tostring(host.hostnum), 16))
        } : key => address if address != null
      }
    ]...)
  }

  # Security groups of each port, by role and network (names of the
  # openstack_networking_secgroup_v2.group instances, see security.tf).
  port_security_groups = {
    signer = {
      mgmt    = ["mgmt", "signer_hsm"]
      signing = ["signer_signing"]
    }
    secondary_bind = {
      mgmt    = ["mgmt"]
      signing = ["secondary_signing"]
      public  = ["secondary_public"]
    }
    secondary_nsd = {
      mgmt    = ["mgmt"]
      signing = ["secondary_signing"]
      public  = ["secondary_public"]
    }
  }

  # One port per host and network ("signer-a1/mgmt"), with the host's own
  # fixed addresses: the only addresses port security lets it send from.
  ports = merge([
    for name, host in local.hosts : {
      for network in host.networks : "${name}/${network}" => {
        host            = name
        role            = host.role
        network         = network
        security_groups = local.port_security_groups[host.role][network]
        fixed_ips = merge(
          { v4 = local.addresses[name][network] },
          contains(keys(local.addresses[name]), "${network}_v6") ? { v6 = local.addresses[name]["${network}_v6"] } : {},
        )
      }
    }
  ]...)

  # IPv6 prefixes that exist, by network name.
  networks_v6 = { for network, spec in var.networks : network => spec.cidr_v6 if spec.cidr_v6 != null }

  # The contract with terraform/modules/inventory (and with any other site
  # module, e.g. for another cloud): host name => role and addresses.
  inventory_site = {
    hosts = {
      for name, host in local.hosts : name => {
        role      = host.role
        addresses = local.addresses[name]
      }
    }
  }

  # --- Networks (network.tf) ---

  networks = tomap(var.networks)

  network_descriptions = {
    mgmt    = "Management: SSH from the management prefixes, package mirror, NTP, logs, HSM"
    signing = "Signing: hidden primary <-> secondaries (zone transfers, NOTIFY); never public"
    public  = "Public DNS service of the secondaries"
  }

  # --- Security groups and rule sets (security.tf) ---

  security_groups = {
    mgmt              = "Management: SSH/ICMP from management prefixes; out to resolvers and management services"
    signer_hsm        = "Signers: out to the network HSM"
    signer_signing    = "Hidden primary: DNS only from the secondaries and peer signing networks"
    secondary_signing = "Secondaries: NOTIFY from the signers, transfers to the signers"
    secondary_public  = "Secondaries: public DNS service (53/udp, 53/tcp)"
  }

  dns_protocols = ["udp", "tcp"]
  ethertypes    = ["IPv4", "IPv6"]

  # 53/udp and 53/tcp x IPv4 and IPv6, for rules between security groups.
  dns_by_family = {
    for pair in setproduct(local.dns_protocols, local.ethertypes) : "${pair[0]}-${pair[1]}" => {
      protocol  = pair[0]
      ethertype = pair[1]
    }
  }

  # 53/udp and 53/tcp x each signing peer prefix.
  dns_to_peers = {
    for pair in setproduct(local.dns_protocols, var.signing_peer_prefixes) : "${pair[0]}-${pair[1]}" => {
      protocol = pair[0]
      prefix   = pair[1]
    }
  }

  # 53/udp and 53/tcp x each resolver address.
  dns_to_resolvers = {
    for pair in setproduct(local.dns_protocols, var.dns_nameservers) : "${pair[0]}-${pair[1]}" => {
      protocol = pair[0]
      prefix   = strcontains(pair[1], ":") ? "${pair[1]}/128" : "${pair[1]}/32"
    }
  }

  hsm_endpoints = { for endpoint in var.hsm_endpoints : "${endpoint.prefix}-${endpoint.port}" => endpoint }

  public_dns = {
    for pair in setproduct(local.dns_protocols, ["0.0.0.0/0", "::/0"]) : "${pair[0]}-${pair[1]}" => {
      protocol = pair[0]
      prefix   = pair[1]
    }
  }
}
