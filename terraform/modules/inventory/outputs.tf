output "yaml" {
  description = "The Ansible inventory as a YAML document (write it to inventories/<name>/hosts.yml). Groups: signers (children signer_primary, signer_standby), secondaries (children secondaries_bind, secondaries_nsd), site_<name> per site. Host variables: ansible_host, rsp_site, rsp_addr_<network>."
  value       = templatefile("${path.module}/templates/hosts.yml.tftpl", { inventory = local.inventory })
}

output "inventory" {
  description = "The same inventory as a Terraform object (what `yaml` encodes), for callers that post-process it."
  value       = local.inventory
}

output "hostvars" {
  description = "Host variables by host name: ansible_host, rsp_site and rsp_addr_<network>."
  value       = local.hostvars
}

output "primary_signer" {
  description = "Name of the signer in the signer_primary group."
  value       = var.primary_signer
}

output "standby_signers" {
  description = "Names of the signers in the signer_standby group, sorted."
  value       = local.standby_names
}
