# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Pure parts of the observations: server specs, evidence in words, "since when"."""

from __future__ import annotations

import pytest

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.observe import (
    Observation,
    ObservationError,
    Server,
    dnskey_evidence,
    ds_evidence,
    ds_tuple,
    iso,
    parse_servers,
    serial_evidence,
    track_since,
)

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DS_A = (40144, 13, 2, "aa" * 32)
DS_B = (12345, 13, 2, "bb" * 32)


@pytest.mark.parametrize(("spec", "expected"), [
    ("192.0.2.1", Server("192.0.2.1", 53)),
    ("192.0.2.1@5353", Server("192.0.2.1", 5353)),
    ("192.0.2.1#5353", Server("192.0.2.1", 5353)),
    ("192.0.2.1:5353", Server("192.0.2.1", 5353)),
    ("[2001:db8::1]:5353", Server("2001:db8::1", 5353)),
    ("[2001:db8::1]", Server("2001:db8::1", 53)),
    ("2001:db8::1", Server("2001:db8::1", 53)),
    ("2001:db8::1@5353", Server("2001:db8::1", 5353)),
    ("a.root-servers.net=198.41.0.4", Server("198.41.0.4", 53, "a.root-servers.net")),
    ({"address": "127.0.0.1", "port": 15400, "name": "ns1"}, Server("127.0.0.1", 15400, "ns1")),
])
def test_server_specs(spec, expected):
    assert Server.parse(spec) == expected


def test_bad_server_specs():
    with pytest.raises(ObservationError, match="not an IP address"):
        Server.parse("ns1.example.net")
    with pytest.raises(ObservationError, match="not a port number"):
        Server.parse("192.0.2.1@70000")
    with pytest.raises(ObservationError, match="at least one"):
        parse_servers([])
    assert Server("192.0.2.1", 53, "ns1.example.").label == "ns1.example.(192.0.2.1#53)"


def test_ds_tuple_accepts_every_spelling():
    text = "example. 86400 IN DS 40144 13 2 " + "AA" * 32
    assert ds_tuple(text) == DS_A
    assert ds_tuple("40144 13 2 " + "aa" * 16 + " " + "aa" * 16) == DS_A
    assert ds_tuple({"key_tag": 40144, "algorithm": 13, "digest_type": 2, "digest": "AA" * 32}) == DS_A
    assert ds_tuple(list(DS_A)) == DS_A
    with pytest.raises(ObservationError, match="cannot read a DS"):
        ds_tuple("40144 13")


def ds_obs(server: str, ds, when: float = T0, ok: bool = True, error: str | None = None) -> Observation:
    value = {"ds": [dict(zip(("key_tag", "algorithm", "digest_type", "digest"), d, strict=True)) for d in ds]}
    return Observation("ds", "example.", server, when, ok, value if ok else {}, error)


def test_ds_evidence_in_words():
    observations = [ds_obs("a#53", [DS_A]), ds_obs("b#53", [DS_A], T0 + 5), ds_obs("c#53", [DS_B])]
    evidence = ds_evidence(observations, [DS_A])
    assert not evidence.satisfied
    assert evidence.matching == ["a#53", "b#53"]
    assert evidence.text == ("DS 40144/13/2 seen on 2 of 3 parent servers; waiting for c#53 "
                             "(c#53: serves DS 12345/13/2)")
    assert evidence.observed_at == T0 + 5
    failed = ds_obs("c#53", [], ok=False, error="no answer from c#53 within 3 s")
    waiting = ds_evidence([*observations[:2], failed], [DS_A]).waiting
    assert waiting == {"c#53": "no answer from c#53 within 3 s"}
    all_three = ds_evidence([*observations[:2], ds_obs("c#53", [DS_A])], [DS_A])
    assert all_three.satisfied
    assert all_three.text == "DS 40144/13/2 seen on all 3 parent servers (2026-01-01T00:00:05Z)"
    # Double-DS: "includes" instead of "exactly"; and the old one must be gone.
    both = [ds_obs("a#53", [DS_A, DS_B])]
    assert not ds_evidence(both, [DS_A]).satisfied
    assert ds_evidence(both, [DS_A], exact=False).satisfied
    waiting = ds_evidence(both, [DS_A], exact=False, absent=[DS_B]).waiting
    assert waiting == {"a#53": "still serves DS 12345/13/2"}
    assert not ds_evidence([], [DS_A]).satisfied


def test_dnskey_evidence_requires_one_serial():
    def obs(server, tags, serial):
        keys = [{"tag": t, "algorithm": 13, "flags": 256} for t in tags]
        return Observation("dnskey", "example.", server, T0, True, {"serial": serial, "keys": keys})
    same = [obs("a", [1, 2], 10), obs("b", [1, 2], 10)]
    assert dnskey_evidence(same, [1, 2]).satisfied
    assert dnskey_evidence(same, [1], exact=False).satisfied
    assert dnskey_evidence(same, [1], exact=False, absent_tags=[2]).waiting == {
        "a": "still serves DNSKEY [2]", "b": "still serves DNSKEY [2]"}
    lagging = [obs("a", [1, 2, 3], 11), obs("b", [1, 2], 10)]
    evidence = dnskey_evidence(lagging, [1, 2, 3])
    assert not evidence.satisfied and evidence.waiting == {"b": "serves DNSKEY [1, 2], not [1, 2, 3]"}
    split = [obs("a", [1, 2], 11), obs("b", [1, 2], 10)]
    evidence = dnskey_evidence(split, [1, 2])
    assert not evidence.satisfied and "different SOA serials [10, 11]" in evidence.text


def test_serial_evidence_uses_serial_arithmetic():
    def obs(server, serial):
        return Observation("soa", "example.", server, T0, True, {"serial": serial})
    assert serial_evidence([obs("a", 5), obs("b", 5)]).satisfied
    evidence = serial_evidence([obs("a", 4294967295), obs("b", 2)])  # RFC 1982: 2 is after 2^32-1
    assert not evidence.satisfied and evidence.waiting == {"a": "at serial 4294967295, not yet 2"}
    assert serial_evidence([obs("a", 7)], minimum=6).satisfied


def test_track_since_carries_first_seen_across_runs():
    first = ds_evidence([ds_obs("a", [DS_A], T0), ds_obs("b", [])], [DS_A])
    tracking = track_since(None, first, T0)
    assert tracking["first_seen"] == {"a": T0} and tracking["satisfied_since"] is None
    second = ds_evidence([ds_obs("a", [DS_A], T0 + 60), ds_obs("b", [DS_A], T0 + 60)], [DS_A])
    tracking = track_since(tracking, second, T0 + 60)
    assert tracking["first_seen"] == {"a": T0, "b": T0 + 60}
    assert tracking["satisfied_since"] == T0 + 60
    assert tracking["text"].endswith("holding since 2026-01-01T00:01:00Z")
    # A server that stops serving it loses its time; the condition starts over.
    third = ds_evidence([ds_obs("a", [], T0 + 120), ds_obs("b", [DS_A], T0 + 120)], [DS_A])
    tracking = track_since(tracking, third, T0 + 120)
    assert tracking["first_seen"] == {"b": T0 + 60} and tracking["satisfied_since"] is None


def test_observation_round_trip():
    obs = ds_obs("a", [DS_A])
    data = obs.to_dict()
    assert data["at"] == "2026-01-01T00:00:00Z" and Observation.from_dict(data) == obs
    assert iso(None) is None
