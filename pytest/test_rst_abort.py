"""When a client aborts an established LDAP session with RST, the engine relays
the RST to the backend and frees the connection entry."""
import json
import subprocess


def test_client_rst_is_relayed_and_entry_freed(tb):
    before = tb.stats()
    argv = tb.nsclient_argv("bind-rst", tb.vip, "389")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()  # nsclient's own socket timeout (5 s) bounds this
        assert line, f"bind-rst produced no output: {proc.stderr.read() if proc.poll() is not None else ''}"
        resp = bytes.fromhex(json.loads(line)["response"])
        assert resp[0] == 0x30, f"BindResponse not a SEQUENCE: {resp.hex()}"
        # ... 02 01 01 (messageID 1) 61 LL (bindResponse) 0a 01 00 (resultCode success)
        k = resp.find(b"\x02\x01\x01\x61")
        assert k >= 0 and resp[k + 5:k + 8] == b"\x0a\x01\x00", f"bind not successful: {resp.hex()}"
        mid = tb.stats()
        assert mid["conn_active"] >= 1, f"no active connection while the session is open: {mid}"
        out, err = proc.communicate("rst\n", timeout=10)
        assert proc.returncode == 0, f"bind-rst failed: {err}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    tb.wait_until(lambda: tb.stats()["rst_relayed_c2b"] > before["rst_relayed_c2b"], 10,
                  "rst_relayed_c2b to grow")
    last = {}
    tb.wait_until(lambda: last.update(tb.stats()) or last["conn_active"] == 0, 10,
                  "conn_active to return to 0")
    assert last["conn_freed"] > before["conn_freed"], f"conn_freed did not grow: {before} -> {last}"
