"""Make ``ansible_collections.rsp.dnssec`` importable under plain pytest.

`make setup` links ``.cache/collections/ansible_collections/rsp/dnssec`` to the
repository root; ansible-test provides the same package layout by itself.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
if (COLLECTIONS / "ansible_collections" / "rsp" / "dnssec").exists() and str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
