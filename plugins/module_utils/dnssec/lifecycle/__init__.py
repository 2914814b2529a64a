# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""The key lifecycle of a zone, composed from the library.

* :mod:`.gates`: what a rollover gate expects, compared with what the DNS
  serves (pure), and the observer that asks the servers.
* :mod:`.hsmkeys`: new keys in the HSM (by CKA_ID, decided before they exist).
* :mod:`.executor`: per zone, load the state and the engine's keys, check that
  they agree, ask the planner what is next, observe the gates, perform the step
  through the engine and parent adapters, record the observation and the audit
  entry. The modules ``zone_keys``, ``rollover`` and ``zone_status`` are thin
  shells around it.
"""
