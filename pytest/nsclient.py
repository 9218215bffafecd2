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
  arp IP
      scapy: ARP who-has IP on eth0 (timeout 2 s) -> {"hwsrc": mac or null, "psrc": ip}
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


COMMANDS = {"ldap3-add-search": ldap3_add_search, "bind-rst": bind_rst, "arp": arp}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
