# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The keytag and dnskey_to_ds filters (RFC 6605 / RFC 8080 known answers)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rsp.dnssec.plugins.filter.dnssec import FilterModule, dnskey_to_ds, keytag

P256 = ("example.net. 3600 IN DNSKEY 257 3 13 "
        "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==")
ED25519 = "example.com. 3600 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"keytag", "dnskey_to_ds"}


@pytest.mark.parametrize(("dnskey", "tag"), [
    (P256, 55648),
    (P256.replace(" 3600 IN", ""), 55648),  # TTL and class are optional
    (P256.split(" DNSKEY ")[1], 55648),  # rdata alone is enough for a key tag
    (ED25519, 3613),
])
def test_keytag(dnskey, tag):
    assert keytag(dnskey) == tag
    assert isinstance(keytag(dnskey), int)


def test_dnskey_to_ds():
    assert dnskey_to_ds(P256) == "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"
    assert dnskey_to_ds(ED25519, "sha256") == (
        "3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B")
    sha384 = dnskey_to_ds(P256, "sha384").split()
    assert sha384[:3] == ["55648", "13", "4"] and len(sha384[3]) == 96 and sha384[3] == sha384[3].upper()
    assert dnskey_to_ds(P256, 2) == dnskey_to_ds(P256)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: dnskey_to_ds(P256, "sha1"), "dnssec-92"),
    (lambda: dnskey_to_ds(P256, "md5"), "unknown DS digest"),
    (lambda: dnskey_to_ds(P256.split(" DNSKEY ")[1]), "without an owner name"),
    (lambda: keytag("example. IN DS 1 13 2 AB"), "not a DNSKEY record"),
    (lambda: keytag("example. IN DNSKEY 257 3 99 AAAA"), "unknown DNSSEC algorithm number 99"),
    (lambda: keytag(["257 3 13 x"]), "expects a DNSKEY record as a string"),
])
def test_errors_are_filter_errors(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()
