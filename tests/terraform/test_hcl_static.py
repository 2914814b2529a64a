# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Static checks of terraform/ with python-hcl2 (no provider, no network).

- every variable typed, described; every module input validated; every output described;
- Terraform and provider versions pinned; the inventory module provider-free;
- the production sites independent: no shared resource, no reference from one
  site to the other, state per site;
- security groups expressing the hardening role's policy, port security with
  allowed address pairs limited to the host's own addresses.

Each policy check is a function returning the list of problems it found; the
tests run it on the real files (no problem expected) and on broken variants
(problems expected), so a check that could never fail would show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from tfharness import (
    INVENTORY_MODULE,
    INVENTORY_ROOT,
    PRODUCTION,
    SITE_MODULE,
    SITE_ROOTS,
    TERRAFORM_DIR,
    labelled,
    load_hcl,
    load_module,
    loads_hcl,
    locals_of,
    module_dirs,
    resources,
    strings_in,
    tf_files,
)

PINNED_TERRAFORM = "~> 1.11.0"
OPENSTACK_SOURCE = "terraform-provider-openstack/openstack"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
WORLD = ("0.0.0.0/0", "::/0")


def expr(value: Any) -> str:
    """An attribute as written: ``${...}`` expressions unwrapped, literals as strings."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return str(value)


# --- variables, outputs, versions ---------------------------------------------


def variable_problems(module: Mapping[str, list[Any]], *, require_validation: bool) -> list[str]:
    problems = []
    for name, body in labelled(module.get("variable", [])):
        if "type" not in body:
            problems.append(f"variable {name}: no type")
        if not str(body.get("description", "")).strip():
            problems.append(f"variable {name}: no description")
        if require_validation and not body.get("validation"):
            problems.append(f"variable {name}: no validation block")
    return problems


def output_problems(module: Mapping[str, list[Any]]) -> list[str]:
    return [
        f"output {name}: no description"
        for name, body in labelled(module.get("output", []))
        if not str(body.get("description", "")).strip()
    ]


def version_problems(module: Mapping[str, list[Any]]) -> list[str]:
    problems = []
    terraform_blocks = module.get("terraform", [])
    if len(terraform_blocks) != 1:
        return [f"expected one terraform block, found {len(terraform_blocks)}"]
    settings = terraform_blocks[0]
    if settings.get("required_version") != PINNED_TERRAFORM:
        problems.append(f"required_version is {settings.get('required_version')!r}, not {PINNED_TERRAFORM!r}")
    declared: dict[str, Any] = {}
    for block in settings.get("required_providers", []):
        declared.update(block)
    for name, spec in declared.items():
        if not isinstance(spec, Mapping) or not spec.get("source"):
            problems.append(f"provider {name}: no source")
            continue
        if not EXACT_VERSION.match(str(spec.get("version", ""))):
            problems.append(f"provider {name}: version {spec.get('version')!r} is not an exact x.y.z pin")
    used = {rtype.split("_", 1)[0] for rtype, _name, _body in resources(module)}
    used |= {
        rtype.split("_", 1)[0]
        for rtype, _name, _body in resources(module, "data")
        if rtype != "terraform_remote_state"
    }
    used |= {name for name, _body in labelled(module.get("provider", []))}
    for provider in sorted(used - set(declared)):
        problems.append(f"provider {provider} is used but not in required_providers")
    if "openstack" in declared and declared["openstack"].get("source") != OPENSTACK_SOURCE:
        problems.append(f"openstack provider source must be {OPENSTACK_SOURCE}")
    return problems


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM_DIR)))
def test_every_variable_typed_and_described(directory: Path) -> None:
    assert variable_problems(load_module(directory), require_validation=False) == []


@pytest.mark.parametrize("directory", [SITE_MODULE, INVENTORY_MODULE, INVENTORY_ROOT], ids=lambda d: d.name)
def test_every_module_input_is_validated(directory: Path) -> None:
    assert variable_problems(load_module(directory), require_validation=True) == []


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM_DIR)))
def test_every_output_described(directory: Path) -> None:
    assert output_problems(load_module(directory)) == []


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM_DIR)))
def test_terraform_and_providers_pinned(directory: Path) -> None:
    assert version_problems(load_module(directory)) == []


def test_site_module_pins_the_openstack_provider() -> None:
    settings = load_module(SITE_MODULE)["terraform"][0]
    providers = settings["required_providers"][0]
    assert providers["openstack"]["source"] == OPENSTACK_SOURCE
    assert EXACT_VERSION.match(providers["openstack"]["version"])
    for root in SITE_ROOTS.values():
        root_providers = load_module(root)["terraform"][0]["required_providers"][0]
        assert root_providers["openstack"] == providers["openstack"], f"{root.name} pins another version"


@pytest.mark.parametrize("directory", [INVENTORY_MODULE, INVENTORY_ROOT], ids=lambda d: d.name)
def test_inventory_is_provider_free(directory: Path) -> None:
    module = load_module(directory)
    assert not module.get("resource") and not module.get("data") and not module.get("provider")
    assert not load_module(directory)["terraform"][0].get("required_providers")


def test_version_check_catches_loose_pins() -> None:
    loose = loads_hcl(
        'terraform {\n  required_version = ">= 1.0"\n  required_providers {\n'
        '    openstack = {\n      source  = "terraform-provider-openstack/openstack"\n'
        '      version = "~> 3.0"\n    }\n  }\n}\n'
        'resource "random_id" "x" {\n  byte_length = 4\n}\n'
    )
    problems = version_problems(loose)
    assert any("required_version" in p for p in problems)
    assert any("exact x.y.z pin" in p for p in problems)
    assert any("random is used" in p for p in problems)


def test_variable_check_catches_untyped_undescribed_unvalidated() -> None:
    bad = loads_hcl('variable "x" {\n  default = 1\n}\n')
    assert variable_problems(bad, require_validation=True) == [
        "variable x: no type",
        "variable x: no description",
        "variable x: no validation block",
    ]
    assert output_problems(loads_hcl('output "y" {\n  value = 1\n}\n')) == ["output y: no description"]


# --- independent sites --------------------------------------------------------


def site_root_problems(site: str, root: Mapping[str, list[Any]], others: list[str]) -> list[str]:
    """A site root builds exactly one site through terraform/modules/site and
    refers to nothing of another site."""
    problems = []
    if root.get("resource"):
        problems.append("resources outside the site module: everything must be per site, in modules/site")
    for rtype, name, _body in resources(root, "data"):
        problems.append(f"data source {rtype}.{name}: a site root reads nothing (e.g. another site's state)")
    modules = dict(labelled(root.get("module", [])))
    if list(modules) != ["site"]:
        problems.append(f"modules {sorted(modules)}: expected exactly one, 'site'")
    for name, body in modules.items():
        if body.get("source") != "../../../modules/site":
            problems.append(f"module {name}: source {body.get('source')!r} is not ../../../modules/site")
        if body.get("site_name") != site:
            problems.append(f"module {name}: site_name {body.get('site_name')!r} is not {site!r}")
        for argument, value in body.items():
            if argument not in ("source", "site_name") and expr(value) != f"var.{argument}":
                problems.append(f"module {name}: {argument} = {value!r}, not var.{argument}")
    for text in strings_in(root):
        for other in others:
            if re.search(rf"(site[-_]{other}\b|\.\./site-)", text):
                problems.append(f"reference to another site: {text!r}")
    backends = [b for block in root.get("terraform", []) for b in block.get("backend", [])]
    if len(backends) != 1:
        problems.append(f"expected one backend block, found {len(backends)}")
    else:
        ((kind, settings),) = backends[0].items()
        key = str(settings.get("key", ""))
        if f"site-{site}" not in key:
            problems.append(f"backend {kind} key {key!r} does not name site-{site}")
    return problems


@pytest.mark.parametrize("site", sorted(SITE_ROOTS))
def test_site_roots_are_independent(site: str) -> None:
    others = [name for name in SITE_ROOTS if name != site]
    assert site_root_problems(site, load_module(SITE_ROOTS[site]), others) == []


def test_state_is_per_site() -> None:
    keys = []
    for root in SITE_ROOTS.values():
        (backend,) = load_module(root)["terraform"][0]["backend"]
        ((_kind, settings),) = backend.items()
        keys.append(settings["key"])
    assert len(set(keys)) == len(keys) == len(SITE_ROOTS)


def test_nothing_is_shared_between_sites() -> None:
    """Only the site roots and the provider-free inventory root live in production/."""
    tf_dirs = {path.parent for path in PRODUCTION.rglob("*.tf") if ".terraform" not in path.parts}
    assert tf_dirs == {*SITE_ROOTS.values(), INVENTORY_ROOT}
    assert not list(PRODUCTION.glob("*.tf")), "no shared configuration at production/ level"


@pytest.mark.parametrize("site", sorted(SITE_ROOTS))
def test_site_root_variables_match_the_module(site: str) -> None:
    module_vars = dict(labelled(load_module(SITE_MODULE)["variable"]))
    root_vars = dict(labelled(load_module(SITE_ROOTS[site])["variable"]))
    assert set(root_vars) - {"cloud"} == set(module_vars) - {"site_name"}
    for name, body in root_vars.items():
        if name == "cloud":
            continue
        for attribute in ("type", "default", "description", "nullable"):
            assert body.get(attribute) == module_vars[name].get(attribute), f"{name}.{attribute} differs"


def test_site_root_check_catches_cross_site_references() -> None:
    bad = loads_hcl(
        'data "terraform_remote_state" "b" {\n  backend = "s3"\n}\n'
        'module "site" {\n  source = "../../../modules/site"\n  site_name = "a"\n'
        "  signing_peer_prefixes = data.terraform_remote_state.b.outputs.prefixes\n}\n"
        'module "other" {\n  source = "../site-b"\n}\n'
        'resource "openstack_networking_network_v2" "shared" {\n  name = "shared"\n}\n'
        'terraform {\n  backend "s3" {\n    key = "rsp-dnssec/production/site-b.tfstate"\n  }\n}\n'
    )
    problems = site_root_problems("a", bad, ["b"])
    assert any("data source terraform_remote_state" in p for p in problems)
    assert any("expected exactly one" in p for p in problems)
    assert any("signing_peer_prefixes" in p for p in problems)
    assert any("reference to another site" in p for p in problems)
    assert any("resources outside the site module" in p for p in problems)
    assert any("does not name site-a" in p for p in problems)


# --- security groups and ports ------------------------------------------------

GROUP_REF = re.compile(r'^openstack_networking_secgroup_v2\.group\["([a-z_]+)"\]\.id$')
SIGNER_GROUPS = ("signer_signing", "signer_hsm")
SIGNING_PAIR = {"signer_signing": "secondary_signing", "secondary_signing": "signer_signing"}
PEER_PREFIX = "each.value.prefix"


def _group(value: Any) -> str | None:
    match = GROUP_REF.match(expr(value))
    return match.group(1) if match else None


def rule_problems(site: Mapping[str, list[Any]]) -> list[str]:
    """The security-group policy of the hardening role, checked on the HCL."""
    problems = []
    local_values = locals_of(site)
    groups = local_values.get("security_groups", {})
    for rtype, name, body in resources(site):
        if rtype == "openstack_networking_secgroup_v2" and body.get("delete_default_rules") is not True:
            problems.append(f"{name}: delete_default_rules must be true (no implicit allow-all egress)")
    for rtype, name, body in resources(site):
        if rtype != "openstack_networking_secgroup_rule_v2":
            continue
        group = _group(body.get("security_group_id"))
        where = f"rule {name}"
        if group not in groups:
            problems.append(
                f"{where}: security_group_id must be openstack_networking_secgroup_v2.group[<known group>].id"
            )
            continue
        direction = body.get("direction")
        protocol = expr(body.get("protocol", ""))
        low, high = body.get("port_range_min"), body.get("port_range_max")
        for_each = expr(body.get("for_each", ""))
        remote_prefix = expr(body.get("remote_ip_prefix", ""))
        remote_group = _group(body.get("remote_group_id")) if "remote_group_id" in body else None
        literal_world = [w for w in WORLD if w in str(body)]
        if not remote_prefix and not remote_group:
            problems.append(f"{where}: no remote (an empty remote means anywhere)")
        if literal_world:
            problems.append(
                f"{where}: literal {literal_world} (world prefixes live only in local.public_dns)"
            )
        uses_public = "local.public_dns" in for_each
        if uses_public and not (
            group == "secondary_public"
            and direction == "ingress"
            and low == 53
            and high == 53
            and protocol == "each.value.protocol"
        ):
            problems.append(f"{where}: the world (local.public_dns) may only reach 53 on secondary_public")
        if group == "secondary_public" and not uses_public:
            problems.append(f"{where}: secondary_public carries only the public DNS rule")
        if not protocol and not (
            group == "mgmt" and direction == "egress" and for_each == "toset(var.management_egress_prefixes)"
        ):
            problems.append(
                f"{where}: any-protocol rules are only mgmt egress to var.management_egress_prefixes"
            )
        covers_ssh = not protocol or (isinstance(low, int) and isinstance(high, int) and low <= 22 <= high)
        if (
            covers_ssh
            and direction == "ingress"
            and not (
                group == "mgmt"
                and for_each == "toset(var.management_prefixes)"
                and remote_prefix == "each.value"
            )
        ):
            problems.append(f"{where}: SSH may only come from var.management_prefixes, on the mgmt group")
        if group in SIGNER_GROUPS and (uses_public or literal_world):
            problems.append(f"{where}: the hidden primary must never be reachable from the public side")
        if group in SIGNING_PAIR:
            if (low, high) != (53, 53) or protocol not in ("each.value.protocol",):
                problems.append(f"{where}: only DNS (53/udp, 53/tcp) on the signing network")
            if remote_group and remote_group != SIGNING_PAIR[group]:
                problems.append(
                    f"{where}: {group} may only talk to {SIGNING_PAIR[group]}, not {remote_group}"
                )
            if remote_prefix and not (remote_prefix == PEER_PREFIX and for_each == "local.dns_to_peers"):
                problems.append(
                    f"{where}: {group} prefixes must be the peer signing prefixes (local.dns_to_peers)"
                )
        if group == "signer_hsm" and not (direction == "egress" and for_each == "local.hsm_endpoints"):
            problems.append(f"{where}: signer_hsm only opens egress to local.hsm_endpoints")
    # The world prefixes: only in local.public_dns, built from udp/tcp x world.
    for key, value in local_values.items():
        if key != "public_dns" and any(w in text for text in strings_in(value) for w in WORLD):
            problems.append(f"local.{key}: world prefix outside local.public_dns")
    return problems


def port_problems(site: Mapping[str, list[Any]]) -> list[str]:
    """Ports: port security on, security groups from the plan, fixed IPs and
    allowed address pairs only the host's own addresses; signers never public."""
    problems = []
    local_values = locals_of(site)
    roles = local_values.get("roles", {})
    if "public" in roles.get("signer", {}).get("networks", []):
        problems.append("local.roles.signer.networks: a signer (hidden primary) must not have a public port")
    signer_groups = local_values.get("port_security_groups", {}).get("signer", {})
    if "public" in signer_groups or any("secondary_public" in groups for groups in signer_groups.values()):
        problems.append("local.port_security_groups.signer: no public network, no secondary_public group")
    ports = [(name, body) for rtype, name, body in resources(site) if rtype == "openstack_networking_port_v2"]
    if not ports:
        problems.append("no openstack_networking_port_v2")
    for name, body in ports:
        where = f"port {name}"
        if body.get("port_security_enabled") is not True:
            problems.append(f"{where}: port_security_enabled must be true")
        if body.get("no_security_groups"):
            problems.append(f"{where}: no_security_groups is forbidden")
        if expr(body.get("for_each", "")) != "local.ports":
            problems.append(f"{where}: for_each must be local.ports (the plan)")
        if "each.value.security_groups" not in expr(body.get("security_group_ids", "")):
            problems.append(f"{where}: security_group_ids must come from each.value.security_groups")
        if "allowed_address_pairs" in body:
            problems.append(
                f"{where}: static allowed_address_pairs; only the dynamic block over the host's own addresses"
            )
        for fixed in body.get("fixed_ip", []):
            if expr(fixed.get("ip_address", "")) != "each.value.fixed_ips.v4":
                problems.append(f"{where}: fixed_ip must be each.value.fixed_ips.v4")
        dynamic = {kind: spec for block in body.get("dynamic", []) for kind, spec in block.items()}
        pairs = dynamic.get("allowed_address_pairs")
        if pairs is None:
            problems.append(f"{where}: no allowed_address_pairs (the host's own addresses, explicitly)")
        else:
            content = pairs.get("content", [{}])[0]
            if expr(pairs.get("for_each", "")) != "each.value.fixed_ips":
                problems.append(f"{where}: allowed_address_pairs must iterate over each.value.fixed_ips only")
            if expr(content.get("ip_address", "")) != "allowed_address_pairs.value" or set(content) != {
                "ip_address"
            }:
                problems.append(
                    f"{where}: an allowed address pair is exactly one of the host's own addresses"
                )
        for kind in set(dynamic) - {"allowed_address_pairs", "fixed_ip"}:
            problems.append(f"{where}: unexpected dynamic {kind}")
    for rtype, name, body in resources(site):
        if rtype == "openstack_networking_network_v2" and body.get("port_security_enabled") is not True:
            problems.append(f"network {name}: port_security_enabled must be true")
        if rtype == "openstack_compute_instance_v2":
            if "admin_pass" in body or "user_data" in body:
                problems.append(
                    f"instance {name}: no admin_pass / user_data (secrets would land in the state)"
                )
            if "security_groups" in body:
                problems.append(f"instance {name}: security groups belong on the ports")
            networks = {kind: spec for block in body.get("dynamic", []) for kind, spec in block.items()}.get(
                "network"
            )
            content = networks.get("content", [{}])[0] if networks else {}
            if body.get("network") or set(content) != {"port"}:
                problems.append(f"instance {name}: attach only through the planned ports")
    return problems


@pytest.fixture(scope="module")
def site_module() -> dict[str, list[Any]]:
    return load_module(SITE_MODULE)


def test_security_groups_express_the_hardening_policy(site_module: dict[str, list[Any]]) -> None:
    assert rule_problems(site_module) == []


def test_ports_are_locked_to_their_own_addresses(site_module: dict[str, list[Any]]) -> None:
    assert port_problems(site_module) == []


def test_every_security_group_is_attached_somewhere(site_module: dict[str, list[Any]]) -> None:
    local_values = locals_of(site_module)
    attached = {
        g for nets in local_values["port_security_groups"].values() for gs in nets.values() for g in gs
    }
    assert attached == set(local_values["security_groups"])


def test_expected_rules_exist(site_module: dict[str, list[Any]]) -> None:
    """The policy is not empty: the rules the secondaries and signers need are there."""
    rules = {
        name: (_group(body["security_group_id"]), body["direction"], _group(body.get("remote_group_id")))
        for rtype, name, body in resources(site_module)
        if rtype == "openstack_networking_secgroup_rule_v2"
    }
    assert ("signer_signing", "ingress", "secondary_signing") in rules.values()
    assert ("signer_signing", "egress", "secondary_signing") in rules.values()
    assert ("secondary_signing", "ingress", "signer_signing") in rules.values()
    assert ("secondary_signing", "egress", "signer_signing") in rules.values()
    assert ("secondary_public", "ingress", None) in rules.values()
    assert ("mgmt", "ingress", None) in rules.values()


def _site_with(text: str) -> dict[str, list[Any]]:
    """The real site module plus extra HCL (a broken variant)."""
    module = load_module(SITE_MODULE)
    for block_type, blocks in loads_hcl(text).items():
        module.setdefault(block_type, []).extend(blocks)
    return module


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            'resource "openstack_networking_secgroup_rule_v2" "ssh_world" {\n'
            '  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id\n'
            '  direction = "ingress"\n  ethertype = "IPv4"\n  protocol = "tcp"\n'
            '  port_range_min = 22\n  port_range_max = 22\n  remote_ip_prefix = "0.0.0.0/0"\n}\n',
            "SSH may only come from var.management_prefixes",
        ),
        (
            'resource "openstack_networking_secgroup_rule_v2" "primary_public" {\n'
            "  for_each = local.public_dns\n"
            '  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id\n'
            '  direction = "ingress"\n  ethertype = "IPv4"\n  protocol = each.value.protocol\n'
            "  port_range_min = 53\n  port_range_max = 53\n  remote_ip_prefix = each.value.prefix\n}\n",
            "hidden primary must never be reachable from the public side",
        ),
        (
            'resource "openstack_networking_secgroup_rule_v2" "xfr_from_mgmt" {\n'
            "  for_each = local.dns_by_family\n"
            '  security_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id\n'
            '  direction = "ingress"\n  ethertype = each.value.ethertype\n  protocol = each.value.protocol\n'
            "  port_range_min = 53\n  port_range_max = 53\n"
            '  remote_group_id = openstack_networking_secgroup_v2.group["mgmt"].id\n}\n',
            "signer_signing may only talk to secondary_signing",
        ),
        (
            'resource "openstack_networking_secgroup_rule_v2" "ssh_on_signing" {\n'
            "  for_each = local.dns_by_family\n"
            '  security_group_id = openstack_networking_secgroup_v2.group["secondary_signing"].id\n'
            '  direction = "ingress"\n  ethertype = each.value.ethertype\n  protocol = "tcp"\n'
            "  port_range_min = 22\n  port_range_max = 22\n"
            '  remote_group_id = openstack_networking_secgroup_v2.group["signer_signing"].id\n}\n',
            "only DNS (53/udp, 53/tcp) on the signing network",
        ),
        (
            'resource "openstack_networking_secgroup_rule_v2" "anything_in" {\n'
            '  security_group_id = openstack_networking_secgroup_v2.group["mgmt"].id\n'
            '  direction = "ingress"\n  ethertype = "IPv6"\n  remote_ip_prefix = var.x\n}\n',
            "any-protocol rules are only mgmt egress",
        ),
        (
            'resource "openstack_networking_secgroup_rule_v2" "no_remote" {\n'
            '  security_group_id = openstack_networking_secgroup_v2.group["secondary_public"].id\n'
            '  direction = "ingress"\n  ethertype = "IPv4"\n  protocol = "udp"\n'
            "  port_range_min = 123\n  port_range_max = 123\n}\n",
            "no remote",
        ),
        (
            'resource "openstack_networking_secgroup_v2" "open" {\n  name = "open"\n}\n',
            "delete_default_rules must be true",
        ),
        ('locals {\n  everyone = ["::/0"]\n}\n', "world prefix outside local.public_dns"),
    ],
    ids=[
        "ssh-from-world",
        "primary-public",
        "signer-from-mgmt",
        "ssh-on-signing",
        "any-protocol",
        "no-remote",
        "default-rules",
        "world-local",
    ],
)
def test_rule_check_catches_violations(snippet: str, expected: str) -> None:
    problems = rule_problems(_site_with(snippet))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            'resource "openstack_networking_port_v2" "vip" {\n  for_each = local.ports\n'
            '  network_id = "x"\n  port_security_enabled = true\n'
            "  security_group_ids = [for g in each.value.security_groups : g]\n"
            '  fixed_ip {\n    subnet_id = "s"\n    ip_address = each.value.fixed_ips.v4\n  }\n'
            '  allowed_address_pairs {\n    ip_address = "192.0.2.0/24"\n  }\n}\n',
            "static allowed_address_pairs",
        ),
        (
            'resource "openstack_networking_port_v2" "spoof" {\n  for_each = local.ports\n'
            '  network_id = "x"\n  port_security_enabled = true\n'
            "  security_group_ids = [for g in each.value.security_groups : g]\n"
            '  dynamic "allowed_address_pairs" {\n    for_each = var.extra_addresses\n'
            "    content {\n      ip_address = allowed_address_pairs.value\n    }\n  }\n}\n",
            "must iterate over each.value.fixed_ips only",
        ),
        (
            'resource "openstack_networking_port_v2" "open" {\n  for_each = local.ports\n'
            '  network_id = "x"\n  port_security_enabled = false\n  no_security_groups = true\n}\n',
            "port_security_enabled must be true",
        ),
        (
            'locals {\n  roles = { signer = { networks = ["mgmt", "signing", "public"] } }\n}\n',
            "must not have a public port",
        ),
        (
            'resource "openstack_compute_instance_v2" "extra" {\n  name = "x"\n  admin_pass = "secret"\n'
            '  network {\n    name = "public"\n  }\n}\n',
            "attach only through the planned ports",
        ),
    ],
    ids=["static-pair", "foreign-pairs", "no-port-security", "public-signer", "instance-network"],
)
def test_port_check_catches_violations(snippet: str, expected: str) -> None:
    problems = port_problems(_site_with(snippet))
    assert any(expected in p for p in problems), problems


def test_every_tf_file_parses() -> None:
    files = [path for directory in module_dirs() for path in tf_files(directory)]
    assert len(files) >= 15
    for path in files:
        assert isinstance(load_hcl(path), dict), path


# --- checkov ------------------------------------------------------------------

CHECKOV_SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def checkov_skip_problems(text: str, where: str) -> list[str]:
    """Every inline checkov skip names a check and gives a reason of a few words."""
    problems = []
    for match in CHECKOV_SKIP.finditer(text):
        check, reason = match.group(1), (match.group(2) or "").strip()
        if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check):
            problems.append(f"{where}: checkov skip of {check!r}: not a check ID")
        if len(reason.split()) < 3:
            problems.append(f"{where}: checkov skip of {check} without a reason")
    return problems


def test_checkov_skips_carry_a_reason() -> None:
    files = [path for directory in module_dirs() for path in tf_files(directory)]
    problems = [
        p for path in files for p in checkov_skip_problems(path.read_text(encoding="utf-8"), path.name)
    ]
    assert problems == []


def test_checkov_skip_check_catches_bare_skips() -> None:
    assert checkov_skip_problems("# checkov:skip=CKV_OPENSTACK_2", "x.tf") == [
        "x.tf: checkov skip of CKV_OPENSTACK_2 without a reason"
    ]
    assert checkov_skip_problems("# checkov:skip=CKV_OPENSTACK_2:ok", "x.tf") != []
    assert (
        checkov_skip_problems("# checkov:skip=CKV_OPENSTACK_2:bastion prefixes only, see var", "x.tf") == []
    )
