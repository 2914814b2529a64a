output "inventory_site" {
  description = "The site as terraform/modules/inventory takes it: hosts = {<host name> = {role, addresses}}, role one of signer, secondary_bind, secondary_nsd; addresses by network (mgmt, signing, public, and *_v6). Known at plan time (fixed addresses). This output is the contract every site module (any cloud) must produce."
  value       = local.inventory_site
}

output "hosts" {
  description = "Every host of the site: role, addresses (as in inventory_site), instance_id, state_volume_id (the guest sees it as /dev/disk/by-id/virtio-<first 20 characters of the id>) and port_ids by network."
  value = {
    for name, host in local.hosts : name => {
      role            = host.role
      addresses       = local.addresses[name]
      instance_id     = openstack_compute_instance_v2.host[name].id
      state_volume_id = openstack_blockstorage_volume_v3.state[name].id
      port_ids        = { for network in host.networks : network => openstack_networking_port_v2.host["${name}/${network}"].id }
    }
  }
}

output "network_ids" {
  description = "Network IDs by name (mgmt, signing, public)."
  value       = { for network, resource in openstack_networking_network_v2.net : network => resource.id }
}

output "subnet_ids" {
  description = "Subnet IDs by network name and IP version: {v4 = {mgmt, signing, public}, v6 = {<networks with an IPv6 prefix>}}."
  value = {
    v4 = { for network, resource in openstack_networking_subnet_v2.v4 : network => resource.id }
    v6 = { for network, resource in openstack_networking_subnet_v2.v6 : network => resource.id }
  }
}

output "router_id" {
  description = "ID of the site router (attached to the external network and to every subnet)."
  value       = openstack_networking_router_v2.site.id
}

output "security_group_ids" {
  description = "Security group IDs by name: mgmt, signer_hsm, signer_signing, secondary_signing, secondary_public."
  value       = { for group, resource in openstack_networking_secgroup_v2.group : group => resource.id }
}

output "server_group_ids" {
  description = "Server group IDs: signers and secondaries (each with the server_group_policy, anti-affinity by default)."
  value = {
    signers     = openstack_compute_servergroup_v2.signers.id
    secondaries = openstack_compute_servergroup_v2.secondaries.id
  }
}
