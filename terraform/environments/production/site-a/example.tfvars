# Example inputs of site A, with documentation addresses (RFC 5737, RFC 3849)
# and placeholder IDs. Copy to terraform.tfvars and put the real values in.
# The example inventory (inventories/example-production) is rendered from
# these values; tests/terraform checks that it still is.

cloud               = "rsp-site-a"
external_network_id = "00000000-0000-4000-8000-00000000000a"
image_id            = "00000000-0000-4000-8000-0000000000d1"
key_pair            = "rsp-ops"

signer_flavor    = "m1.large"
secondary_flavor = "m1.medium"

signer_count         = 1
bind_secondary_count = 1
nsd_secondary_count  = 1

signer_volume_size_gb    = 20
secondary_volume_size_gb = 20

networks = {
  mgmt    = { cidr_v4 = "192.0.2.0/26", cidr_v6 = "2001:db8:a:1::/64" }
  signing = { cidr_v4 = "192.0.2.64/26", cidr_v6 = "2001:db8:a:2::/64" }
  public  = { cidr_v4 = "203.0.113.0/26", cidr_v6 = "2001:db8:a:3::/64" }
}

dns_nameservers = ["198.51.100.53", "2001:db8:ffff::53"]

# Bastions and the Ansible controller.
management_prefixes = ["198.51.100.0/28", "2001:db8:ffff:1::/64"]

# Package mirror, NTP, log and monitoring collectors.
management_egress_prefixes = ["198.51.100.64/27", "2001:db8:ffff:2::/64"]

# Signing network of site B (plain values: no reference to site B's state).
signing_peer_prefixes = ["192.0.2.192/26", "2001:db8:b:2::/64"]

# Network HSM of site A.
hsm_endpoints = [{ prefix = "198.51.100.112/29", port = 1792 }]
