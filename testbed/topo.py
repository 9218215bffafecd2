"""The fixed testbed topology (one L2 segment, 198.18.0.0/24, RFC 2544 range).

                          root netns
      +---------------------------------------------------------+
      |  pe-br0  (Linux bridge, no IP, STP off, forward_delay 0) |
      |    |            |              |              |          |
      | pe-client-h  pe-be1-h       pe-be2-h       pe-tap0       |
      +----|------------|--------------|--------------|----------+
           | veth       | veth         | veth         | tap (created by the engine)
   netns pe-client  netns pe-be1   netns pe-be2   build/proxyengine (DPDK net_tap)
     eth0              eth0           eth0          VIP     198.18.0.1  TCP/389
     198.18.0.10/24    198.18.0.11/24 198.18.0.12/24 source 198.18.0.2
     ldapsearch,       slapd          slapd
     ldap3, scapy      ldap://198.18.0.11:389/       ldap://198.18.0.12:389/

- Every veth's root side is enslaved to pe-br0; the netns side is named eth0
  and created directly inside its netns (the root netns keeps its own eth0).
- net_tap gives pe-tap0 (kernel side) the same MAC as the engine's DPDK port; on
  a bridge that MAC would count as "local" to the bridge port and frames for the
  engine would never be forwarded to the tap. attach_tap() therefore gives
  pe-tap0 its own MAC (TAP_KERNEL_MAC) before enslaving it; the engine's MAC is
  unchanged (telemetry /pe/info).
- IPv6 is disabled (sysctl disable_ipv6) on pe-br0, on every veth, inside each
  netns and on pe-tap0, so nothing but our IPv4 traffic is on the wire.
- The client reaches the VIP and, for comparison tests, the backends directly.
- The client's ephemeral ports are 1024-65000 (CLIENT_PORT_RANGE, a per-netns
  sysctl), not Linux's 32768-60999: the client closes first, so each session
  leaves a TIME_WAIT socket (60 s) on its side, and once those toward one
  destination outnumber the even ports of the range (connect() tries those
  first) every connect() walks the whole range; the client's kernel time then
  grows with the session count and it, not the proxy, sets the pace (seen from
  about 14 k sessions on in testbed/haproxy.py's comparison). 1024-65000 keeps
  20 k sessions per destination clear of it.
- Only addresses in 198.18.0.0/24 are used, and only inside these namespaces.

up() builds the bridge, namespaces and veths (after down() removed leftovers of
a crashed run); add_host() is its recipe for one host (netns, veth on the bridge,
address), also used for hosts of other tools (testbed/haproxy.py); attach_tap() joins the engine's tap to the bridge once it exists;
down() removes everything above by name and never touches other interfaces.
"""
import os

from .netns import run, wait_until

PREFIX_LEN = 24
BRIDGE = "pe-br0"
TAP = "pe-tap0"
VIP = "198.18.0.1"
VIP_PORT = 389
ENGINE_SOURCE = "198.18.0.2"
TAP_KERNEL_MAC = "02:00:00:00:fe:01"  # kernel side of pe-tap0 (see above)

# netns name -> (root-side veth, address inside the netns)
HOSTS = {
    "pe-client": ("pe-client-h", "198.18.0.10"),
    "pe-be1": ("pe-be1-h", "198.18.0.11"),
    "pe-be2": ("pe-be2-h", "198.18.0.12"),
}
CLIENT_NS = "pe-client"
CLIENT_IP = HOSTS[CLIENT_NS][1]
CLIENT_PORT_RANGE = "1024 65000"  # net.ipv4.ip_local_port_range in CLIENT_NS (see above)
NS_IFNAME = "eth0"
# backend name (as in testbed/proxyengine.conf) -> netns
BACKEND_NS = {"be1": "pe-be1", "be2": "pe-be2"}


def backend_ip(name):
    """IPv4 address of backend `name` ("be1"/"be2")."""
    return HOSTS[BACKEND_NS[name]][1]


def link_exists(ifname):
    """True if interface `ifname` exists in the root netns."""
    return os.path.exists(f"/sys/class/net/{ifname}")


def netns_exists(ns):
    return os.path.exists(f"/run/netns/{ns}")


def _disable_ipv6_root(ifname):
    with open(f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6", "w") as f:
        f.write("1")


def add_host(ns, veth, addr, port_range=None):
    """Create netns `ns` with IPv6 off, its interface eth0 at `addr`/24 (and lo) up, joined to
    the bridge by the veth `veth` (root side). `port_range` ("LOW HIGH"): the netns's
    net.ipv4.ip_local_port_range (Linux's default otherwise). The bridge must exist; down()
    does not know this host unless it is in HOSTS: the caller removes it (netns del)."""
    run(["ip", "netns", "add", ns])
    if port_range is not None:
        run(["sysctl", "-q", "-w", f"net.ipv4.ip_local_port_range={port_range}"], ns=ns)
    # Before the veth exists, so its netns side inherits "default".
    run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
         "net.ipv6.conf.default.disable_ipv6=1"], ns=ns)
    run(["ip", "link", "add", veth, "type", "veth", "peer", "name", NS_IFNAME, "netns", ns])
    _disable_ipv6_root(veth)
    run(["ip", "link", "set", veth, "master", BRIDGE, "up"])
    run(["ip", "-n", ns, "addr", "add", f"{addr}/{PREFIX_LEN}", "dev", NS_IFNAME])
    run(["ip", "-n", ns, "link", "set", NS_IFNAME, "up"])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])


def up():
    """Create bridge, namespaces and veths (removing leftovers first). Idempotent."""
    down()
    try:
        run(["ip", "link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        _disable_ipv6_root(BRIDGE)
        run(["ip", "link", "set", BRIDGE, "up"])
        for ns, (veth, addr) in HOSTS.items():
            add_host(ns, veth, addr, CLIENT_PORT_RANGE if ns == CLIENT_NS else None)
    except BaseException:
        down()
        raise


def attach_tap(timeout=10.0):
    """Wait for the engine's tap to appear, give it its own MAC, enslave it to the bridge, set it up."""
    wait_until(lambda: link_exists(TAP), timeout, f"link {TAP} to appear")
    _disable_ipv6_root(TAP)
    with open(f"/sys/class/net/{TAP}/address") as f:
        engine_mac = f.read().strip()  # still the engine's MAC here
    kernel_mac = TAP_KERNEL_MAC if engine_mac != TAP_KERNEL_MAC else "02:00:00:00:fe:02"
    run(["ip", "link", "set", TAP, "address", kernel_mac])
    run(["ip", "link", "set", TAP, "master", BRIDGE, "up"])
    with open(f"/sys/class/net/{TAP}/address") as f:
        now = f.read().strip()
    if now != kernel_mac:
        raise RuntimeError(f"{TAP} MAC changed back to {now} after we set {kernel_mac}: "
                           f"the bridge would keep frames for the engine")


def uplink():
    """PE_UPLINK: the Linux interface cabled to the engine's NIC (pci profile), or None.
    It must be dedicated to the test: the testbed flushes its addresses and bridges it."""
    return os.environ.get("PE_UPLINK") or None


def attach_uplink(ifname, timeout=10.0):
    """Put the interface cabled to the engine's NIC on the bridge, in the tap's place:
    IPv6 off, no addresses, enslaved to the bridge, up. Its MAC is its own (not the NIC's),
    so the bridge forwards frames for the engine across the cable."""
    wait_until(lambda: link_exists(ifname), timeout, f"link {ifname} (PE_UPLINK) to exist")
    _disable_ipv6_root(ifname)
    run(["ip", "addr", "flush", "dev", ifname])
    run(["ip", "link", "set", ifname, "master", BRIDGE, "up"])


def flush_neighbours():
    """Forget every neighbour (ARP) entry inside our namespaces, e.g. after the engine
    was restarted with a new MAC (net_tap picks a random one at each start)."""
    for ns in HOSTS:
        run(["ip", "-n", ns, "neigh", "flush", "all"], check=False)


def down():
    """Remove our namespaces, veths, tap and bridge by name; ignore what is absent."""
    for ns, (veth, _addr) in HOSTS.items():
        if netns_exists(ns):
            run(["ip", "netns", "del", ns], check=False)  # also deletes the veth pair
        if link_exists(veth):
            run(["ip", "link", "del", veth], check=False)
    if link_exists(TAP):  # normally vanishes with the engine; a leftover is ours by name
        run(["ip", "link", "del", TAP], check=False)
    up = uplink()
    if up and link_exists(up):  # released, never deleted: it is the machine's interface
        run(["ip", "link", "set", up, "nomaster"], check=False)
    if link_exists(BRIDGE):
        run(["ip", "link", "del", BRIDGE], check=False)
    wait_until(lambda: not any(link_exists(v) for v, _ in HOSTS.values()) and not link_exists(BRIDGE),
               5.0, "testbed links to disappear")


def leftovers():
    """Names of our namespaces/links that currently exist (empty after down())."""
    names = [ns for ns in HOSTS if netns_exists(ns)]
    names += [n for n in [v for v, _ in HOSTS.values()] + [TAP, BRIDGE] if link_exists(n)]
    return names
