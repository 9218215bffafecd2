"""Throwaway OpenLDAP slapd backends, one per backend netns (per
/work/shared/notes/slapd-recipe.md).

Each instance lives in BASE_DIR/<name>/ (slapd.conf, data.ldif, db/), logs in
BASE_DIR/logs/<name>-slapd.log,
and serves, anonymously readable:
  dc=example,dc=com           description: served-by <name>   (identifies the backend)
  ou=people                   uid=alice (alicepw), uid=bob (bobpw)
  ou=bulk                     BULK_COUNT entries uid=bulkNNNN, each with a ~800-byte
                              ASCII description, identical on every backend, so a
                              subtree search of ou=bulk returns > 1 MB of LDIF.
and, on one backend only (so that routing by bind DN can be seen in the data):
  be1: uid=pat,ou=people (patpw)                 ONLY_USERS["be1"]
       ou=be1-only with cn=be1-item-1..3          ONLY_BASE["be1"]
  be2: ou=admins, cn=operator,ou=admins (operatorpw)  ONLY_USERS["be2"]
       ou=be2-only with cn=be2-item-1..3          ONLY_BASE["be2"]
rootdn cn=admin,dc=example,dc=com / adminpw. sizelimit/timelimit unlimited.
slapd runs with `-d stats`: its log (LOG_DIR/<name>-slapd.log) is the access log
(ACCEPT from IP=..., BIND dn="...", ADD/DEL/MOD dn="...", RESULT tag= err=), so
tests can see on the backend itself which operations reached it.
"""
import hashlib
import os
import subprocess

from . import topo
from .netns import run, terminate, wait_until

BASE_DIR = "/tmp/pe-testbed"
SUFFIX = "dc=example,dc=com"
ROOT_DN = "cn=admin,dc=example,dc=com"
ROOT_PW = "adminpw"
USERS = {"alice": "alicepw", "bob": "bobpw"}
BULK_BASE = "ou=bulk,dc=example,dc=com"
BULK_COUNT = 1500
# Held by one backend only: its own subtree and its own bind user (DN, password).
ONLY_BASE = {"be1": "ou=be1-only,dc=example,dc=com", "be2": "ou=be2-only,dc=example,dc=com"}
ONLY_ITEMS = 3
ONLY_USERS = {"be1": ("uid=pat,ou=people,dc=example,dc=com", "patpw"),
              "be2": ("cn=operator,ou=admins,dc=example,dc=com", "operatorpw")}
SLAPD = "/usr/sbin/slapd"
LOG_DIR = os.path.join(BASE_DIR, "logs")

_CONF = """\
include   /etc/ldap/schema/core.schema
include   /etc/ldap/schema/cosine.schema
include   /etc/ldap/schema/nis.schema
include   /etc/ldap/schema/inetorgperson.schema
pidfile   {d}/slapd.pid
argsfile  {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit unlimited
timelimit unlimited
database  mdb
maxsize   104857600
suffix    "{suffix}"
rootdn    "{rootdn}"
rootpw    {roothash}
directory {d}/db
limits    * size=unlimited time=unlimited
index     objectClass eq
index     uid eq
access to attrs=userPassword
        by self write
        by anonymous auth
        by * none
access to *
        by * read
"""


def bulk_description(i):
    """Deterministic ~800-byte ASCII description of bulk entry i."""
    chunks = "".join(hashlib.sha256(f"pe-bulk-{i}-{k}".encode()).hexdigest() for k in range(13))
    return f"bulk entry {i:04d} " + chunks[:784]


def only_ldif(name):
    """LDIF entries that only backend `name` holds (ONLY_USERS, ONLY_BASE)."""
    out = []
    if name == "be1":
        out.append(f"dn: {ONLY_USERS['be1'][0]}\nobjectClass: inetOrgPerson\nuid: pat\ncn: Pat Example\n"
                   f"sn: Example\nmail: pat@example.com\nuserPassword: {ONLY_USERS['be1'][1]}\n")
    elif name == "be2":
        out.append(f"dn: ou=admins,{SUFFIX}\nobjectClass: organizationalUnit\nou: admins\n")
        out.append(f"dn: {ONLY_USERS['be2'][0]}\nobjectClass: organizationalRole\n"
                   f"objectClass: simpleSecurityObject\ncn: operator\nuserPassword: {ONLY_USERS['be2'][1]}\n")
    if name in ONLY_BASE:
        ou = ONLY_BASE[name].split(",", 1)[0].split("=", 1)[1]
        out.append(f"dn: {ONLY_BASE[name]}\nobjectClass: organizationalUnit\nou: {ou}\n"
                   f"description: only on {name}\n")
        for k in range(1, ONLY_ITEMS + 1):
            out.append(f"dn: cn={name}-item-{k},{ONLY_BASE[name]}\nobjectClass: organizationalRole\n"
                       f"cn: {name}-item-{k}\ndescription: item {k} only on {name}\n")
    return out


def data_ldif(name):
    """The LDIF loaded into backend `name` (differs between backends in the base description
    and in only_ldif(name))."""
    out = [f"dn: {SUFFIX}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n"
           f"o: Example Inc\ndc: example\ndescription: served-by {name}\n",
           f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n"]
    for uid, pw in USERS.items():
        out.append(f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                   f"cn: {uid.title()} Example\nsn: Example\nmail: {uid}@example.com\nuserPassword: {pw}\n")
    out.append(f"dn: {BULK_BASE}\nobjectClass: organizationalUnit\nou: bulk\n")
    for i in range(BULK_COUNT):
        out.append(f"dn: uid=bulk{i:04d},{BULK_BASE}\nobjectClass: inetOrgPerson\nuid: bulk{i:04d}\n"
                   f"cn: Bulk {i}\nsn: Bulk\ndescription: {bulk_description(i)}\n")
    out.extend(only_ldif(name))
    return "\n".join(out)


class Slapd:
    """One slapd backend `name` ("be1"/"be2") in its netns. start() returns once
    the server answers an LDAP search from the client netns; stop() SIGTERMs it by pid."""

    def __init__(self, name, pid=None):
        self.name = name
        self.ns = topo.BACKEND_NS[name]
        self.ip = topo.backend_ip(name)
        self.dir = os.path.join(BASE_DIR, name)
        self.url = f"ldap://{self.ip}:389/"
        self.pid = pid
        self.proc = None

    def prepare(self):
        """Write config and data, load the database with slapadd (slapd must be stopped)."""
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        roothash = run(["slappasswd", "-h", "{SSHA}", "-s", ROOT_PW]).stdout.strip()
        conf = os.path.join(self.dir, "slapd.conf")
        with open(conf, "w") as f:
            f.write(_CONF.format(d=self.dir, suffix=SUFFIX, rootdn=ROOT_DN, roothash=roothash))
        ldif = os.path.join(self.dir, "data.ldif")
        with open(ldif, "w") as f:
            f.write(data_ldif(self.name))
        run(["slaptest", "-u", "-f", conf])
        run(["slapadd", "-q", "-f", conf, "-l", ldif], timeout=60)

    def start(self):
        """Launch slapd (-d stats, foreground) in its netns; record the pid; do not wait."""
        os.makedirs(LOG_DIR, exist_ok=True)
        log = open(os.path.join(LOG_DIR, f"{self.name}-slapd.log"), "wb")
        # `ip netns exec` execs slapd, so the child's pid is slapd's own. `-d stats` keeps it in
        # the foreground (like -d 0) and writes its access log (loglevel stats) to stderr.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, SLAPD, "-f", os.path.join(self.dir, "slapd.conf"),
             "-h", self.url, "-d", "stats"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.pid = self.proc.pid

    def answers(self):
        """True if a base search of the suffix via the client netns succeeds."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"slapd {self.name} exited rc={self.proc.returncode}; "
                               f"rerun with -d 1 to see why: {self.dir}/slapd.conf")
        r = run(["ldapsearch", "-x", "-LLL", "-H", self.url, "-o", "nettimeout=1", "-s", "base",
                 "-b", SUFFIX, "1.1"], ns=topo.CLIENT_NS, check=False, timeout=5,
                env={"LDAPNOINIT": "1"})
        return r.returncode == 0

    def wait_ready(self, timeout=10.0):
        wait_until(self.answers, timeout, f"slapd {self.name} at {self.url}")

    def stop(self, timeout=10.0):
        """SIGTERM by pid and wait (slapd takes ~2 s); SIGKILL after timeout."""
        if self.pid is None:
            return True
        if self.proc is not None:
            self.proc.poll()  # reap if already gone
        gone = terminate(self.pid, os.path.join(self.dir, "slapd.conf"), timeout)
        if self.proc is not None and gone:
            self.proc.poll()
        return gone


def stop_all(instances, timeout=10.0):
    """Stop several slapd instances in parallel (SIGTERM all, then wait for each)."""
    import threading
    results = {}
    threads = [threading.Thread(target=lambda s=s: results.__setitem__(s.name, s.stop(timeout)))
               for s in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
