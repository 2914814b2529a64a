output "inventory_yaml" {
  description = "The production Ansible inventory: terraform output -raw inventory_yaml > ../../../../inventories/production/hosts.yml"
  value       = module.inventory.yaml
}

output "primary_signer" {
  description = "The signer in signer_primary."
  value       = module.inventory.primary_signer
}

output "standby_signers" {
  description = "The signers in signer_standby."
  value       = module.inventory.standby_signers
}
