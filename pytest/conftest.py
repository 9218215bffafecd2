"""Scenario-test fixtures for ProxyEngine.

`tb` (session scope) brings the whole testbed up once (topology, be1/be2 slapd,
engine; see testbed/topo.py) and always tears it down at the end of the session,
also when tests fail or the run is interrupted. It yields a TB helper:
  tb.client(argv, ...)            run a command in the client netns (pe-client)
  tb.ldapsearch(host, base, ...)  ldapsearch from the client netns
  tb.nsclient(*args)              run pytest/nsclient.py in pe-client, parse its JSON
  tb.stats() / backends() / info()  engine telemetry (/pe/stats, /pe/backends, /pe/info)
  tb.wait_until(cond, timeout, what)  poll with short sleeps, TimeoutError(what) on expiry
  with tb.engine_config(path): ...    the engine runs another config inside the block
Requires root; tests that need it fail (never skip) otherwise.
"""
import contextlib
import json
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
sys.dont_write_bytecode = True

from testbed import engine, slapd, topo  # noqa: E402
from testbed.bed import Testbed  # noqa: E402
from testbed.netns import run, wait_until  # noqa: E402
from testbed.telemetry import Telemetry  # noqa: E402

PY = "/usr/bin/python3"
NSCLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nsclient.py")
LDAP_ENV = {"LDAPNOINIT": "1"}  # ignore ldap.conf/ldaprc: same behaviour everywhere


class TB:
    """Handle on the running testbed given to tests."""
    vip = topo.VIP
    client_ns = topo.CLIENT_NS
    suffix = slapd.SUFFIX
    root_dn = slapd.ROOT_DN
    root_pw = slapd.ROOT_PW
    bulk_base = slapd.BULK_BASE
    backend_names = ("be1", "be2")

    def __init__(self, bed=None):
        self.bed = bed
        self.telemetry = Telemetry()

    @staticmethod
    def backend_ip(name):
        return topo.backend_ip(name)

    @staticmethod
    def wait_until(cond, timeout, what, interval=0.05):
        return wait_until(cond, timeout, what, interval=interval)

    def client(self, argv, timeout=30, check=True, input=None, text=True):
        """Run argv inside pe-client; CompletedProcess with captured output."""
        return run(argv, ns=self.client_ns, timeout=timeout, check=check, input=input,
                   text=text, env=LDAP_ENV)

    def ldapsearch(self, host, base, *args, scope="base", check=True, text=True, timeout=30):
        """ldapsearch -x -LLL against ldap://host from pe-client; extra args after -b base."""
        return self.client(["ldapsearch", "-x", "-LLL", "-o", "nettimeout=5", "-H", f"ldap://{host}",
                            "-s", scope, "-b", base, *args], timeout=timeout, check=check, text=text)

    def nsclient_argv(self, *args):
        """argv running pytest/nsclient.py ARGS in pe-client (for Popen)."""
        return ["ip", "netns", "exec", self.client_ns, PY, NSCLIENT, *args]

    def nsclient(self, *args, timeout=30):
        """Run pytest/nsclient.py ARGS in pe-client; return its JSON output."""
        r = self.client([PY, NSCLIENT, *args], timeout=timeout)
        return json.loads(r.stdout)

    def nsclient_host(self, *args, timeout=30):
        """Run pytest/nsclient.py ARGS in the root netns (e.g. to write onto pe-tap0); JSON output."""
        r = subprocess.run([PY, NSCLIENT, *args], capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"nsclient {args[0]}: rc={r.returncode} {r.stderr}"
        return json.loads(r.stdout)

    def query(self, cmd):
        """Telemetry query; reconnects once if the connection was dropped."""
        try:
            return self.telemetry.query(cmd)
        except OSError:
            self.telemetry.close()
            self.telemetry.connect(timeout=5)
            return self.telemetry.query(cmd)

    def stats(self):
        return self.query("/pe/stats")

    def backends(self):
        return self.query("/pe/backends")

    def info(self):
        return self.query("/pe/info")

    def engine_log_tail(self, lines=40):
        return engine.log_tail(lines)

    def restart_engine(self, config=None):
        """Replace the testbed's engine by one running `config` (None: the default config),
        wait until it is ready with every backend up, reconnect telemetry."""
        self.telemetry.close()
        self.bed.restart_engine(config)
        self.telemetry.connect(timeout=10)

    @contextlib.contextmanager
    def engine_config(self, config):
        """Run the engine with `config` inside the block; the default engine afterwards,
        also when the block fails (so other test modules are unaffected)."""
        self.restart_engine(config)
        try:
            yield self
        finally:
            self.restart_engine(None)


@pytest.fixture(scope="session")
def tb():
    """The running testbed (session-wide); torn down at session end, whatever happened."""
    if os.geteuid() != 0:
        pytest.fail("the testbed needs root (netns, bridge, tap): run the suite as root", pytrace=False)
    bed = Testbed()
    helper = None
    try:
        bed.up()
        helper = TB(bed)
        helper.telemetry.connect(timeout=10)
        yield helper
    finally:
        if helper is not None:
            helper.telemetry.close()
        summary = bed.down()
        if summary.get("leftovers"):
            print(f"\ntestbed teardown left {summary['leftovers']}", file=sys.stderr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Append the engine log tail to the report of a failed test that used the testbed."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and "tb" in getattr(item, "fixturenames", ()):
        rep.sections.append(("engine log (tail)", engine.log_tail(30)))
