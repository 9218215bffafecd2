"""Client-side probes, run inside the client netns by the tests:
    ip netns exec pe-client /usr/bin/python3 pytest/nsclient.py CMD ARGS...
Each command prints one JSON object on stdout (exit 0) or fails with a traceback.

  ldap3-add-search HOST BINDDN PW SUFFIX DN
      One LDAP connection (python3-ldap3): simple bind, add DN (inetOrgPerson),
      search it back (base scope), read the suffix's description.
      -> {"add": result, "found": [dn...], "served_by": description}
  bind-rst HOST PORT
      Raw socket: send an anonymous simple BindRequest, read the whole
      BindResponse, print {"response": hex}, then wait for a line on stdin and
      close with SO_LINGER {1, 0} (the kernel sends RST). -> {"closed": "rst"}
  ldap-sessions HOST SUFFIX N CONCURRENCY
      N LDAP sessions with python3-ldap3 (anonymous bind, base search of SUFFIX for
      description, unbind), CONCURRENCY at a time; each must return exactly the
      SUFFIX entry with description "served-by <backend>".
      -> {"sessions", "ok", "served": {backend: n}, "errors": [first 5], "n_errors",
          "slowest_session_s", "seconds"}
  arp IP
      scapy: ARP who-has IP on eth0 (timeout 2 s) -> {"hwsrc": mac or null, "psrc": ip}
  bad-packets ENGINE_MAC VIP IFACE
      scapy: send each crafted bad frame once on IFACE -> {"sent": [case names]}
"""
import json
import socket
import struct
import sys

# LDAPMessage { messageID 1, bindRequest { version 3, name "", simple "" } }
BIND_ANON = bytes.fromhex("300c020101600702010304008000")


def out(obj):
    print(json.dumps(obj), flush=True)


def ldap3_add_search(host, bind_dn, pw, suffix, dn):
    from ldap3 import BASE, Connection, Server
    conn = Connection(Server(host, port=389, get_info=None, connect_timeout=5), user=bind_dn,
                      password=pw, auto_bind=True, receive_timeout=10)
    rdn_value = dn.split(",", 1)[0].split("=", 1)[1]
    conn.add(dn, ["inetOrgPerson"], {"cn": rdn_value, "sn": "Test", "description": "pe-test"})
    add = {"result": conn.result["result"], "description": conn.result["description"]}
    conn.search(dn, "(objectClass=*)", BASE, attributes=["uid"])
    found = [e.entry_dn for e in conn.entries]
    conn.search(suffix, "(objectClass=*)", BASE, attributes=["description"])
    served_by = str(conn.entries[0].description) if conn.entries else None
    conn.unbind()
    out({"add": add, "found": found, "served_by": served_by})


def _recv_ber(sock):
    """Read exactly one BER TLV (short or long definite length) from sock."""
    def recv_n(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return buf
    head = recv_n(2)
    if head[1] & 0x80:
        nlen = head[1] & 0x7F
        lenb = recv_n(nlen)
        return head + lenb + recv_n(int.from_bytes(lenb, "big"))
    return head + recv_n(head[1])


def bind_rst(host, port):
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(BIND_ANON)
    out({"response": _recv_ber(sock).hex()})
    sys.stdin.readline()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    out({"closed": "rst"})


def arp(ip):
    from scapy.all import ARP, Ether, conf, srp
    conf.verb = 0
    ans, _ = srp(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op="who-has", pdst=ip), iface="eth0", timeout=2)
    replies = [r for _, r in ans if r.haslayer(ARP) and r[ARP].op == 2 and r[ARP].psrc == ip]
    out({"hwsrc": replies[0][ARP].hwsrc if replies else None, "psrc": ip, "replies": len(replies)})


def bad_packets(engine_mac, vip, iface):
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, Raw, conf, sendp
    conf.verb = 0
    eth = Ether(dst=engine_mac)
    me = "198.18.0.10"
    syn = TCP(sport=40999, dport=389, flags="S", seq=1000)
    # case name -> frame; the test maps each name to the counter it must move
    cases = {
        "ipv4_bad_header_checksum": eth / IP(src=me, dst=vip, chksum=0x1234) / syn,
        "ipv4_total_length_past_frame": eth / IP(src=me, dst=vip, len=400) / syn,
        "ipv4_fragment": eth / IP(src=me, dst=vip, flags="MF") / syn,
        "ipv4_not_local": eth / IP(src=me, dst="198.18.0.99") / syn,
        "ipv4_udp": eth / IP(src=me, dst=vip) / UDP(sport=40999, dport=389) / Raw(b"x"),
        "tcp_bad_checksum": eth / IP(src=me, dst=vip) / TCP(sport=40999, dport=389, flags="S", chksum=0x1234),
        "tcp_data_offset_short": eth / IP(src=me, dst=vip) / TCP(sport=40999, dport=389, flags="S", dataofs=2),
        "tcp_syn_option_truncated": eth / IP(src=me, dst=vip) / TCP(sport=40999, dport=389, flags="S",
                                                                      dataofs=6, options=[]) / Raw(b"\x02\x04\x05"),
        "tcp_closed_port": eth / IP(src=me, dst=vip) / TCP(sport=40999, dport=80, flags="S"),
        "tcp_ack_bad_cookie": eth / IP(src=me, dst=vip) / TCP(sport=40998, dport=389, flags="A",
                                                             seq=5000, ack=123456),
        "tcp_segment_to_source_address": eth / IP(src=me, dst="198.18.0.2") / TCP(sport=40999, dport=20000,
                                                                                   flags="A"),
        "icmp_not_echo": eth / IP(src=me, dst=vip) / ICMP(type=13),
        "icmp_bad_checksum": eth / IP(src=me, dst=vip) / ICMP(type=8, chksum=0x1234),
        "arp_for_stranger": Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op="who-has", psrc=me, pdst="198.18.0.99"),
        "arp_not_ethernet": Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op="who-has", psrc=me, pdst=vip, hwlen=8),
        "ether_ipv6": eth / IPv6(dst="2001:db8::1"),
        "ether_other_dst": Ether(dst="02:00:00:00:99:99") / IP(src=me, dst=vip) / syn,
    }
    for frame in cases.values():
        sendp(frame, iface=iface)
    out({"sent": list(cases)})


def ldap_sessions(host, suffix, n, concurrency):
    """n LDAP sessions (ldap3: anonymous bind, base search of suffix for description,
    unbind), `concurrency` at a time; each response is checked."""
    import concurrent.futures
    import time
    from ldap3 import BASE, Connection, Server

    def one(i):
        t_start = time.monotonic()
        conn = Connection(Server(host, port=389, get_info=None, connect_timeout=31), auto_bind=True,
                          receive_timeout=30)
        try:
            conn.search(suffix, "(objectClass=*)", BASE, attributes=["description"])
            entries = [(e.entry_dn, e.description.value) for e in conn.entries]
        finally:
            conn.unbind()
        if len(entries) != 1 or entries[0][0].lower() != suffix.lower():
            raise AssertionError(f"session {i}: entries {entries}")
        desc = entries[0][1]
        if not isinstance(desc, str) or not desc.startswith("served-by "):
            raise AssertionError(f"session {i}: description {desc!r}")
        return desc.split()[1], time.monotonic() - t_start

    t0 = time.monotonic()
    served, errors, slowest = {}, [], 0.0
    with concurrent.futures.ThreadPoolExecutor(max_workers=int(concurrency)) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(one, i) for i in range(int(n))]):
            try:
                name, took = fut.result()
                served[name] = served.get(name, 0) + 1
                slowest = max(slowest, took)
            except Exception as exc:  # reported, counted
                errors.append(repr(exc))
    out({"sessions": int(n), "ok": sum(served.values()), "served": served, "errors": errors[:5],
         "n_errors": len(errors), "slowest_session_s": round(slowest, 3),
         "seconds": round(time.monotonic() - t0, 3)})


COMMANDS = {"ldap-sessions": ldap_sessions, "ldap3-add-search": ldap3_add_search, "bind-rst": bind_rst,
            "arp": arp, "bad-packets": bad_packets}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
