# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Signing-engine adapters: one interface (:mod:`.base`), one module per engine."""
