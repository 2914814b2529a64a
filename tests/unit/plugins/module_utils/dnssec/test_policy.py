# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Policy parsing, profiles and the rules validation enforces (each names its RFC)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import (
    NSEC3,
    SOA,
    Policy,
    PolicyError,
    format_duration,
    parse_duration,
)


def refused(data: dict) -> list:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict(data)
    return caught.value.errors


# -- profiles ------------------------------------------------------------------------

def test_production_profile_is_what_an_rsp_runs() -> None:
    policy = Policy.from_dict({})
    assert policy == Policy.production()
    assert (policy.algorithm, policy.ds_digest, policy.digest_type) == (13, "sha256", 2)
    assert policy.key_scheme == "split"
    assert (policy.dnskey_ttl, policy.ds_ttl, policy.max_zone_ttl) == (3600, 86400, 86400)
    assert (policy.zsk_lifetime, policy.ksk_lifetime) == (90 * 86400, 365 * 86400)
    assert policy.soa == SOA(ttl=3600, refresh=1800, retry=900, expire=604800, minimum=3600)
    assert policy.nsec3 == NSEC3(enabled=True, iterations=0, salt="", opt_out=False, override_rfc9276=False)
    assert (policy.signature_validity, policy.signature_refresh) == (14 * 86400, 8 * 86400)
    assert (policy.propagation_delay, policy.parent_propagation_delay, policy.registration_delay,
            policy.signing_delay) == (3600, 3600, 0, 300)
    assert policy.method("zsk") == "pre-publish"
    assert policy.method("ksk") == "double-ds"
    assert policy.method("emergency_ksk") == "double-ksk"
    assert policy.ttl_sig == 86400
    assert policy.warnings() == []


def test_lab_profile_rolls_in_seconds() -> None:
    policy = Policy.lab()
    assert (policy.dnskey_ttl, policy.ds_ttl, policy.max_zone_ttl) == (10, 10, 10)
    assert (policy.propagation_delay, policy.parent_propagation_delay, policy.signing_delay) == (2, 2, 2)
    assert (policy.zsk_lifetime, policy.ksk_lifetime) == (3600, 4 * 3600)
    assert policy.emergency_dnskey_ttl == 5
    assert policy.warnings() == []


def test_overrides_merge_into_the_profile() -> None:
    policy = Policy.from_dict({"profile": "lab", "dnskey_ttl": "30s", "max_zone_ttl": "1m",
                               "soa": {"ttl": 20}, "rollover": {"ksk": "double-ksk"}, "algorithm": "ed25519"})
    assert policy.dnskey_ttl == 30 and policy.max_zone_ttl == 60
    assert policy.soa == SOA(ttl=20, refresh=30, retry=10, expire=3600, minimum=10)
    assert policy.method("ksk") == "double-ksk"
    assert policy.algorithm == 15


def test_policy_round_trips_through_plain_data() -> None:
    policy = Policy.from_dict({"profile": "lab", "standby_ksk": "yes", "nsec3": False})
    data = json.loads(json.dumps(policy.to_dict()))
    assert Policy.from_dict(data) == policy
    assert policy.method("emergency_ksk") == "standby"
    assert policy.nsec3.enabled is False


@pytest.mark.parametrize(("text", "seconds"), [
    (3600, 3600), ("3600", 3600), ("90d", 7776000), ("1h30m", 5400), ("2w", 1209600), ("45S", 45),
    (60.0, 60), ("0", 0),
])
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["1.5h", "ten", "-5", True, None, "1h-", ""])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text, "dnskey_ttl")


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 59, 93900, 86400)] == ["0s", "59s", "1d2h5m", "1d"]


# -- refusals, each naming its rule ---------------------------------------------------

@pytest.mark.parametrize(("data", "words"), [
    ({"algorithm": 5}, "RFC 8624 section 3.1"),
    ({"algorithm": "RSASHA1-NSEC3-SHA1"}, "refused for signing"),
    ({"algorithm": 12}, "MUST NOT"),
    ({"algorithm": 99}, "unknown DNSSEC algorithm number 99"),
    ({"ds_digest": "sha1"}, "RFC 8624 section 3.3: SHA-1 MUST NOT be used to create DS records"),
    ({"ds_digest": "gost"}, "RFC 8624 section 3.3"),
    ({"nsec3": {"iterations": 10}}, "RFC 9276 section 3.1 requires 0 additional iterations"),
    ({"nsec3": {"salt": "abcd"}}, "RFC 9276 section 3.1 says operators SHOULD NOT use a salt"),
    ({"nsec3": {"opt_out": True}}, "opt-out SHOULD NOT be used"),
    ({"nsec3": {"salt": "xyz", "override_rfc9276": True}}, "not an even number of hex digits"),
    ({"algorithm": 8, "rsa_bits": 1024}, "NIST SP 800-131A"),
    ({"key_scheme": "triple"}, "key_scheme 'triple' is unknown"),
    ({"rollover": {"ksk": "double-rrset"}}, "rollover.ksk: unknown method 'double-rrset'"),
    ({"rollover": {"emergency_ksk": "standby"}}, "RFC 6781 section 4.2.4"),
    ({"max_zone_ttl": 600}, "max_zone_ttl (600) is lower than dnskey_ttl (3600)"),
    ({"soa": {"minimum": "2d", "ttl": "2d"}, "max_zone_ttl": "2d"}, "RFC 2308 section 5"),
    ({"soa": {"retry": 1800}}, "soa.retry (1800) must be shorter than soa.refresh (1800)"),
    ({"soa": {"expire": 2000}}, "soa.expire (2000) must be longer than soa.refresh + soa.retry (2700)"),
    ({"emergency": {"dnskey_ttl": "2h"}}, "RFC 6781 section 4.2.1.1"),
    ({"dnskey_ttl": 0}, "dnskey_ttl must be positive"),
    ({"dnskey_tll": 60}, "unknown policy setting dnskey_tll (did you mean dnskey_ttl?)"),
    ({"soa": {"refesh": 60}}, "unknown policy setting soa.refesh (did you mean soa.refresh?)"),
    ({"profile": "staging"}, "unknown profile 'staging'"),
    ({"standby_ksk": "maybe"}, "standby_ksk: 'maybe' is not a boolean"),
])
def test_unsafe_or_impossible_settings_are_refused(data: dict, words: str) -> None:
    errors = refused(data)
    assert any(words in e for e in errors), errors


def test_nsec3_can_be_overridden_explicitly() -> None:
    policy = Policy.from_dict({"nsec3": {"iterations": 5, "salt": "AB12", "opt_out": True,
                                         "override_rfc9276": True}})
    assert policy.nsec3 == NSEC3(enabled=True, iterations=5, salt="AB12", opt_out=True, override_rfc9276=True)


def test_zsk_lifetime_must_cover_a_whole_rollover() -> None:
    # Production ZSK rollover: Ipub + Iret + IretC = 10800 + 93900 + 10800 = 115500 s (1d8h5m).
    errors = refused({"zsk_lifetime": "1d"})
    assert errors == ["zsk_lifetime (Lzsk = 1d) is shorter than one ZSK rollover (Ipub + Iret + IretC = "
                      "1d8h5m): the next rollover would start before the previous one ended (RFC 7583 "
                      "section 3.2.1: Lzsk >= Ipub + Iret)"]
    assert Policy.from_dict({"zsk_lifetime": 115500}).zsk_lifetime == 115500
    assert refused({"zsk_lifetime": 115499})


def test_ksk_and_csk_lifetimes_must_cover_their_rollovers() -> None:
    # Double-DS: IpubP + IretC + IretP = 93600 + 10800 + 93600 = 198000 s (2d7h).
    assert "one KSK rollover (IpubP + IretC + IretP = 2d7h)" in refused({"ksk_lifetime": "2d"})[0]
    assert "one CSK rollover" in refused({"key_scheme": "csk", "csk_lifetime": "1d"})[0]
    assert Policy.from_dict({"key_scheme": "csk", "zsk_lifetime": 60, "ksk_lifetime": 60}).key_scheme == "csk"


def test_signatures_must_outlive_caches_and_propagation() -> None:
    # refresh - Dsgn - Dprp - TTLsig = 2d - 5m - 1h - 1d = 22h55m < signature_safety 1d
    errors = refused({"signature_refresh": "2d"})
    assert errors == ["signature_refresh (2d) is too short: a validator may hold a signature with only "
                      "signature_refresh - Dsgn - Dprp - TTLsig = 2d - 5m - 1h - 1d = 22h55m of validity "
                      "left, less than signature_safety (1d); raise signature_refresh (RFC 6781 section 4.4, "
                      "RFC 4035 section 5.3.1)"]
    errors = refused({"signature_validity": "8d1h"})
    assert errors == ["signature_validity (8d1h) is not comfortably larger than signature_refresh + Dsgn + "
                      "Dprp (8d1h5m): a new signature would be due for refresh before it reached every "
                      "secondary (RFC 6781 section 4.4)"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_dict({"algorithm": 7, "ds_digest": "sha1", "nsec3": {"iterations": 1}})
    assert len(caught.value.errors) == 3
    assert str(caught.value).startswith("invalid DNSSEC policy: (1) algorithm: algorithm 7")


def test_soa_expire_beyond_signature_validity_is_a_warning() -> None:
    policy = Policy.from_dict({"soa": {"expire": "28d"}})
    assert len(policy.warnings()) == 1
    assert "RFC 6781 section 4.4" in policy.warnings()[0]


def test_a_policy_made_in_code_is_checked_too() -> None:
    assert Policy().problems() == []
    bad = Policy(algorithm=1)
    assert any("RFC 8624 section 3.1" in p for p in bad.problems())
    with pytest.raises(PolicyError):
        bad.validate()
