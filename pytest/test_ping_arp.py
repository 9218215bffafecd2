"""The engine answers ICMP echo and ARP for the VIP (and ARP for its source
address) with its port's MAC, as seen from the client netns."""
import re


def test_ping_vip_and_neighbour(tb):
    before = tb.stats()["icmp_echo_reply"]
    r = tb.client(["ping", "-c", "3", "-W", "2", tb.vip], check=False, timeout=20)
    assert r.returncode == 0, f"ping {tb.vip} failed rc={r.returncode}:\n{r.stdout}{r.stderr}"
    grew = tb.stats()["icmp_echo_reply"] - before
    assert grew >= 3, f"icmp_echo_reply grew by {grew}, expected >= 3"
    mac = tb.info()["mac"].lower()
    neigh = tb.client(["ip", "neigh", "show", tb.vip]).stdout
    m = re.search(r"lladdr ([0-9a-f:]{17})", neigh)
    assert m and m.group(1) == mac, f"client neighbour entry {neigh.strip()!r}, engine mac {mac}"


def test_arp_replies_scapy(tb):
    info = tb.info()
    mac = info["mac"].lower()
    for ip in (tb.vip, info["source"]):
        res = tb.nsclient("arp", ip)
        assert res["hwsrc"] is not None, f"no ARP reply for {ip}"
        assert res["hwsrc"].lower() == mac, f"ARP reply for {ip} from {res['hwsrc']}, engine mac {mac}"
