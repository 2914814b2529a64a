module "inventory" {
  source = "../../../modules/inventory"

  sites = {
    for site, file_name in var.site_output_files :
    site => jsondecode(file(startswith(file_name, "/") ? file_name : "${path.module}/${file_name}"))
  }
  primary_signer = var.primary_signer
}
