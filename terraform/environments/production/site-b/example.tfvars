# Example inputs of site B, with documentation addresses (RFC 5737, RFC 3849)
# and placeholder IDs. Copy to terraform.tfvars and put the real values in.
# The example inventory (inventories/example-production) is rendered from
# these values; tests/terraform checks that it still is.

cloud               = "rsp-site-b"
external_network_id = "00000000-0000-4000-8000-00000000000b"
image_id            = "00000000-0000-4000-8000-0000000000d2"
key_pair            = "rsp-ops"

signer_flavor    = "m1.large"
secondary_flavor = "m1.medium"

signer_count         = 1
bind_secondary_count = 1
nsd_secondary_count  = 1

signer_volume_size_gb    = 20
secondary_volume_size_gb = 20

networks = {
  mgmt    = { cidr_v4 = "192.0.2.128/26", cidr_v6 = "2001:db8:b:1::/64" }
  signing = { cidr_v4 = "192.0.2.192/26", cidr_v6 = "2001:db8:b:2::/64" }
  public  = { cidr_v4 = "203.0.113.64/26", cidr_v6 = "2001:db8:b:3::/64" }
}

dns_nameservers = ["198.51.100.53", "2001:db8:ffff::53"]

# Bastions and the Ansible controller.
management_prefixes = ["198.51.100.0/28", "2001:db8:ffff:1::/64"]

# Package mirror, NTP, log and monitoring collectors.
management_egress_prefixes = ["198.51.100.64/27", "2001:db8:ffff:2::/64"]

# Signing network of site A (plain values: no reference to site A's state).
signing_peer_prefixes = ["192.0.2.64/26", "2001:db8:a:2::/64"]

# Network HSM of site B.
hsm_endpoints = [{ prefix = "198.51.100.120/29", port = 1792 }]
