# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Resolve the collection's DNSSEC policies for knot.conf (runs on the controller).

Reads ``{"name": {policy dict}, ...}`` as JSON on stdin and prints, as JSON, every
policy with the defaults of its profile filled in and validated by the
collection's policy library, so that Knot's timers (dnskey-ttl, rrsig-lifetime,
propagation-delay, ...) are the very values the rollover planner uses.
Exit status 1 and the reasons on stdout when a policy is invalid.
"""

import json
import sys

from ansible_collections.rsp.dnssec.plugins.module_utils.dnssec.policy import Policy, PolicyError


def main() -> int:
    policies = json.load(sys.stdin)
    resolved = {}
    errors = []
    for name, data in sorted(policies.items()):
        try:
            resolved[name] = Policy.from_dict(data).to_dict()
        except (PolicyError, ValueError) as exc:
            errors.append(f"policy {name!r}: {exc}")
    if errors:
        print("; ".join(errors))
        return 1
    print(json.dumps(resolved, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
