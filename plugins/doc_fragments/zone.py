# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Shared documentation of the zone lifecycle modules (zone_keys, rollover, zone_status)."""

from __future__ import annotations


class ModuleDocFragment:
    # Zones, change id, the signing engine, the state, the servers observed.
    DOCUMENTATION = r"""
options:
  zone:
    description:
      - One zone (C(example.) or C(example)). Mutually exclusive with O(zones).
    type: str
  zones:
    description:
      - Zones to work on in this one task (hundreds are fine; a zone that fails does not stop the
        others, and the task fails at the end naming every zone that failed).
      - Mutually exclusive with O(zone).
    type: list
    elements: str
  change_id:
    description:
      - Change ticket written to every audit journal entry of this run (and to a rollover it starts).
    type: str
  knot_config:
    description:
      - The knot.conf that C(knotd) runs with (C(keymgr) and C(knotc) are given it with C(-c)).
      - Every zone must be signed by Knot under a policy with C(manual on); the module refuses others.
    type: path
    default: /etc/knot/knot.conf
  engine_timeout:
    description: Seconds each C(keymgr) / C(knotc) command may take before it is reported as hanging.
    type: float
    default: 60
  state_dir:
    description:
      - Directory of the collection's state on the signer. Per zone, C(zones/<zone>.state.json) (keys,
        current rollover, observations), C(zones/<zone>.journal.jsonl) (append-only audit journal) and
        C(zones/<zone>.lock).
    type: path
    default: /var/lib/rsp-dnssec
  lock_timeout:
    description:
      - Seconds to wait for a zone's lock when another run (another playbook, a scheduled job) works on
        the same zone.
    type: float
    default: 60
  authoritatives:
    description:
      - Every authoritative server of the zones (the signer and every public secondary), as
        C(address), C(address@port) or C([v6]:port). Rollover gates hold only when every one of them serves the
        expected DNSKEY RRset / signatures at one SOA serial.
      - Default the signer only (the first address Knot listens on, a wildcard read as loopback).
    type: list
    elements: str
  transfer_server:
    description:
      - Where the whole zone is transferred from (AXFR) to check that it is completely re-signed by
        the expected keys. It must allow transfers to the managed host (Knot C(acl) with
        C(action transfer)).
      - Default the first of O(authoritatives).
    type: str
  dns_timeout:
    description: Seconds to wait for each DNS answer.
    type: float
    default: 3
notes:
  - The zone state and the signing engine are compared on every run; when they disagree (a key or
    timer changed by hand) the zone stops with a message naming the key and both sides, and nothing is
    changed. See C(docs/rollovers.md).
  - "Test hook: the environment variable E(RSP_DNSSEC_TEST_CRASH_AT) makes the process end at a named
    point (C(key-generated), C(key-imported), C(timers-set), C(parent-updated), C(key-archived),
    C(hsm-destroyed)), optionally C(point@zone). It exists for the crash-safety tests; never set it in
    production."
requirements:
  - Knot DNS 3.2 or later (C(keymgr), C(knotc)) on the managed host, running as the signer.
  - dnspython 2.7 or later on the managed host (Debian package C(python3-dnspython)).
"""

    # The HSM where new keys are generated.
    KEYSTORE = r"""
options:
  hsm_module:
    description: Path of the PKCS#11 library on the managed host.
    type: path
    default: /usr/lib/softhsm/libsofthsm2.so
  hsm_token_label:
    description:
      - Label of the token that holds the zones' keys (the token Knot's keystore names).
      - Needed whenever a key must be generated (or, for the purge of archived keys, destroyed).
    type: str
  hsm_token_serial:
    description: Serial of the token, when several tokens carry the same label.
    type: str
  hsm_pin:
    description:
      - User PIN of the token. Keep it in Ansible Vault; it is never logged.
      - Mutually exclusive with O(hsm_pin_file).
    type: str
  hsm_pin_file:
    description:
      - File on the managed host whose first line is the user PIN. Group read is allowed (the signer
        keeps it as C(/etc/rsp-dnssec/hsm.pin), mode 0440, root:knot); read by others is refused.
    type: path
  hsm_lock_timeout:
    description:
      - Seconds to wait for the per-host PKCS#11 lock (held around every HSM session and every
        C(keymgr) command, because SoftHSM2 loses concurrent logins).
    type: float
    default: 300
requirements:
  - python-pkcs11 0.7.0 or later on the managed host (Debian package C(python3-pkcs11)).
notes:
  - SoftHSM2 finds its tokens through E(SOFTHSM2_CONF); set it with the task's C(environment) keyword
    when the tokens live elsewhere than C(/etc/softhsm/softhsm2.conf).
"""

    # The policy.
    ZONE_POLICY = r"""
options:
  policy:
    description:
      - The DNSSEC policy of the zones, as C(plugins/module_utils/dnssec/policy.py) reads it - C(profile)
        (V(production) or V(lab)) plus overrides such as C(algorithm), C(key_scheme), C(dnskey_ttl),
        C(ds_ttl), C(zsk_lifetime), C(ksk_lifetime), C(standby_ksk), C(nsec3), C(rollover) - and
        validated as a whole (every broken rule is named).
      - C(dnskey_ttl) and the NSEC3 settings must match the Knot policy that signs the zones.
      - Required by M(rsp.dnssec.zone_keys) and by M(rsp.dnssec.rollover) to start or advance rollovers.
    type: dict
"""

    # The parent, for DS steps and their gates.
    ZONE_PARENT = r"""
options:
  parent:
    description:
      - How the DS RRset at the parent is changed and observed. Needed for every step that changes the
        DS RRset and every gate that waits for it.
    type: dict
    suboptions:
      type:
        description:
          - V(dynupdate) - RFC 2136 update signed with TSIG, sent to O(parent.server) (a parent the
            operator runs, and the lab parent).
          - V(manual) - write the DS RRset to submit into O(artifacts_dir) and wait until every parent
            server serves it (IANA for a TLD, a registrar for a second-level zone).
        type: str
        choices: [dynupdate, manual]
        required: true
      server:
        description: The parent's primary that accepts the update (V(dynupdate)), C(address[@port]).
        type: str
      servers:
        description:
          - The parent's nameservers whose answers decide the DS gates (C(address[@port])). Default - discovered
            from the parent's NS RRset by asking O(parent.resolvers) (or the update primary).
        type: list
        elements: str
      resolvers:
        description: Servers to ask for the parent's NS RRset when O(parent.servers) is not given.
        type: list
        elements: str
      port:
        description: Port given to discovered parent servers.
        type: int
        default: 53
      zone:
        description: The parent zone (default - found by asking for the SOA of the zone's parent name).
        type: str
      tsig_name:
        description: Name of the TSIG key the parent's update ACL allows (V(dynupdate)).
        type: str
      tsig_algorithm:
        description: TSIG algorithm (RFC 8945; HMAC-SHA256 is the one every server has).
        type: str
        choices: [hmac-sha256, hmac-sha384, hmac-sha512]
        default: hmac-sha256
      tsig_secret:
        description: The TSIG secret, base64 (from the vault; never logged).
        type: str
      ds_ttl:
        description: TTL of DS records added by update, or written into the submission.
        type: int
      timeout:
        description: Seconds to wait for each answer of the parent.
        type: float
        default: 3
  artifacts_dir:
    description:
      - Directory on the managed host where the V(manual) parent's DS submissions are written,
        C(<zone>.<change_id>.ds.txt) (zone-file lines) and C(.ds.json).
    type: path
    default: /var/lib/rsp-dnssec/ds-submissions
"""
