# Inputs of site A. They are passed unchanged to terraform/modules/site,
# which validates every one of them (see its variables.tf for the rules).

variable "cloud" {
  description = "Name of the clouds.yaml entry (OpenStack project and region) site A is built in. Credentials stay in clouds.yaml / secure.yaml or OS_* variables, never in this repository."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.cloud)) > 0
    error_message = "cloud must name an entry of clouds.yaml (e.g. \"rsp-site-a\")."
  }
}

variable "name_prefix" {
  description = "Prefix of every OpenStack resource name (networks, ports, security groups, instances, volumes)."
  type        = string
  default     = "rsp-dnssec"
  nullable    = false
}

variable "external_network_id" {
  description = "ID (UUID) of the provider's external network the site router is attached to (routing to the management prefixes, the other sites and the Internet)."
  type        = string
  nullable    = false
}

variable "image_id" {
  description = "ID (UUID) of the Debian 13 (trixie) image every instance boots from."
  type        = string
  nullable    = false
}

variable "key_pair" {
  description = "Name of the Nova key pair installed for the first login (Ansible then takes over access)."
  type        = string
  nullable    = false
}

variable "availability_zone" {
  description = "Compute availability zone of the instances, or null for the cloud's default."
  type        = string
  default     = null
}

variable "signer_flavor" {
  description = "Flavor name of the signer instances (Knot DNS hidden primary with HSM access)."
  type        = string
  nullable    = false
}

variable "secondary_flavor" {
  description = "Flavor name of the public secondary instances (BIND and NSD)."
  type        = string
  nullable    = false
}

variable "signer_count" {
  description = "Number of signer instances in this site (1-4). They share an anti-affinity server group, so they never run on the same hypervisor."
  type        = number
  default     = 1
  nullable    = false
}

variable "bind_secondary_count" {
  description = "Number of BIND public secondaries in this site (0-8)."
  type        = number
  default     = 1
  nullable    = false
}

variable "nsd_secondary_count" {
  description = "Number of NSD public secondaries in this site (0-8). A site with BIND only sets 0."
  type        = number
  default     = 1
  nullable    = false
}

variable "signer_volume_size_gb" {
  description = "Size in GB of each signer's state volume (Knot zone storage, KASP database, the collection's rollover state and audit journal)."
  type        = number
  default     = 20
  nullable    = false
}

variable "secondary_volume_size_gb" {
  description = "Size in GB of each secondary's state volume (transferred zones and journals)."
  type        = number
  default     = 20
  nullable    = false
}

variable "volume_type" {
  description = "Cinder volume type of the state volumes, or null for the cloud's default type."
  type        = string
  default     = null
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
}

variable "dns_nameservers" {
  description = "IP addresses of the recursive resolvers the hosts use (handed out by DHCP; the management security group allows DNS to them)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "management_prefixes" {
  description = "Prefixes SSH (and ICMP echo) may come from: the operators' bastions and the Ansible controller. Nothing else reaches port 22 on any host."
  type        = list(string)
  nullable    = false
}

variable "management_egress_prefixes" {
  description = "Prefixes the hosts may open connections to from the management network (package mirror or proxy, NTP, log and monitoring collectors). Nothing else is reachable from the management network."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "signing_peer_prefixes" {
  description = "Signing-network prefixes of the OTHER sites (plain values, never references to their state). Zone transfers and NOTIFY to and from these prefixes are allowed, so a secondary can follow a hidden primary in another site. The route between sites (VPN, interconnect) must not NAT these addresses."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "hsm_endpoints" {
  description = "Network HSM endpoints the signers reach from the management network: `prefix` (the HSM's address or network) and TCP `port` (e.g. 1792 for Luna, 9004 for nShield). Empty when the HSM is a local device."
  type = list(object({
    prefix = string
    port   = number
  }))
  default  = []
  nullable = false
}

variable "server_group_policy" {
  description = "Nova server group policy of the signers' group and of the secondaries' group: \"anti-affinity\" (instances never share a hypervisor; scheduling fails if impossible) or \"soft-anti-affinity\" (best effort)."
  type        = string
  default     = "anti-affinity"
  nullable    = false
}
