# The inventory root uses no provider and creates no resource: it reads the
# sites' exported outputs (JSON files) and renders the Ansible inventory. Its
# (empty) state stays local.
terraform {
  required_version = "~> 1.11.0"
}
