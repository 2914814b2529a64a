"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip from a host that is unreachable here and runs it
as ``python get_pip_X_Y.py [pip options] pip==X.Y ...``. This does the same with
the interpreter's own ensurepip and PyPI (which is reachable).
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process: let pip read the
# machine's pip configuration again (index, CA certificate) for the real install.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
