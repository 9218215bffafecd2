"""A full connection table refuses new connections cleanly and leaves the others alone.

The engine runs with engine.max_connections = 16 (the smallest allowed). Real
Linux clients in pe-client open 16 connections to the VIP and send nothing, so
16 entries wait for their first payload. A 17th handshake is answered (SYN
cookies keep no state), but its ACK finds no room: the client gets a RST
(connect() or its first request fails with ECONNRESET, depending on when the
client process runs again) and drop_conn_table_full counts it.
Then each of the 16 waiting connections still binds and gets its LDAP
BindResponse from a backend.
"""
import json
import os
import re
import subprocess

from testbed import topo

PY = "/usr/bin/python3"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = 16

# Runs in pe-client: opens TABLE connections, says so, waits for a line on stdin, then
# tries one more, then sends an anonymous simple bind on each of the first ones.
CLIENT = r"""
import json, socket, sys
vip, n = sys.argv[1], int(sys.argv[2])
BIND = bytes.fromhex("300c020101600702010304008000")   # anonymous simple bind, messageID 1
socks = [socket.create_connection((vip, 389), timeout=5) for _ in range(n)]
print("open", flush=True)
sys.stdin.readline()
extra = {}
try:
    s = socket.create_connection((vip, 389), timeout=5)
    extra["connected"] = True
    try:
        s.sendall(BIND)
        data = s.recv(64)
        extra["reply"] = data.hex()
    except OSError as e:
        extra["error"] = type(e).__name__
    s.close()
except OSError as e:
    extra["connect_error"] = type(e).__name__
replies = []
for s in socks:
    try:
        s.sendall(BIND)
        replies.append(s.recv(64).hex())
    except OSError as e:
        replies.append(type(e).__name__)
    s.close()
print(json.dumps({"extra": extra, "replies": replies}), flush=True)
"""


def small_table_config(tmp_path):
    with open(os.path.join(REPO_ROOT, "testbed", "proxyengine.conf")) as f:
        text = f.read()
    text, n = re.subn(r"max_connections\s*=\s*\d+;", f"max_connections = {TABLE};", text)
    assert n == 1, "testbed/proxyengine.conf has no max_connections line to change"
    path = tmp_path / "table16.conf"
    path.write_text(text)
    return str(path)


def test_table_full_refuses_new_keeps_existing(tb, tmp_path):
    with tb.engine_config(small_table_config(tmp_path)):
        before = tb.stats()
        p = subprocess.Popen(["ip", "netns", "exec", topo.CLIENT_NS, PY, "-c", CLIENT, tb.vip, str(TABLE)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert p.stdout.readline().strip() == "open", p.stderr.read()
            tb.wait_until(lambda: tb.stats()["conn_active"] == TABLE, 10, f"{TABLE} entries in WAIT_DATA")
            p.stdin.write("go\n")
            p.stdin.flush()
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        res = json.loads(out.strip().splitlines()[-1])
        after = tb.stats()
    # the 17th handshake completes at the client (cookie) and its ACK is answered with a RST:
    # depending on when the client runs again, connect() itself or its first request fails
    extra = res["extra"]
    assert "ConnectionResetError" in (extra.get("connect_error"), extra.get("error")), res
    assert after["drop_conn_table_full"] - before["drop_conn_table_full"] >= 1
    # every waiting connection was untouched: each got a BindResponse (0x30 .. 0x61 ..)
    assert len(res["replies"]) == TABLE
    for i, r in enumerate(res["replies"]):
        assert r.startswith("30") and "6107" in r, f"connection {i}: {r}"
    assert after["backend_connected"] - before["backend_connected"] == TABLE
