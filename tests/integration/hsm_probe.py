# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Test probe: one HSM operation through the collection's library, JSON in (stdin), JSON out.

Run by ``helpers.probe`` in a subprocess (PYTHONPATH = the collections path),
with whatever interpreter the test chooses, so that the PKCS#11 module is never
loaded into the pytest process. Operations:

* ``keys``: every key pair on the token (id, label, type, bits, curve, private
  key attributes, public key in DNSKEY format as base64).
* ``sign``: for each of ``items`` (``key_id``, ``algorithm``, ``data`` in hex),
  sign the data as the DNSSEC algorithm needs it (the mechanism the library
  chooses); returns ``signatures`` (hex), in order.
* ``tokens``: the tokens of ``module``.
* ``capabilities``: per DNSSEC algorithm, whether the token can do it and, if
  not, which mechanism it lacks (from the token's mechanism list).

Errors come back as ``{"error": "...", "kind": "ClassName"}``.
"""

from __future__ import annotations

import base64
import json
import sys

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.hsm import HSMError, open_provider


def main() -> int:
    request = json.load(sys.stdin)
    op = request["op"]
    try:
        with open_provider(request["module"], request.get("profile", "auto")) as hsm:
            if op == "tokens":
                answer = {"tokens": [t.as_dict() for t in hsm.tokens()]}
            elif op == "capabilities":
                token = hsm.find_token(label=request["token_label"], serial=request.get("token_serial"))
                answer = {"capabilities": {
                    str(n): {"supported": c.supported,
                             "why": c.detail or ("lacks " + ", ".join(f"CKM_{m}" for m in c.missing))}
                    for n, c in hsm.capabilities(token).items()}}
            else:
                token = hsm.find_token(label=request["token_label"], serial=request.get("token_serial"))
                with hsm.session(token, request.get("pin")) as session:
                    if op == "keys":
                        answer = {"keys": [
                            {"key_id": p.id_hex, "label": p.label, "key_type": p.key_type, "bits": p.bits,
                             "curve_oid": p.curve_oid, "algorithms": list(p.algorithms()),
                             "private": p.private_attributes, "has_public": p.has_public,
                             "has_private": p.has_private,
                             "public_key": base64.b64encode(p.public_key).decode()}
                            for p in session.list_keypairs()]}
                    elif op == "sign":
                        signatures = []
                        for item in request["items"]:
                            pairs = session.find_keypairs(key_id=bytes.fromhex(item["key_id"]))
                            signature = session.sign(pairs[0], int(item["algorithm"]), bytes.fromhex(item["data"]))
                            signatures.append(signature.hex())
                        answer = {"signatures": signatures}
                    else:
                        answer = {"error": f"unknown op {op}", "kind": "ValueError"}
    except HSMError as exc:
        answer = {"error": str(exc), "kind": type(exc).__name__}
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
