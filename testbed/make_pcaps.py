#!/usr/bin/python3
"""Regenerate pcaps/: LDAP sessions captured on the testbed, and pcaps/README.md.

    flock /tmp/pe-pytest.lock /usr/bin/python3 testbed/make_pcaps.py [NAME...]

Run as root. Brings up the testbed's topology (testbed/topo.py) and ONE real slapd in
pe-be1 (testbed/slapd.py's config and data: dc=example,dc=com, alice/bob, 1500 entries
under ou=bulk), listening on 198.18.0.11:389 and :3268, with two lines added to its config
so that SASL DIGEST-MD5 works (slapd finds bob's cleartext userPassword through
authz-regexp; alice's {SSHA} password cannot serve a shared-secret mechanism). No engine:
the real clients (ldap-utils' ldapsearch/ldapwhoami/ldapadd..., python3-ldap3) in
pe-client talk DIRECTLY to the backend, and tcpdump in pe-be1 captures eth0 (full
snaplen, `tcp port P`), one file per entry of CAPTURES. Everything it started is stopped
by pid and the topology removed at the end, also on failure. The files are small (the
large search returns 200 entries, about 200 KB).

Each run gives other bytes (ports, ISNs, timestamps, entryUUIDs, SASL nonces); what the
replay checks does not depend on them. pcaps/README.md is written from CAPTURES' texts,
with each file's size and session count.
"""
import os
import shutil
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
sys.dont_write_bytecode = True

from testbed import slapd, topo  # noqa: E402
from testbed.bed import BASE_DIR, Testbed  # noqa: E402
from testbed.netns import run, terminate, wait_until  # noqa: E402

PCAPS = os.path.join(REPO_ROOT, "pcaps")
PY = "/usr/bin/python3"
SERVER = topo.backend_ip("be1")
SERVER_NS = topo.BACKEND_NS["be1"]
GC_PORT = 3268
ENV = {"LDAPNOINIT": "1"}
ADMIN = ["-D", slapd.ROOT_DN, "-w", slapd.ROOT_PW]
ALICE = "uid=alice,ou=people,dc=example,dc=com"
SASL_CONF = """
# make_pcaps.py: SASL DIGEST-MD5 for users with a cleartext userPassword (bob)
authz-regexp "uid=([^,]*)(,cn=[^,]*)?,cn=digest-md5,cn=auth" "uid=$1,ou=people,dc=example,dc=com"
sasl-secprops noanonymous
"""


def url(port=389):
    return f"ldap://{SERVER}:{port}"


def cli(argv, input=None, ok=(0,)):
    """An ldap-utils command in pe-client."""
    r = run(argv, ns=topo.CLIENT_NS, check=False, input=input, env=ENV, timeout=60)
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)}: rc={r.returncode}\n{r.stdout[-500:]}\n{r.stderr[-500:]}")
    return r


def ldap3(code, port=389):
    """python3-ldap3 code in pe-client; `server` is an ldap3 Server for the backend."""
    prelude = ("import ldap3\nfrom ldap3 import *\n"
               f"server = Server('{SERVER}', port={port}, get_info=NONE)\n")
    r = run([PY, "-c", prelude + code], ns=topo.CLIENT_NS, check=False, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"ldap3 script failed rc={r.returncode}:\n{r.stdout[-500:]}\n{r.stderr[-1500:]}")
    return r


def simple_bind():
    cli(["ldapsearch", "-x", "-LLL", "-H", url(), "-D", ALICE, "-w", "alicepw", "-b", ALICE, "-s", "base", "cn"])
    cli(["ldapwhoami", "-x", "-H", url(), "-D", ALICE, "-w", "WRONG"], ok=(49,))


def anonymous_bind():
    cli(["ldapsearch", "-x", "-LLL", "-H", url(), "-b", slapd.SUFFIX, "-s", "base", "description"])
    ldap3("c = Connection(server, authentication=ANONYMOUS, auto_bind=True)\n"
          "c.search('ou=people,dc=example,dc=com', '(objectClass=inetOrgPerson)', attributes=['uid'])\n"
          "assert len(c.entries) >= 2\nc.unbind()\n")


def sasl():
    mechs = cli(["ldapsearch", "-x", "-LLL", "-H", url(), "-b", "", "-s", "base",
                 "supportedSASLMechanisms"]).stdout
    if "DIGEST-MD5" not in mechs:
        raise RuntimeError(f"slapd offers no DIGEST-MD5: {mechs}")
    # two round trips, then no security layer
    cli(["ldapwhoami", "-H", url(), "-Y", "DIGEST-MD5", "-U", "bob", "-w", "bobpw", "-O", "maxssf=0"])
    # two round trips, then every message inside a SASL security layer (auth-conf)
    cli(["ldapsearch", "-LLL", "-Q", "-H", url(), "-Y", "DIGEST-MD5", "-U", "bob", "-w", "bobpw",
         "-b", "ou=people,dc=example,dc=com", "(uid=*)", "uid"])


def large_search():
    cli(["ldapsearch", "-x", "-LLL", "-H", url(), "-b", slapd.BULK_BASE,
         "(|(uid=bulk00*)(uid=bulk01*))", "uid", "description"])


def write_ops():
    ldap3("c = Connection(server, user='cn=admin,dc=example,dc=com', password='adminpw', auto_bind=True)\n"
          "dn = 'uid=carol,ou=people,dc=example,dc=com'\n"
          "assert c.add(dn, ['inetOrgPerson'], {'uid': 'carol', 'cn': 'Carol', 'sn': 'C', 'userPassword': 'carolpw'})\n"
          "assert c.modify(dn, {'mail': [(MODIFY_REPLACE, ['carol@example.com'])], "
          "'description': [(MODIFY_ADD, ['first', 'second'])]})\n"
          "assert c.compare(dn, 'mail', 'carol@example.com') is True\n"
          "assert c.compare(dn, 'mail', 'nobody@example.com') is False\n"
          "assert c.modify_dn(dn, 'uid=carol2')\n"
          "dn2 = 'uid=carol2,ou=people,dc=example,dc=com'\n"
          "assert c.modify_dn(dn2, 'uid=carol2', new_superior='dc=example,dc=com')\n"
          "assert c.delete('uid=carol2,dc=example,dc=com')\n"
          "assert not c.delete('uid=nobody,ou=people,dc=example,dc=com')  # noSuchObject\n"
          "c.unbind()\n")
    # the same with ldap-utils: one connection each
    ldif = (f"dn: uid=dave,ou=people,{slapd.SUFFIX}\nobjectClass: inetOrgPerson\nuid: dave\ncn: Dave\nsn: D\n")
    cli(["ldapadd", "-x", "-H", url(), *ADMIN], input=ldif)
    cli(["ldapmodify", "-x", "-H", url(), *ADMIN],
        input=f"dn: uid=dave,ou=people,{slapd.SUFFIX}\nchangetype: modify\nreplace: mail\nmail: dave@example.com\n")
    cli(["ldapcompare", "-x", "-H", url(), *ADMIN, f"uid=dave,ou=people,{slapd.SUFFIX}", "mail:dave@example.com"],
        ok=(6,))
    cli(["ldapmodrdn", "-x", "-H", url(), *ADMIN, "-r", f"uid=dave,ou=people,{slapd.SUFFIX}", "uid=dave2"])
    cli(["ldapdelete", "-x", "-H", url(), *ADMIN, f"uid=dave2,ou=people,{slapd.SUFFIX}"])


def abandon_extended():
    # ASYNC: a search is abandoned while its entries stream in; several requests in flight
    ldap3("c = Connection(server, authentication=ANONYMOUS, client_strategy=ASYNC, auto_bind=True)\n"
          "mid = c.search('ou=bulk,dc=example,dc=com', '(uid=bulk00*)', attributes=['description'])\n"
          "c.abandon(mid)\n"
          "m1 = c.search('dc=example,dc=com', '(objectClass=*)', search_scope=BASE, attributes=['description'])\n"
          "m2 = c.search('ou=people,dc=example,dc=com', '(uid=bob)', attributes=['mail'])\n"
          "c.get_response(m1); c.get_response(m2)\n"
          "c.unbind()\n")
    ldap3("c = Connection(server, user='uid=bob,ou=people,dc=example,dc=com', password='bobpw', auto_bind=True)\n"
          "assert c.extend.standard.who_am_i() == 'dn:uid=bob,ou=people,dc=example,dc=com'\n"
          "c.extend.standard.who_am_i()\n"
          "c.unbind()\n")
    cli(["ldapwhoami", "-x", "-H", url()])  # anonymous WhoAmI


def many_ops():
    ldap3("c = Connection(server, user='uid=alice,ou=people,dc=example,dc=com', password='alicepw', auto_bind=True)\n"
          "for i in range(40):\n"
          "    c.search('ou=bulk,dc=example,dc=com', '(uid=bulk%04d)' % (i * 37), attributes=['cn'])\n"
          "    assert len(c.entries) == 1\n"
          "    if i % 10 == 9:\n"
          "        c.extend.standard.who_am_i()\n"
          "        c.compare('uid=bob,ou=people,dc=example,dc=com', 'sn', 'Example')\n"
          "c.rebind(user='uid=bob,ou=people,dc=example,dc=com', password='bobpw')\n"
          "c.search('dc=example,dc=com', '(objectClass=*)', search_scope=BASE, attributes=['*', '+'])\n"
          "c.unbind()\n")


def global_catalog_port():
    cli(["ldapsearch", "-x", "-LLL", "-H", url(GC_PORT), "-b", slapd.SUFFIX, "-s", "base", "description"])
    cli(["ldapwhoami", "-x", "-H", url(GC_PORT), "-D", ALICE, "-w", "alicepw"])
    cli(["ldapsearch", "-x", "-LLL", "-H", url(GC_PORT), "-b", "ou=people,dc=example,dc=com", "(uid=*)", "mail"])


# name -> (server port, function, what it holds and how it was made)
CAPTURES = {
    "simple-bind.pcap": (389, simple_bind,
        "ldapsearch -x -D uid=alice... -w alicepw: simple bind, base search, unbind; ldapwhoami -x with a "
        "wrong password: bind refused with invalidCredentials (49)"),
    "anonymous-bind.pcap": (389, anonymous_bind,
        "ldapsearch -x anonymous base search of dc=example,dc=com; ldap3 ANONYMOUS bind, subtree search "
        "of ou=people, unbind"),
    "sasl-digest-md5.pcap": (389, sasl,
        "SASL DIGEST-MD5 binds as bob (2 round trips: challenge, response, rspauth): ldapwhoami "
        "-O maxssf=0 (no security layer); ldapsearch with the default, whose search, entries and unbind "
        "travel inside the SASL security layer (auth-conf, encrypted); one root DSE search listing "
        "supportedSASLMechanisms first"),
    "large-search.pcap": (389, large_search,
        "ldapsearch -x, subtree search of ou=bulk for uid=bulk00*/bulk01*: 200 entries of ~900 bytes, "
        "responses spanning many segments"),
    "write-ops.pcap": (389, write_ops,
        "ldap3 as cn=admin on one connection: add, modify (replace + add values), compare true and false, "
        "modrdn, modrdn with newSuperior, delete, delete of a missing entry (noSuchObject), unbind; then "
        "ldapadd, ldapmodify, ldapcompare, ldapmodrdn -r, ldapdelete, one connection each"),
    "abandon-extended.pcap": (389, abandon_extended,
        "ldap3 ASYNC: a 100-entry search abandoned while its entries stream, two more searches in flight "
        "at once, unbind; ldap3 simple bind as bob and two WhoAmI extended operations; ldapwhoami -x "
        "(anonymous WhoAmI)"),
    "many-ops.pcap": (389, many_ops,
        "ldap3, one connection: bind as alice, 40 searches, 4 WhoAmI and 4 compares among them, rebind "
        "as bob, root entry search with operational attributes, unbind"),
    "port3268-gc.pcap": (GC_PORT, global_catalog_port,
        "LDAP on TCP/3268 (the global-catalog port): ldapsearch -x anonymous base search, ldapwhoami -x "
        "as alice, search of ou=people; replay with --port 3268"),
}


class CaptureSlapd(slapd.Slapd):
    """testbed/slapd.py's be1, also on port 3268, with DIGEST-MD5 configured."""

    def prepare(self):
        super().prepare()
        with open(os.path.join(self.dir, "slapd.conf"), "a") as f:
            f.write(SASL_CONF)
        run(["slaptest", "-u", "-f", os.path.join(self.dir, "slapd.conf")])

    def start(self):
        os.makedirs(slapd.LOG_DIR, exist_ok=True)
        with open(os.path.join(slapd.LOG_DIR, f"{self.name}-slapd.log"), "wb") as log:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, slapd.SLAPD, "-f", os.path.join(self.dir, "slapd.conf"),
                 "-h", f"{self.url} ldap://{self.ip}:{GC_PORT}/", "-d", "stats"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid


def capture(path, port, fn):
    """Run fn() while tcpdump in pe-be1 writes `path`."""
    tmp = path + ".part"
    proc = subprocess.Popen(["ip", "netns", "exec", SERVER_NS, "tcpdump", "-i", "eth0", "-s", "0", "-U", "--immediate-mode", "-B", "32768", "-Z", "root",
                             "-n", "-w", tmp, f"tcp port {port}"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()  # "tcpdump: listening on eth0, ..."
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start: {line}")
        fn()
        time.sleep(0.3)  # the last FIN/ACKs
    finally:
        terminate(proc.pid, "tcpdump", timeout=5)
        proc.wait(timeout=5)
        stats = proc.stderr.read()
    dropped = [line for line in stats.splitlines() if "dropped" in line and not line.startswith("0 ")]
    if dropped:
        raise RuntimeError(f"tcpdump lost packets writing {path}: {dropped}")
    os.replace(tmp, path)


def write_readme():
    from testbed.captures import read_sessions
    rows = []
    for name, (port, _fn, what) in CAPTURES.items():
        path = os.path.join(PCAPS, name)
        if not os.path.exists(path):
            continue
        n = len(read_sessions(path, port))
        rows.append(f"| {name} | {port} | {n} | {os.path.getsize(path) // 1024 + 1} KB | {what} |")
    text = f"""# Captures made on the testbed

Made by `testbed/make_pcaps.py` (run it as root, under `flock /tmp/pe-pytest.lock`, to
regenerate every file, or `make_pcaps.py NAME...` for some). Real OpenLDAP slapd 2.5
(testbed/slapd.py's data: `dc=example,dc=com`, alice/alicepw ({{SSHA}}), bob/bobpw
(cleartext), admin `cn=admin,dc=example,dc=com`/adminpw, 1500 entries under `ou=bulk`)
in netns pe-be1 at {SERVER}, listening on 389 and {GC_PORT}, with DIGEST-MD5 configured
(`authz-regexp` to `uid=$1,ou=people,...`); real clients (ldap-utils, python3-ldap3) in
pe-client talking DIRECTLY to slapd (no engine); `tcpdump -i eth0 -s 0 'tcp port P'`
inside pe-be1. All addresses are the testbed's (198.18.0.0/24). Each run gives other
ports, ISNs, timestamps, entryUUIDs and SASL nonces.

`testbed/replay.py` replays every session of every file through the engine, and
`pytest/test_replay.py` checks in CI that all of them PASS (tap profile; port from the
table). Every session here has its handshake, its FINs and no missing bytes.

| file | port | sessions | size | what it holds, how it was made |
|---|---|---|---|---|
""" + "\n".join(rows) + """

A file whose name holds `portNNNN` is LDAP on that port: replay it with `--port NNNN`
(pytest/test_replay.py takes the port from the name). tcpdump runs with
`--immediate-mode -B 32768`: without them this kernel's TPACKET_V3 ring wrote nothing
before tcpdump was stopped, and with a small buffer it dropped frames of the large
search (make_pcaps.py fails when tcpdump reports drops).

SASL: slapd offers what Cyrus SASL's installed plugins give (libsasl2-modules:
DIGEST-MD5, CRAM-MD5, NTLM, PLAIN, LOGIN, SCRAM...); DIGEST-MD5 is used because it has
two round trips and a security layer. The mechanisms need the user's cleartext secret
(bob's userPassword). Regenerating needs libsasl2-modules (installed here; ci/install-deps.sh
installs without Recommends, so it may lack it: make_pcaps.py then stops with "slapd offers no
DIGEST-MD5"); replaying needs nothing of it. No Kerberos/GSSAPI here (no KDC): the public capture
zeek__modify-request.pcapng has a GSS-SPNEGO bind with integrity-wrapped messages.
No TLS/StartTLS capture is made here (slapd has no certificate in the testbed); the
public zeek__ldap-starttls.pcap covers StartTLS.
"""
    with open(os.path.join(PCAPS, "README.md"), "w") as f:
        f.write(text)


def main(argv):
    if os.geteuid() != 0:
        print("make_pcaps: must run as root", file=sys.stderr)
        return 1
    names = argv or list(CAPTURES)
    unknown = [n for n in names if n not in CAPTURES]
    if unknown:
        print(f"make_pcaps: unknown capture(s) {unknown}; known: {list(CAPTURES)}", file=sys.stderr)
        return 2
    os.makedirs(PCAPS, exist_ok=True)
    Testbed.load().down()  # leftovers of a crashed testbed run
    shutil.rmtree(BASE_DIR, ignore_errors=True)
    os.makedirs(BASE_DIR)
    server = None
    try:
        topo.up()
        server = CaptureSlapd("be1")
        server.prepare()
        server.start()
        server.wait_ready()
        wait_until(lambda: cli(["ldapsearch", "-x", "-H", url(GC_PORT), "-s", "base", "-b", slapd.SUFFIX,
                                "1.1"], ok=(0, 255)).returncode == 0, 10, "slapd on port 3268")
        for name in names:
            port, fn, _what = CAPTURES[name]
            path = os.path.join(PCAPS, name)
            capture(path, port, fn)
            print(f"{name}: {os.path.getsize(path)} bytes")
    finally:
        if server is not None:
            server.stop()
        topo.down()
        shutil.rmtree(server.dir if server else os.path.join(BASE_DIR, "be1"), ignore_errors=True)
    write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
