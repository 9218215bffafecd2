"""Cycle accounting of the worker loop (issue 7's first piece): /pe/stats reports the TSC
cycles of polls that received frames (busy) and of the others (idle), and the busy polls.
Figures are printed, never asserted against a time: the machine is shared and noisy."""


def test_busy_cycles_move_with_traffic(tb):
    before = tb.stats()
    for _ in range(5):
        tb.ldapsearch(tb.vip, tb.suffix, "description")
    tb.wait_until(lambda: tb.stats()["rx_packets"] > before["rx_packets"], 5, "rx_packets to move")
    after = tb.stats()
    d = {k: after[k] - before[k] for k in ("worker_busy_cycles", "worker_idle_cycles",
                                           "worker_busy_polls", "rx_packets", "conn_created")}
    assert d["worker_busy_polls"] > 0 and d["worker_busy_cycles"] > 0, d
    assert d["worker_idle_cycles"] > 0, d
    # a busy poll handles at least one frame: never more busy polls than frames received
    assert d["worker_busy_polls"] <= d["rx_packets"], d
    print(f"\nbusy cycles per received packet: {d['worker_busy_cycles'] / d['rx_packets']:.0f}, "
          f"per connection: {d['worker_busy_cycles'] / max(d['conn_created'], 1):.0f} ({d})")


def test_info_sizes_and_workers(tb):
    """/pe/info gives the unit of the cycle counters and what a connection entry costs;
    /pe/workers splits the counters by worker, and with one worker its figures are the totals."""
    info = tb.info()
    assert info["tsc_hz"] > 0, info
    assert info["rss"] == "off" and info["workers"] == 1, info
    # the table's heap per entry holds at least the entry itself (hash, timers, free stack on top)
    assert info["conn_entry_bytes"] >= info["conn_struct_bytes"] > 0, info
    tb.ldapsearch(tb.vip, tb.suffix, "description")
    stats = tb.stats()
    per_worker = tb.query("/pe/workers")
    assert list(per_worker) == ["q0"], per_worker
    q0 = per_worker["q0"]
    assert q0["queue"] == 0 and q0["conn_created"] >= 1, q0
    # read after the totals: a worker's counters only grow
    assert q0["conn_created"] >= stats["conn_created"] and q0["rx_packets"] >= stats["rx_packets"], (q0, stats)
    print(f"\nconnection entry: {info['conn_entry_bytes']} bytes of table per entry "
          f"(struct pe_conn {info['conn_struct_bytes']} bytes)")
