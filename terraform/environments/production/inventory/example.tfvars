# The example production inventory (inventories/example-production/hosts.yml)
# is rendered from these files: the sites' outputs for example.tfvars of
# site-a and site-b. tests/terraform/render_examples.py writes all three.
site_output_files = {
  a = "examples/site-a.json"
  b = "examples/site-b.json"
}
primary_signer = "signer-a1"
