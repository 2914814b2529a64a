variable "site_output_files" {
  description = "Site name => JSON file with that site's `inventory_site` output (terraform -chdir=../site-a output -json inventory_site > site-a.json). Relative paths are relative to this directory."
  type        = map(string)
  default = {
    a = "site-a.json"
    b = "site-b.json"
  }
  nullable = false

  validation {
    condition     = length(var.site_output_files) > 0 && alltrue([for file_name in values(var.site_output_files) : endswith(file_name, ".json")])
    error_message = "site_output_files must map each site name to a .json file written by `terraform output -json inventory_site`."
  }
}

variable "primary_signer" {
  description = "Name of the signer that is the active hidden primary (signer_primary); every other signer is a standby (signer_standby)."
  type        = string
  default     = "signer-a1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.primary_signer))
    error_message = "primary_signer must be a host name such as \"signer-a1\"."
  }
}
