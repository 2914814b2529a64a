# Copyright: rsp.dnssec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt)
"""Helpers shared by the integration tests (real SoftHSM2 tokens, real ansible-playbook).

The fixtures in ``tests/integration/conftest.py`` wrap these; tests of any
area can also use the classes directly:

* :class:`SoftHSM` - a SoftHSM2 installation private to one test: its own
  ``SOFTHSM2_CONF``, token directory and PKCS#11 lock file, and the ``env``
  to give every subprocess (python, ansible-playbook, knotd, keymgr,
  softhsm2-util) so that they all see the same tokens.
* :class:`AnsiblePlaybook` - runs ``.venv/bin/ansible-playbook`` against
  localhost with this checkout as the ``rsp.dnssec`` collection and returns
  per-task results read from a JSON-lines callback (not from screen output).
* :func:`probe` - runs ``hsm_probe.py`` (the collection's HSM library) in a
  subprocess, so a test can read keys, attributes and signatures from a token
  without loading a PKCS#11 module into the pytest process.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
VENV_BIN = ROOT / ".venv" / "bin"
VENV_PYTHON = VENV_BIN / "python"
ANSIBLE_PLAYBOOK = VENV_BIN / "ansible-playbook"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
PROBE = Path(__file__).resolve().parent / "hsm_probe.py"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
HSM_PORTS = (15300, 15399)  # this area's port range (knotd for ds_export)

# apt package of every external tool the integration tests use
TOOLS = {"softhsm2-util": "softhsm2", "knotd": "knot", "knotc": "knot", "keymgr": "knot",
         "dnssec-dsfromkey": "bind9-utils", "ldns-key2ds": "ldnsutils", "pkcs11-tool": "opensc"}


def which(tool: str) -> str | None:
    return shutil.which(tool) or next((f"{d}/{tool}" for d in ("/usr/sbin", "/sbin")
                                       if os.path.exists(f"{d}/{tool}")), None)


def missing_tools(*tools: str) -> list[str]:
    """Tools (with their apt package) that are not installed."""
    return [f"{tool} (apt package {TOOLS.get(tool, '?')})" for tool in tools if which(tool) is None]


def free_port(low: int = HSM_PORTS[0], high: int = HSM_PORTS[1], address: str = "127.0.0.1") -> int:
    """A port in [low, high] free for UDP and TCP on ``address`` (random start)."""
    ports = list(range(low, high + 1))
    random.shuffle(ports)
    for port in ports:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                udp.bind((address, port))
                tcp.bind((address, port))
                return port
        except OSError:
            continue
    raise RuntimeError(f"no free port in {low}-{high} on {address}")


# -- SoftHSM2 ----------------------------------------------------------------------------------


@dataclass
class SoftHSM:
    """A SoftHSM2 installation private to one test (its own config, tokens and lock file).

    ``label`` / ``pin`` / ``so_pin`` / ``serial`` describe the token made by
    :meth:`init_token` (the fixture makes one unless asked not to).
    """

    directory: Path
    label: str = "rsp-test"
    pin: str = field(default_factory=lambda: "pin-" + secrets.token_hex(4))
    so_pin: str = field(default_factory=lambda: "so-" + secrets.token_hex(4))
    module: str = SOFTHSM_MODULE
    serial: str = ""

    def __post_init__(self) -> None:
        self.tokens_dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"directories.tokendir = {self.tokens_dir}\n"
                             "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n")

    @property
    def conf(self) -> Path:
        return self.directory / "softhsm2.conf"

    @property
    def tokens_dir(self) -> Path:
        return self.directory / "tokens"

    @property
    def lock(self) -> Path:
        return self.directory / "pkcs11.lock"

    @property
    def env(self) -> dict[str, str]:
        """Give this to every subprocess that touches the token."""
        return {"SOFTHSM2_CONF": str(self.conf), "RSP_DNSSEC_PKCS11_LOCK": str(self.lock)}

    def run(self, *argv: str, check: bool = True, timeout: float = 120,
            **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env={**os.environ, **self.env}, capture_output=True, text=True,
                              timeout=timeout, check=check, **kwargs)

    def init_token(self, label: str | None = None, pin: str | None = None,
                   so_pin: str | None = None) -> str:
        """Initialise a free slot with softhsm2-util (test PINs on the command line); returns the serial."""
        label = label or self.label
        before = {t["serial"] for t in self.tokens()}
        self.run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin or self.pin,
                 "--so-pin", so_pin or self.so_pin)
        created = [t["serial"] for t in self.tokens() if t["label"] == label and t["serial"] not in before]
        assert len(created) == 1, f"token {label} not found after softhsm2-util --init-token"
        if label == self.label:
            self.serial = created[0]
        return created[0]

    def tokens(self) -> list[dict[str, str]]:
        """Initialised tokens as softhsm2-util shows them: [{"label": .., "serial": ..}]."""
        out = self.run("softhsm2-util", "--show-slots").stdout
        tokens, current = [], {}
        for line in out.splitlines():
            match = re.match(r"\s*(Serial number|Initialized|Label):\s*(.*?)\s*$", line)
            if not match:
                continue
            current[match.group(1)] = match.group(2)
            if match.group(1) == "Label":
                if current.get("Initialized") == "yes":
                    tokens.append({"label": current["Label"], "serial": current.get("Serial number", "")})
                current = {}
        return tokens

    def probe(self, op: str, python: str | os.PathLike | None = None, **kwargs) -> dict:
        """Run ``hsm_probe.py`` with this token's env (see :func:`probe`)."""
        args = {"module": self.module, "token_label": self.label, "pin": self.pin, **kwargs}
        return probe(op, env=self.env, python=python, **args)

    def key_pairs(self, python: str | os.PathLike | None = None) -> list[dict]:
        """Every key pair on the token (logged in): id, label, type, bits, attributes, public key."""
        return self.probe("keys", python=python)["keys"]


def make_softhsm(directory: Path, *, initialize: bool = True, **kwargs) -> SoftHSM:
    missing = missing_tools("softhsm2-util")
    if missing or not os.path.exists(SOFTHSM_MODULE):
        raise RuntimeError("SoftHSM2 is not installed: " + ", ".join(missing or [SOFTHSM_MODULE]))
    hsm = SoftHSM(directory, **kwargs)
    if initialize:
        hsm.init_token()
    return hsm


def probe(op: str, *, env: dict[str, str], python: str | os.PathLike | None = None, **args) -> dict:
    """Run one ``hsm_probe.py`` operation in a subprocess; return its JSON answer.

    The probe uses the collection's library (``plugins/module_utils/dnssec/hsm``)
    with the interpreter ``python`` (default: the project venv), so the same
    code runs under python-pkcs11 0.7.0 when given that interpreter.
    """
    request = json.dumps({"op": op, **args})
    run_env = {**os.environ, **env, "PYTHONPATH": str(COLLECTIONS)}
    done = subprocess.run([str(python or VENV_PYTHON), str(PROBE)], input=request, env=run_env,
                          capture_output=True, text=True, timeout=300, check=False)
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"hsm_probe {op} crashed (exit {done.returncode}): "
                             f"{done.stderr[-3000:]}") from None
    return answer


# -- ansible-playbook --------------------------------------------------------------------------


@dataclass
class TaskResult:
    """One task's result on one host, as the module returned it."""

    task: str
    action: str
    host: str
    status: str  # ok, changed, failed, ignored, skipped, unreachable
    result: dict

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "ignored", "unreachable")

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    def __getitem__(self, key: str):
        return self.result[key]

    def get(self, key: str, default=None):
        return self.result.get(key, default)


@dataclass
class PlaybookRun:
    """A finished ansible-playbook run: exit status, output, per-task results."""

    returncode: int
    stdout: str
    stderr: str
    results: list[TaskResult]
    playbook: Path

    def task(self, name: str) -> TaskResult:
        """The (last) result of the task called ``name``."""
        found = [r for r in self.results if r.task == name]
        if not found:
            raise AssertionError(f"no result for task {name!r}; tasks run: "
                                 f"{[r.task for r in self.results]}\n{self.output_tail()}")
        return found[-1]

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def changed(self) -> list[TaskResult]:
        return [r for r in self.results if r.changed]

    def output_tail(self, size: int = 4000) -> str:
        return f"--- stdout ---\n{self.stdout[-size:]}\n--- stderr ---\n{self.stderr[-size:]}"

    def assert_ok(self) -> PlaybookRun:
        assert self.returncode == 0 and not self.failed, (
            f"ansible-playbook failed (exit {self.returncode}): "
            f"{[(r.task, r.msg) for r in self.failed]}\n{self.output_tail()}")
        return self


class PendingRun:
    """A playbook started with :meth:`AnsiblePlaybook.spawn`; :meth:`wait` gives the :class:`PlaybookRun`."""

    def __init__(self, process: subprocess.Popen, results: Path, playbook: Path, timeout: float) -> None:
        self.process = process
        self.results_path = results
        self.playbook = playbook
        self.timeout = timeout

    def wait(self) -> PlaybookRun:
        try:
            stdout, stderr = self.process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
            raise AssertionError(f"ansible-playbook did not finish in {self.timeout} s:\n"
                                 f"{stdout[-3000:]}") from None
        results = []
        if self.results_path.exists():
            for line in self.results_path.read_text().splitlines():
                data = json.loads(line)
                results.append(TaskResult(data["task"], data["action"], data["host"], data["status"],
                                          data["result"]))
        return PlaybookRun(self.process.returncode, stdout, stderr, results, self.playbook)


class AnsiblePlaybook:
    """Run playbooks against localhost with this checkout as ``rsp.dnssec``.

    ``tasks`` is a list of task dicts (one play on localhost, no facts) or a
    complete playbook (a list of plays, each a dict with ``hosts``). ``check``
    and ``diff`` add ``--check`` / ``--diff``; ``python`` chooses the module
    interpreter (default: the project venv); ``env`` adds environment
    variables (e.g. ``softhsm.env``) for ansible-playbook and the modules.
    """

    def __init__(self, directory: Path, env: dict[str, str] | None = None,
                 python: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.env = dict(env or {})
        self.python = str(python or VENV_PYTHON)
        self.count = 0
        (self.directory / ".ansible").mkdir(exist_ok=True)
        self.config = self.directory / "ansible.cfg"
        self.config.write_text(
            "[defaults]\n"
            f"collections_path = {COLLECTIONS}\n"
            f"callback_plugins = {CALLBACKS}\n"
            "callbacks_enabled = rsp_test_results\n"
            "stdout_callback = ansible.builtin.default\n"
            "host_key_checking = False\nretry_files_enabled = False\nnocows = True\n"
            f"local_tmp = {self.directory / '.ansible' / 'tmp'}\n"
            f"remote_tmp = {self.directory / '.ansible' / 'remote'}\n")

    def _write(self, tasks, python: str) -> tuple[Path, Path]:
        self.count += 1
        number = f"{self.count:03d}-{secrets.token_hex(3)}"
        if tasks and isinstance(tasks[0], dict) and "hosts" in tasks[0]:
            plays = tasks
        else:
            plays = [{"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        playbook = self.directory / f"playbook-{number}.yml"
        playbook.write_text(json.dumps(plays, indent=2))  # JSON is YAML
        inventory = self.directory / f"inventory-{number}.ini"
        inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={python}\n")
        return playbook, inventory

    def spawn(self, tasks, *, check: bool = False, diff: bool = False, extra_vars: dict | None = None,
              env: dict[str, str] | None = None, python: str | os.PathLike | None = None,
              verbosity: int = 0, timeout: float = 600) -> PendingRun:
        python = str(python or self.python)
        playbook, inventory = self._write(tasks, python)
        results = playbook.with_suffix(".results.jsonl")
        argv = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook)]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        if verbosity:
            argv.append("-" + "v" * verbosity)
        run_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
        run_env.update({
            "ANSIBLE_CONFIG": str(self.config),
            "ANSIBLE_HOME": str(self.directory / ".ansible"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "RSP_TEST_RESULTS": str(results),
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        })
        run_env.update(self.env)
        run_env.update(env or {})
        process = subprocess.Popen(argv, cwd=self.directory, env=run_env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        return PendingRun(process, results, playbook, timeout)

    def __call__(self, tasks, **kwargs) -> PlaybookRun:
        return self.spawn(tasks, **kwargs).wait()


# -- a python interpreter with Debian 13's library versions -----------------------------------

COMPAT_SPEC = ("python-pkcs11==0.7.0", "dnspython==2.7.0")
COMPAT_DIR = ROOT / ".cache" / "compat-python"


def compat_python() -> tuple[Path | None, str]:
    """A venv with Debian 13's python3-pkcs11 0.7.0 and python3-dnspython 2.7.0 (built once, cached).

    Returns (python path, "") or (None, why it could not be built).
    """
    python = COMPAT_DIR / "venv" / "bin" / "python"
    marker = COMPAT_DIR / "venv" / ".complete"
    wanted = " ".join(COMPAT_SPEC)
    COMPAT_DIR.mkdir(parents=True, exist_ok=True)
    with open(COMPAT_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == wanted and python.exists():
            return python, ""
        shutil.rmtree(COMPAT_DIR / "venv", ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        steps = [
            [base, "-m", "venv", str(COMPAT_DIR / "venv")],
            [str(python), "-m", "pip", "install", "-q", "cython<3", "setuptools<70", "setuptools_scm",
             "wheel"],
            # python-pkcs11 0.7.0 needs Cython 0.x at build time: build without isolation
            [str(python), "-m", "pip", "install", "-q", "--no-build-isolation", *COMPAT_SPEC],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                return None, f"{' '.join(step[:4])} failed: {(done.stderr or done.stdout)[-800:]}"
        marker.write_text(wanted)
        return python, ""


# -- knotd serving static zones ----------------------------------------------------------------


class ZoneServer:
    """``knotd`` serving zone files as they are (no signing) on 127.0.0.1 and a port of this area.

    ``with ZoneServer(directory, {"example.": text}) as server:`` then ask
    ``127.0.0.1@server.port``. Stopped (and waited for) on exit.
    """

    def __init__(self, directory: Path, zones: dict[str, str], ports: tuple[int, int] = HSM_PORTS) -> None:
        self.directory = Path(directory)
        self.zones = zones
        self.ports = ports
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.directory / "knot.conf"

    def knotc(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([which("knotc") or "knotc", "-c", str(self.config), "-t", "10", *args],
                              capture_output=True, text=True, timeout=30, check=False)

    def __enter__(self) -> ZoneServer:
        (self.directory / "run").mkdir(parents=True, exist_ok=True)
        zone_lines = []
        for zone, text in self.zones.items():
            path = self.directory / f"{zone.rstrip('.') or 'root'}.zone"
            path.write_text(text)
            zone_lines.append(f"  - domain: {zone}\n    file: {path}\n")
        for _attempt in range(5):
            self.port = free_port(*self.ports)
            self.config.write_text(
                f"server:\n    rundir: {self.directory}/run\n    listen: 127.0.0.1@{self.port}\n"
                "    background-workers: 1\n    tcp-workers: 1\n    udp-workers: 1\n"
                f"database:\n    storage: {self.directory}\n"
                f"log:\n  - target: {self.directory}/knot.log\n    any: info\n"
                f"control:\n    listen: {self.directory}/run/knot.sock\n"
                "zone:\n" + "".join(zone_lines))
            with open(self.directory / "knotd.out", "ab") as log:
                self.process = subprocess.Popen([which("knotd") or "knotd", "-c", str(self.config)],
                                                stdout=log, stderr=log)
            for _poll in range(200):
                if self.process.poll() is not None:
                    break
                if self.knotc("zone-status").returncode == 0 and all(
                        "serial" in self.knotc("zone-status", zone).stdout for zone in self.zones):
                    return self
                time.sleep(0.05)
            self.__exit__()
        raise RuntimeError(f"knotd did not start: {(self.directory / 'knotd.out').read_text()[-2000:]}")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.knotc("stop")
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
