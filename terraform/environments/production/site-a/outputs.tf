output "inventory_site" {
  description = "Site A for terraform/modules/inventory: host name => role and addresses. Export it with `terraform output -json inventory_site > ../inventory/site-a.json`."
  value       = module.site.inventory_site
}

output "hosts" {
  description = "Every host of site A: role, addresses, instance_id, state_volume_id, port_ids."
  value       = module.site.hosts
}

output "network_ids" {
  description = "Network IDs of site A by name (mgmt, signing, public)."
  value       = module.site.network_ids
}

output "subnet_ids" {
  description = "Subnet IDs of site A by IP version and network name."
  value       = module.site.subnet_ids
}

output "router_id" {
  description = "ID of the router of site A."
  value       = module.site.router_id
}

output "security_group_ids" {
  description = "Security group IDs of site A by name."
  value       = module.site.security_group_ids
}

output "server_group_ids" {
  description = "Server group IDs of site A (signers, secondaries)."
  value       = module.site.server_group_ids
}
