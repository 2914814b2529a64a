variable "sites" {
  description = <<-EOT
    The sites to put in the inventory, keyed by site name ("a", "b", ...). Each
    value is the `inventory_site` output of a site module (terraform/modules/site,
    or any other site module that produces the same output): `hosts`, a map of
    host name to the host's `role` ("signer", "secondary_bind" or
    "secondary_nsd") and its `addresses` by network ("mgmt", "signing",
    "public", and "mgmt_v6", "signing_v6", "public_v6" for IPv6).
  EOT
  type = map(object({
    hosts = map(object({
      role      = string
      addresses = map(string)
    }))
  }))
  nullable = false

  validation {
    condition     = length(var.sites) > 0
    error_message = "sites is empty: give at least one site (the `inventory_site` output of a site module)."
  }

  validation {
    condition     = alltrue([for name in keys(var.sites) : can(regex("^[a-z][a-z0-9]{0,7}$", name))])
    error_message = "Every site name must be 1-8 characters, lower-case letters and digits, starting with a letter (e.g. \"a\", \"b\", \"fra1\"): it becomes the Ansible group site_<name> and the host variable rsp_site."
  }

  validation {
    condition     = alltrue([for site in var.sites : length(site.hosts) > 0])
    error_message = "Every site must have at least one host: check the `inventory_site` output of the site that is empty, or remove it from sites."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for name in keys(site.hosts) : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", name))
      ]
    ]))
    error_message = "Every host name must be a lower-case DNS label (letters, digits and '-', at most 63 characters, not starting or ending with '-')."
  }

  validation {
    condition     = length(distinct(flatten([for site in var.sites : keys(site.hosts)]))) == length(flatten([for site in var.sites : keys(site.hosts)]))
    error_message = "A host name appears in more than one site: host names must be unique across all sites (the site modules put the site name in every host name; check the sites' name settings)."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : contains(["signer", "secondary_bind", "secondary_nsd"], host.role)
      ]
    ]))
    error_message = "Every host role must be one of \"signer\", \"secondary_bind\" or \"secondary_nsd\"."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : [
          for network in keys(host.addresses) : contains(["mgmt", "signing", "public", "mgmt_v6", "signing_v6", "public_v6"], network)
        ]
      ]
    ]))
    error_message = "Unknown network in a host's addresses: the networks are \"mgmt\", \"signing\", \"public\" (IPv4) and \"mgmt_v6\", \"signing_v6\", \"public_v6\" (IPv6)."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : [
          for network, address in host.addresses : (
            endswith(network, "_v6")
            ? (strcontains(address, ":") && can(cidrhost("${address}/128", 0)) && try(cidrhost("${address}/128", 0) == address, false))
            : (can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", address)) && try(cidrhost("${address}/32", 0) == address, false))
          )
        ]
      ]
    ]))
    error_message = "Every address must be a single IP address in canonical form: IPv4 (192.0.2.10) for \"mgmt\", \"signing\", \"public\"; IPv6 (2001:db8::10, lower case, zeros compressed) for the \"_v6\" networks."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : anytrue([for network in ["mgmt", "mgmt_v6"] : contains(keys(host.addresses), network)])
      ]
    ]))
    error_message = "Every host needs a management address (\"mgmt\" or \"mgmt_v6\"): Ansible connects to it (ansible_host)."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : anytrue([for network in ["signing", "signing_v6"] : contains(keys(host.addresses), network)])
      ]
    ]))
    error_message = "Every host needs a signing-network address (\"signing\" or \"signing_v6\"): zone transfers and NOTIFY between the signers and the secondaries use it."
  }

  validation {
    condition = alltrue(flatten([
      for site in var.sites : [
        for host in site.hosts : (
          host.role == "signer"
          ? !anytrue([for network in ["public", "public_v6"] : contains(keys(host.addresses), network)])
          : anytrue([for network in ["public", "public_v6"] : contains(keys(host.addresses), network)])
        )
      ]
    ]))
    error_message = "A signer has a public address, or a secondary has none: the signers are hidden primaries (no \"public\"/\"public_v6\" address), every secondary serves DNS on a \"public\" or \"public_v6\" address."
  }

  validation {
    condition     = length(flatten([for site in var.sites : [for host in site.hosts : host if host.role == "signer"]])) > 0
    error_message = "No signer in any site: the inventory needs at least one host with role \"signer\"."
  }

  validation {
    condition     = length(flatten([for site in var.sites : [for host in site.hosts : host if host.role != "signer"]])) > 0
    error_message = "No secondary in any site: the inventory needs at least one host with role \"secondary_bind\" or \"secondary_nsd\"."
  }
}

variable "primary_signer" {
  description = "Name of the signer that is the active hidden primary (inventory group signer_primary). Every other signer, in every site, goes to signer_standby."
  type        = string
  nullable    = false

  validation {
    condition = contains(flatten([
      for site in var.sites : [for name, host in site.hosts : name if host.role == "signer"]
    ]), var.primary_signer)
    error_message = "primary_signer must be the name of a host with role \"signer\" in one of the sites."
  }
}
