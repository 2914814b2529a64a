# The inventory module uses no provider: it only turns the sites' outputs into
# an Ansible inventory, so it can be initialised and tested offline.
terraform {
  required_version = "~> 1.11.0"
}
