# Test-only outputs: added to a copy of terraform/modules/site/variables.tf and
# plan.tf (no provider) so that `terraform test` can check the site's plan.

output "hosts" {
  description = "local.hosts"
  value       = local.hosts
}

output "addresses" {
  description = "local.addresses"
  value       = local.addresses
}

output "ports" {
  description = "local.ports"
  value       = local.ports
}

output "inventory_site" {
  description = "local.inventory_site"
  value       = local.inventory_site
}

output "networks_v6" {
  description = "local.networks_v6"
  value       = local.networks_v6
}

output "security_groups" {
  description = "local.security_groups"
  value       = local.security_groups
}

output "dns_to_peers" {
  description = "local.dns_to_peers"
  value       = local.dns_to_peers
}

output "dns_to_resolvers" {
  description = "local.dns_to_resolvers"
  value       = local.dns_to_resolvers
}

output "hsm_endpoints" {
  description = "local.hsm_endpoints"
  value       = local.hsm_endpoints
}

output "public_dns" {
  description = "local.public_dns"
  value       = local.public_dns
}

output "networks" {
  description = "local.networks"
  value       = local.networks
}
