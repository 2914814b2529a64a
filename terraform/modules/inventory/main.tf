locals {
  # Every host of every site, with its site name added.
  hosts = merge([
    for site_name, site in var.sites : {
      for host_name, host in site.hosts : host_name => {
        site      = site_name
        role      = host.role
        addresses = host.addresses
      }
    }
  ]...)

  # Host variables: ansible_host (the management address), rsp_site, and one
  # rsp_addr_<network> per address (rsp_addr_mgmt, rsp_addr_signing_v6, ...).
  hostvars = {
    for name, host in local.hosts : name => merge(
      {
        ansible_host = try(host.addresses["mgmt"], host.addresses["mgmt_v6"])
        rsp_site     = host.site
      },
      { for network, address in host.addresses : "rsp_addr_${network}" => address },
    )
  }

  signer_names  = sort([for name, host in local.hosts : name if host.role == "signer"])
  standby_names = [for name in local.signer_names : name if name != var.primary_signer]
  bind_names    = sort([for name, host in local.hosts : name if host.role == "secondary_bind"])
  nsd_names     = sort([for name, host in local.hosts : name if host.role == "secondary_nsd"])

  # A group that has hosts is {hosts = {...}}; an empty group is {} (Ansible
  # still knows the group, a play aimed at it simply matches no host).
  groups = {
    for group, names in {
      signer_primary   = [var.primary_signer]
      signer_standby   = local.standby_names
      secondaries_bind = local.bind_names
      secondaries_nsd  = local.nsd_names
      } : group => {
      for key, value in { hosts = { for name in names : name => local.hostvars[name] } } : key => value if length(names) > 0
    }
  }

  site_groups = {
    for site_name, site in var.sites : "site_${site_name}" => {
      hosts = { for name in sort(keys(site.hosts)) : name => {} }
    }
  }

  inventory = {
    all = {
      children = merge(
        {
          signers = {
            children = {
              signer_primary = local.groups.signer_primary
              signer_standby = local.groups.signer_standby
            }
          }
          secondaries = {
            children = {
              secondaries_bind = local.groups.secondaries_bind
              secondaries_nsd  = local.groups.secondaries_nsd
            }
          }
        },
        local.site_groups,
      )
    }
  }
}
