# terraform test for the inventory module: no provider, no network.
# Run: terraform init -backend=false && terraform test   (in terraform/modules/inventory)

variables {
  primary_signer = "signer-a1"
  sites = {
    a = {
      hosts = {
        signer-a1 = {
          role      = "signer"
          addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11", signing_v6 = "2001:db8:a:2::11" }
        }
        bind-a1 = {
          role      = "secondary_bind"
          addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21", public_v6 = "2001:db8:a:3::21" }
        }
        nsd-a1 = {
          role      = "secondary_nsd"
          addresses = { mgmt = "192.0.2.31", signing = "198.51.100.31", public = "203.0.113.31", public_v6 = "2001:db8:a:3::31" }
        }
      }
    }
    b = {
      hosts = {
        signer-b1 = {
          role      = "signer"
          addresses = { mgmt = "192.0.2.139", signing = "198.51.100.139" }
        }
        signer-b2 = {
          role      = "signer"
          addresses = { mgmt_v6 = "2001:db8:b:1::12", signing_v6 = "2001:db8:b:2::12" }
        }
        bind-b1 = {
          role      = "secondary_bind"
          addresses = { mgmt = "192.0.2.149", signing = "198.51.100.149", public = "203.0.113.149" }
        }
      }
    }
  }
}

run "two_sites_groups" {
  command = plan

  assert {
    condition     = keys(output.inventory.all.children.signers.children.signer_primary.hosts) == ["signer-a1"]
    error_message = "signer_primary must hold exactly the chosen primary signer."
  }

  assert {
    condition     = keys(output.inventory.all.children.signers.children.signer_standby.hosts) == ["signer-b1", "signer-b2"]
    error_message = "Every other signer, in every site, must be in signer_standby."
  }

  assert {
    condition     = keys(output.inventory.all.children.secondaries.children.secondaries_bind.hosts) == ["bind-a1", "bind-b1"]
    error_message = "Both sites' BIND secondaries must be in secondaries_bind."
  }

  assert {
    condition     = keys(output.inventory.all.children.secondaries.children.secondaries_nsd.hosts) == ["nsd-a1"]
    error_message = "The NSD secondary must be in secondaries_nsd."
  }

  assert {
    condition     = keys(output.inventory.all.children) == ["secondaries", "signers", "site_a", "site_b"]
    error_message = "Top-level groups must be signers, secondaries and one site_<name> per site."
  }

  assert {
    condition     = keys(output.inventory.all.children.site_b.hosts) == ["bind-b1", "signer-b1", "signer-b2"]
    error_message = "site_b must list exactly the hosts of site b."
  }

  assert {
    condition     = yamldecode(output.yaml) == output.inventory
    error_message = "The YAML output must decode to the inventory object."
  }

  assert {
    condition     = startswith(output.yaml, "---\n")
    error_message = "The YAML document must start with ---."
  }
}

run "per_host_variables" {
  command = plan

  assert {
    condition = output.hostvars["signer-a1"] == {
      ansible_host        = "192.0.2.11"
      rsp_site            = "a"
      rsp_addr_mgmt       = "192.0.2.11"
      rsp_addr_signing    = "198.51.100.11"
      rsp_addr_signing_v6 = "2001:db8:a:2::11"
    }
    error_message = "signer-a1 host variables are wrong."
  }

  assert {
    condition     = output.hostvars["bind-b1"].rsp_site == "b" && output.hostvars["bind-b1"].rsp_addr_public == "203.0.113.149"
    error_message = "bind-b1 must carry rsp_site b and its public address."
  }

  assert {
    condition     = output.hostvars["signer-b2"].ansible_host == "2001:db8:b:1::12"
    error_message = "A host with only an IPv6 management address must use it as ansible_host."
  }

  assert {
    condition     = !contains(keys(output.hostvars["signer-a1"]), "rsp_addr_public")
    error_message = "A signer (hidden primary) must have no public address."
  }

  assert {
    condition     = output.inventory.all.children.secondaries.children.secondaries_nsd.hosts["nsd-a1"].rsp_addr_public_v6 == "2001:db8:a:3::31"
    error_message = "Host variables must be attached to the host in its role group."
  }
}

run "primary_in_site_b" {
  command = plan

  variables {
    primary_signer = "signer-b2"
  }

  assert {
    condition     = keys(output.inventory.all.children.signers.children.signer_primary.hosts) == ["signer-b2"]
    error_message = "signer_primary must follow primary_signer."
  }

  assert {
    condition     = output.standby_signers == ["signer-a1", "signer-b1"]
    error_message = "signer_standby must hold the other signers."
  }
}

run "site_without_nsd" {
  command = plan

  variables {
    primary_signer = "signer-b1"
    sites = {
      b = {
        hosts = {
          signer-b1 = { role = "signer", addresses = { mgmt = "192.0.2.139", signing = "198.51.100.139" } }
          bind-b1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.149", signing = "198.51.100.149", public = "203.0.113.149" } }
        }
      }
    }
  }

  assert {
    condition     = output.inventory.all.children.secondaries.children.secondaries_nsd == {}
    error_message = "With no NSD secondary, secondaries_nsd must be an empty group."
  }

  assert {
    condition     = output.inventory.all.children.signers.children.signer_standby == {}
    error_message = "With one signer, signer_standby must be an empty group."
  }

  assert {
    condition     = yamldecode(output.yaml).all.children.secondaries.children.secondaries_nsd == {}
    error_message = "The YAML must still declare secondaries_nsd (empty), so plays aimed at it match no host instead of failing."
  }
}

run "rejects_unknown_role" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          pdns-a1   = { role = "secondary_pdns", addresses = { mgmt = "192.0.2.41", signing = "198.51.100.41", public = "203.0.113.41" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_signer_with_public_address" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11", public = "203.0.113.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_secondary_without_public_address" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_host_without_management_address" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_duplicate_host_names" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          ns1       = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
      b = {
        hosts = {
          ns1 = { role = "secondary_nsd", addresses = { mgmt = "192.0.2.149", signing = "198.51.100.149", public = "203.0.113.149" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_bad_addresses" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.300", signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public_v6 = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_unknown_network" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11", backup = "192.0.2.99" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_bad_site_name" {
  command = plan

  variables {
    sites = {
      "Site-A" = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_sites_without_secondary" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_primary_that_is_not_a_signer" {
  command = plan

  variables {
    primary_signer = "bind-a1"
  }

  expect_failures = [var.primary_signer]
}

run "rejects_empty_sites" {
  command = plan

  variables {
    sites = {}
  }

  expect_failures = [var.sites]
}

run "rejects_site_without_hosts" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
      b = { hosts = {} }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_bad_host_name" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1  = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          "Bind_A1." = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_host_without_signing_address" {
  command = plan

  variables {
    sites = {
      a = {
        hosts = {
          signer-a1 = { role = "signer", addresses = { mgmt = "192.0.2.11", signing = "198.51.100.11" } }
          bind-a1   = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}

run "rejects_sites_without_signer" {
  command = plan

  variables {
    primary_signer = "bind-a1"
    sites = {
      a = {
        hosts = {
          bind-a1 = { role = "secondary_bind", addresses = { mgmt = "192.0.2.21", signing = "198.51.100.21", public = "203.0.113.21" } }
        }
      }
    }
  }

  expect_failures = [var.sites]
}
