# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Parent-side DS adapters: one interface (:mod:`.base`), one module per way of reaching the parent."""
