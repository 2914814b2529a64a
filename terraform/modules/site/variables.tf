# Inputs of one site (one data centre). Every input is typed, described and
# validated: a bad value stops `terraform plan` before anything is touched.

variable "site_name" {
  description = "Short name of the site (\"a\", \"b\", ...). It is part of every resource and host name (signer-a1, bind-a1, nsd-a1) and becomes rsp_site in the inventory."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,7}$", var.site_name))
    error_message = "site_name must be 1-8 characters, lower-case letters and digits, starting with a letter (e.g. \"a\")."
  }
}

variable "name_prefix" {
  description = "Prefix of every OpenStack resource name (networks, ports, security groups, instances, volumes)."
  type        = string
  default     = "rsp-dnssec"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters: lower-case letters, digits and '-', starting with a letter and not ending with '-'."
  }
}

variable "external_network_id" {
  description = "ID (UUID) of the provider's external network the site router is attached to (routing to the management prefixes, the other sites and the Internet)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.external_network_id))
    error_message = "external_network_id must be a network UUID in lower case (openstack network list --external)."
  }
}

variable "image_id" {
  description = "ID (UUID) of the Debian 13 (trixie) image every instance boots from."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.image_id))
    error_message = "image_id must be an image UUID in lower case (openstack image list); names are ambiguous and are not accepted."
  }
}

variable "key_pair" {
  description = "Name of the Nova key pair installed for the first login (Ansible then takes over access)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$", var.key_pair))
    error_message = "key_pair must be the name of an existing Nova key pair (letters, digits, '.', '_', '-')."
  }
}

variable "availability_zone" {
  description = "Compute availability zone of the instances, or null for the cloud's default."
  type        = string
  default     = null

  validation {
    condition     = var.availability_zone == null ? true : can(regex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$", var.availability_zone))
    error_message = "availability_zone must be null or an availability zone name (openstack availability zone list --compute)."
  }
}

variable "signer_flavor" {
  description = "Flavor name of the signer instances (Knot DNS hidden primary with HSM access)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.signer_flavor)) > 0
    error_message = "signer_flavor must be a flavor name (openstack flavor list)."
  }
}

variable "secondary_flavor" {
  description = "Flavor name of the public secondary instances (BIND and NSD)."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.secondary_flavor)) > 0
    error_message = "secondary_flavor must be a flavor name (openstack flavor list)."
  }
}

variable "signer_count" {
  description = "Number of signer instances in this site (1-4). They share an anti-affinity server group, so they never run on the same hypervisor."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.signer_count >= 1 && var.signer_count <= 4 && floor(var.signer_count) == var.signer_count
    error_message = "signer_count must be a whole number from 1 to 4."
  }
}

variable "bind_secondary_count" {
  description = "Number of BIND public secondaries in this site (0-8)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.bind_secondary_count >= 0 && var.bind_secondary_count <= 8 && floor(var.bind_secondary_count) == var.bind_secondary_count
    error_message = "bind_secondary_count must be a whole number from 0 to 8."
  }
}

variable "nsd_secondary_count" {
  description = "Number of NSD public secondaries in this site (0-8). A site with BIND only sets 0."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.nsd_secondary_count >= 0 && var.nsd_secondary_count <= 8 && floor(var.nsd_secondary_count) == var.nsd_secondary_count
    error_message = "nsd_secondary_count must be a whole number from 0 to 8."
  }

  validation {
    condition     = var.bind_secondary_count + var.nsd_secondary_count >= 1
    error_message = "A site needs at least one public secondary: bind_secondary_count + nsd_secondary_count must be 1 or more."
  }
}

variable "signer_volume_size_gb" {
  description = "Size in GB of each signer's state volume (Knot zone storage, KASP database, the collection's rollover state and audit journal)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.signer_volume_size_gb >= 10 && var.signer_volume_size_gb <= 2000 && floor(var.signer_volume_size_gb) == var.signer_volume_size_gb
    error_message = "signer_volume_size_gb must be a whole number from 10 to 2000."
  }
}

variable "secondary_volume_size_gb" {
  description = "Size in GB of each secondary's state volume (transferred zones and journals)."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.secondary_volume_size_gb >= 10 && var.secondary_volume_size_gb <= 2000 && floor(var.secondary_volume_size_gb) == var.secondary_volume_size_gb
    error_message = "secondary_volume_size_gb must be a whole number from 10 to 2000."
  }
}

variable "volume_type" {
  description = "Cinder volume type of the state volumes, or null for the cloud's default type."
  type        = string
  default     = null

  validation {
    condition     = var.volume_type == null ? true : length(trimspace(var.volume_type)) > 0
    error_message = "volume_type must be null or a volume type name (openstack volume type list)."
  }
}

variable "networks" {
  description = <<-EOT
    Address plan of the site's three networks: `mgmt` (SSH and management
    traffic), `signing` (hidden primary <-> secondaries: zone transfers and
    NOTIFY) and `public` (the secondaries' public DNS service). Each has an
    IPv4 prefix (`cidr_v4`, /16 to /26) and an IPv6 /64 (`cidr_v6`), optional
    on mgmt and signing, required on public. Hosts get fixed addresses:
    signers .11-.14, BIND secondaries .21-.28, NSD secondaries .31-.38 (and
    ::11, ::21, ::31, ... in IPv6).
  EOT
  type = object({
    mgmt = object({
      cidr_v4 = string
      cidr_v6 = optional(string)
    })
    signing = object({
      cidr_v4 = string
      cidr_v6 = optional(string)
    })
    public = object({
      cidr_v4 = string
      cidr_v6 = string
    })
  })
  nullable = false

  validation {
    condition = alltrue([
      for net in [var.networks.mgmt, var.networks.signing, var.networks.public] :
      try(can(cidrnetmask(net.cidr_v4)) && cidrsubnet(net.cidr_v4, 0, 0) == net.cidr_v4 && tonumber(split("/", net.cidr_v4)[1]) >= 16 && tonumber(split("/", net.cidr_v4)[1]) <= 26, false)
    ])
    error_message = "Every cidr_v4 must be an IPv4 network address with a prefix length from /16 to /26 (e.g. 192.0.2.0/26; no host bits set)."
  }

  validation {
    condition = var.networks.public.cidr_v6 != null && alltrue([
      for cidr in [var.networks.mgmt.cidr_v6, var.networks.signing.cidr_v6, var.networks.public.cidr_v6] :
      cidr == null ? true : try(strcontains(cidr, ":") && endswith(cidr, "/64") && cidrsubnet(cidr, 0, 0) == cidr, false)
    ])
    error_message = "Every cidr_v6 must be an IPv6 /64 network address in canonical form (e.g. 2001:db8:a:3::/64), and networks.public.cidr_v6 must be set: the public secondaries must answer over IPv6."
  }

  validation {
    condition = alltrue([
      for pair in setproduct(
        [var.networks.mgmt.cidr_v4, var.networks.signing.cidr_v4, var.networks.public.cidr_v4],
        [var.networks.mgmt.cidr_v4, var.networks.signing.cidr_v4, var.networks.public.cidr_v4],
      ) :
      pair[0] == pair[1] || try(
        cidrsubnet("${cidrhost(pair[0], 0)}/${min(tonumber(split("/", pair[0])[1]), tonumber(split("/", pair[1])[1]))}", 0, 0) !=
        cidrsubnet("${cidrhost(pair[1], 0)}/${min(tonumber(split("/", pair[0])[1]), tonumber(split("/", pair[1])[1]))}", 0, 0),
        true
      )
    ]) && length(distinct([var.networks.mgmt.cidr_v4, var.networks.signing.cidr_v4, var.networks.public.cidr_v4])) == 3 && length(compact([var.networks.mgmt.cidr_v6, var.networks.signing.cidr_v6, var.networks.public.cidr_v6])) == length(distinct(compact([var.networks.mgmt.cidr_v6, var.networks.signing.cidr_v6, var.networks.public.cidr_v6])))
    error_message = "The mgmt, signing and public prefixes must not overlap: give each network its own IPv4 prefix and its own IPv6 /64."
  }
}

variable "dns_nameservers" {
  description = "IP addresses of the recursive resolvers the hosts use (handed out by DHCP; the management security group allows DNS to them)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for ip in var.dns_nameservers :
      strcontains(ip, ":") ? try(cidrhost("${ip}/128", 0) == ip, false) : try(cidrhost("${ip}/32", 0) == ip, false)
    ])
    error_message = "dns_nameservers must be single IPv4 or IPv6 addresses in canonical form (no prefix length)."
  }
}

variable "management_prefixes" {
  description = "Prefixes SSH (and ICMP echo) may come from: the operators' bastions and the Ansible controller. Nothing else reaches port 22 on any host."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.management_prefixes) > 0
    error_message = "management_prefixes is empty: give the prefixes of the bastions / Ansible controller, or no one can manage the hosts."
  }

  validation {
    condition = alltrue([
      for prefix in var.management_prefixes :
      try(cidrsubnet(prefix, 0, 0) == prefix && tonumber(split("/", prefix)[1]) >= (strcontains(prefix, ":") ? 32 : 8), false)
    ])
    error_message = "Every management prefix must be a network address in canonical form, at least /8 (IPv4) or /32 (IPv6): 0.0.0.0/0, ::/0 and other huge prefixes would open SSH to the Internet."
  }
}

variable "management_egress_prefixes" {
  description = "Prefixes the hosts may open connections to from the management network (package mirror or proxy, NTP, log and monitoring collectors). Nothing else is reachable from the management network."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for prefix in var.management_egress_prefixes :
      try(cidrsubnet(prefix, 0, 0) == prefix && tonumber(split("/", prefix)[1]) >= (strcontains(prefix, ":") ? 32 : 8), false)
    ])
    error_message = "Every management egress prefix must be a network address in canonical form, at least /8 (IPv4) or /32 (IPv6): use a mirror or proxy instead of opening the Internet."
  }
}

variable "signing_peer_prefixes" {
  description = "Signing-network prefixes of the OTHER sites (plain values, never references to their state). Zone transfers and NOTIFY to and from these prefixes are allowed, so a secondary can follow a hidden primary in another site. The route between sites (VPN, interconnect) must not NAT these addresses."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for prefix in var.signing_peer_prefixes :
      try(cidrsubnet(prefix, 0, 0) == prefix && tonumber(split("/", prefix)[1]) >= (strcontains(prefix, ":") ? 32 : 16), false)
    ])
    error_message = "Every signing peer prefix must be a network address in canonical form, at least /16 (IPv4) or /32 (IPv6): it stands for another site's signing network, not the Internet."
  }
}

variable "hsm_endpoints" {
  description = "Network HSM endpoints the signers reach from the management network: `prefix` (the HSM's address or network) and TCP `port` (e.g. 1792 for Luna, 9004 for nShield). Empty when the HSM is a local device."
  type = list(object({
    prefix = string
    port   = number
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([
      for endpoint in var.hsm_endpoints :
      try(cidrsubnet(endpoint.prefix, 0, 0) == endpoint.prefix && tonumber(split("/", endpoint.prefix)[1]) >= (strcontains(endpoint.prefix, ":") ? 64 : 24), false)
    ])
    error_message = "Every hsm_endpoints prefix must be a network address in canonical form, /24 or longer (IPv4), /64 or longer (IPv6)."
  }

  validation {
    condition     = alltrue([for endpoint in var.hsm_endpoints : endpoint.port >= 1 && endpoint.port <= 65535 && floor(endpoint.port) == endpoint.port])
    error_message = "Every hsm_endpoints port must be a TCP port number from 1 to 65535."
  }
}

variable "server_group_policy" {
  description = "Nova server group policy of the signers' group and of the secondaries' group: \"anti-affinity\" (instances never share a hypervisor; scheduling fails if impossible) or \"soft-anti-affinity\" (best effort)."
  type        = string
  default     = "anti-affinity"
  nullable    = false

  validation {
    condition     = contains(["anti-affinity", "soft-anti-affinity"], var.server_group_policy)
    error_message = "server_group_policy must be \"anti-affinity\" or \"soft-anti-affinity\"."
  }
}
