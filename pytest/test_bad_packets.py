"""Bad input on the wire: each malformed or unwanted frame is dropped and moves
its own counter, and the engine keeps serving LDAP afterwards.
Scenarios as data: frame name (built in nsclient.py) -> counter that must grow.

The frames are written straight onto the kernel side of the engine's tap, not
through the bridge: with br_netfilter loaded (bridge-nf-call-iptables = 1, as
on this machine) the bridge itself drops IPv4 packets with a bad header
checksum or length before the engine could see them."""

EXPECTED = {
    "ipv4_bad_header_checksum": "drop_ipv4_cksum",
    "ipv4_total_length_past_frame": "drop_ipv4_malformed",
    "ipv4_fragment": "drop_ipv4_fragment",
    "ipv4_not_local": "drop_ipv4_not_local",
    "ipv4_udp": "drop_ipv4_proto",
    "tcp_bad_checksum": "drop_tcp_cksum",
    "tcp_data_offset_short": "drop_tcp_malformed",
    "tcp_syn_option_truncated": "drop_tcp_malformed",
    "tcp_closed_port": "drop_tcp_port",
    "tcp_ack_bad_cookie": "drop_cookie_bad",
    "tcp_segment_to_source_address": "drop_tcp_no_conn",
    "icmp_not_echo": "drop_icmp_type",
    "icmp_bad_checksum": "drop_icmp_malformed",
    "arp_for_stranger": "drop_arp_not_local",
    "arp_not_ethernet": "drop_arp_malformed",
    "ether_ipv6": "drop_eth_type",
    "ether_other_dst": "drop_eth_dst",
}


def test_bad_frames_are_counted_and_engine_keeps_serving(tb):
    before = tb.stats()
    # the interface on the bridge that faces the engine: pe-tap0, or the vhost bridge's tap on virtio
    res = tb.nsclient_host("bad-packets", tb.info()["mac"], tb.vip, tb.bed.engine.tap, timeout=60)
    assert sorted(res["sent"]) == sorted(EXPECTED), f"nsclient cases {res['sent']} != test table"
    want = {}
    for counter in EXPECTED.values():
        want[counter] = want.get(counter, 0) + 1
    last = {}

    def all_moved():
        last.update(tb.stats())
        return all(last[c] - before[c] >= n for c, n in want.items())

    try:
        tb.wait_until(all_moved, 10, "every drop counter to move")
    except TimeoutError:
        pass  # the assertion below says which counters did not move
    moved = {c: last[c] - before[c] for c in want}
    assert all(moved[c] >= n for c, n in want.items()), f"counter deltas {moved}, wanted {want}"
    # answered, not only dropped: the closed port, the bad cookie and the stray segment get a RST
    assert last["rst_sent"] - before["rst_sent"] >= 3, f"rst_sent {before['rst_sent']} -> {last['rst_sent']}"
    # no connection entry was created by any of it, and the engine still serves
    assert last["conn_created"] == before["conn_created"]
    r = tb.ldapsearch(tb.vip, tb.suffix, "description")
    assert "served-by " in r.stdout
