"""Reading LDAP-over-TCP captures: TCP sessions, reassembled byte streams, LDAP framing.

Shared by testbed/replay.py, pytest/test_ber_captures.py and pytest/test_ber_tshark.py.

read_sessions(path, port) reads a pcap or pcapng file (Ethernet, 802.1Q, Linux cooked,
IPv4 and IPv6: whatever scapy dissects) and returns one Session per TCP connection whose
server side uses `port`, in the order their first packet appears. A connection is its
4-tuple; a new SYN with another ISN on the same 4-tuple starts a new Session (port reuse).

Per direction (Stream) the payload is reassembled by sequence number from the stream's
start (the SYN's ISN + 1; for the server direction without a SYN-ACK, the acknowledgment
number of the client's first ACK; otherwise the lowest sequence number seen).
Retransmissions and overlaps are dropped: the first captured copy of each byte wins, and
each byte keeps the time (timestamp, frame number) of the first frame that carried it.
Bytes the capture does not hold are recorded as holes:
  - a gap between segments (a lost or truncated frame: the frame's own IP length says how
    much payload it had, the capture may hold less),
  - bytes the peer acknowledged, or a FIN placed, beyond the last captured byte.

The payload bytes are the captured ones: `tcp.payload.original`. bytes(tcp.payload) is
scapy's LDAP layer re-encoded (it rewrites constructed filter tags and long-form lengths).

ldap_frames(data) splits a byte string into LDAPMessages (RFC 4511 §4.1.1, BER definite
lengths) as far as it can; starttls_cut(session) finds a successful StartTLS exchange
(RFC 4511 §4.14) and where TLS begins in each direction.
"""
import ipaddress

SEQ_MOD = 1 << 32
HALF = 1 << 31
STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
OP_EXTENDED_REQUEST, OP_EXTENDED_RESPONSE = 23, 24
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


def _rel(seq, start):
    """Offset of `seq` from `start`, wrap-safe; negative when seq is before start."""
    d = (seq - start) % SEQ_MOD
    return d - SEQ_MOD if d >= HALF else d


class Stream:
    """One direction of a connection: captured segments and their reassembly."""

    def __init__(self):
        self.isn = None          # sequence number of this side's SYN
        self.segs = []           # (seq, payload, claimed_len, (ts, frame))
        self.fin_seq = None      # sequence number of the first FIN
        self.rst = False
        self.acks = []           # acknowledgment numbers this side sent (for the peer's stream)
        self.first_ack = None    # this side's first ACK number (handshake ACK)
        self.start = None        # set by Session.reassemble()
        self.data = b""          # contiguous bytes from start up to the first hole
        self.pieces = []         # [(offset, length, (ts, frame))]: where each new byte came from
        self.holes = []          # [(offset, length, why)]
        self.chunks = []         # every contiguous run of bytes, split at holes

    def reassemble(self, start, peer_acks):
        self.start = start
        segs = []
        for seq, payload, claimed, when in self.segs:
            off = _rel(seq, start)
            if off < 0:          # bytes before the stream's start: keep only what is after it
                if off + len(payload) <= 0:
                    continue
                payload, claimed, off = payload[-off:], claimed + off, 0
            segs.append((off, when, payload, claimed))
        segs.sort(key=lambda s: (s[0], s[1]))
        buf, nxt, pieces, holes, chunks, run = bytearray(), 0, [], [], [], bytearray()
        for off, when, payload, _claimed in segs:
            if off > nxt:
                holes.append((nxt, off - nxt, "bytes missing between captured segments"))
                chunks.append(bytes(run))
                run = bytearray()
                buf += b"\0" * (off - nxt)  # placeholder, never replayed once a hole exists
                nxt = off
            if off + len(payload) > nxt:
                new = payload[nxt - off:]
                pieces.append((nxt, len(new), when))
                buf += new
                run += new
                nxt = off + len(payload)
        chunks.append(bytes(run))
        end = nxt
        claimed_end = max((off + claimed for off, _w, _p, claimed in segs), default=0)
        if claimed_end > end:
            holes.append((end, claimed_end - end, "frame truncated by the capture (snaplen)"))
            end = claimed_end
        if self.fin_seq is not None:
            fin_off = _rel(self.fin_seq, start)
            if fin_off > end:
                holes.append((end, fin_off - end, "bytes missing before the FIN"))
                end = fin_off
        limit = end + (1 if self.fin_seq is not None else 0)
        acked = max((_rel(a, start) for a in peer_acks), default=0)
        if acked > limit:
            holes.append((end, acked - limit, "bytes the peer acknowledged are not in the capture"))
        self.holes = holes
        self.pieces = pieces
        self.chunks = [c for c in chunks if c] or [b""]
        self.data = bytes(buf[:holes[0][0]]) if holes else bytes(buf)
        return self


class Session:
    """One TCP connection: client and server addresses, the two Streams, how it ended."""

    def __init__(self, client, cport, server, sport, first_frame):
        self.client, self.cport, self.server, self.sport = client, cport, server, sport
        self.first_frame = first_frame
        self.c2s = Stream()
        self.s2c = Stream()
        self.index = 0  # position in the capture (set by read_sessions)

    @property
    def name(self):
        def host(a):
            return f"[{a}]" if ":" in a else a
        return f"{host(self.client)}:{self.cport} -> {host(self.server)}:{self.sport}"

    def reassemble(self):
        c, s = self.c2s, self.s2c
        c_start = (c.isn + 1) % SEQ_MOD if c.isn is not None else _lowest(c)
        if s.isn is not None:
            s_start = (s.isn + 1) % SEQ_MOD
        elif c.isn is not None and c.first_ack is not None:
            s_start = c.first_ack        # the client's handshake ACK acknowledges the SYN-ACK
        else:
            s_start = _lowest(s)
        c.reassemble(c_start, s.acks)
        s.reassemble(s_start, c.acks)
        return self

    def turns(self):
        """[(direction, bytes)] with direction "c2s"/"s2c": both streams cut into pieces
        and put in capture order (time of the first frame carrying each byte; within a
        direction never before earlier bytes), consecutive pieces of one direction joined."""
        return merge_turns(self.c2s.data, self.c2s.pieces, self.s2c.data, self.s2c.pieces)


def merge_turns(c_data, c_pieces, s_data, s_pieces, c_len=None, s_len=None):
    """Interleave two directions' pieces by time; c_len/s_len cut a direction short."""
    items = []
    for direction, data, pieces, limit in (("c2s", c_data, c_pieces, c_len),
                                           ("s2c", s_data, s_pieces, s_len)):
        limit = len(data) if limit is None else min(limit, len(data))
        last = None
        for off, length, when in pieces:
            if off >= limit:
                break
            length = min(length, limit - off)
            if last is not None and when < last:
                when = last
            last = when
            items.append((when, direction, data[off:off + length]))
    items.sort(key=lambda x: x[0])
    turns = []
    for _when, direction, data in items:
        if turns and turns[-1][0] == direction:
            turns[-1] = (direction, turns[-1][1] + data)
        else:
            turns.append((direction, data))
    return turns


def _lowest(stream):
    """The lowest sequence number among a stream's segments (relative to the first one,
    so that a wrap inside the capture is handled), or 0 without segments."""
    if not stream.segs:
        return 0
    ref = stream.segs[0][0]
    return min((s[0] for s in stream.segs), key=lambda q: _rel(q, ref))


def _norm(addr):
    return ipaddress.ip_address(addr).compressed


def read_sessions(path, port=389):
    """Every TCP connection of the capture whose server port is `port`, reassembled."""
    from scapy.all import IP, TCP, IPv6, NoPayload, Padding, PcapReader
    sessions, current = [], {}
    with PcapReader(path) as reader:
        for frame, pkt in enumerate(reader):
            if TCP not in pkt:
                continue
            ip = pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None
            tcp = pkt[TCP]
            if ip is None or port not in (tcp.sport, tcp.dport):
                continue
            src, dst = _norm(ip.src), _norm(ip.dst)
            to_server = tcp.dport == port and not (tcp.sport == port and tcp.flags & SYN and tcp.flags & ACK)
            key = (src, tcp.sport, dst, tcp.dport) if to_server else (dst, tcp.dport, src, tcp.sport)
            sess = current.get(key)
            flags = int(tcp.flags)
            if to_server and flags & SYN and not flags & ACK and sess is not None \
                    and sess.c2s.isn is not None and sess.c2s.isn != tcp.seq:
                sess = None  # the same 4-tuple used again: a new connection
            if sess is None:
                sess = Session(*key, first_frame=frame)
                current[key] = sess
                sessions.append(sess)
            st = sess.c2s if to_server else sess.s2c
            payload = b"" if isinstance(tcp.payload, (NoPayload, Padding)) else bytes(tcp.payload.original)
            claimed = _claimed_payload(ip, tcp, len(payload))
            when = (float(pkt.time), frame)
            if flags & SYN:
                st.isn = tcp.seq
            if flags & ACK:
                st.acks.append(tcp.ack)
                if st.first_ack is None and not flags & SYN:
                    st.first_ack = tcp.ack
            if flags & RST:
                st.rst = True
            seq = (tcp.seq + (1 if flags & SYN else 0)) % SEQ_MOD
            if payload or claimed:
                st.segs.append((seq, payload, claimed, when))
            if flags & FIN and st.fin_seq is None:
                st.fin_seq = (seq + claimed) % SEQ_MOD
    for i, s in enumerate(sessions):
        s.index = i
        s.reassemble()
    return sessions


def _claimed_payload(ip, tcp, captured):
    """TCP payload length the frame's own headers announce (>= what was captured)."""
    try:
        if ip.version == 4:
            n = ip.len - ip.ihl * 4 - tcp.dataofs * 4
        elif ip.nh == 6:  # no IPv6 extension headers before TCP
            n = ip.plen - tcp.dataofs * 4
        else:
            return captured
    except (AttributeError, TypeError):
        return captured
    return n if n > captured else captured


def streams(path, norm=str, port=389):
    """{(norm(src), sport, norm(dst), dport): [chunk, ...]} for every TCP direction of a
    connection on `port` with payload: the reassembled bytes, split where the capture
    missed bytes. What pytest/test_ber_captures.py and test_ber_tshark.py walk."""
    out = {}
    for s in read_sessions(path, port):
        for st, key in ((s.c2s, (norm(s.client), s.cport, norm(s.server), s.sport)),
                        (s.s2c, (norm(s.server), s.sport, norm(s.client), s.cport))):
            chunks = [c for c in st.chunks if c]
            if chunks:
                out.setdefault(key, []).extend(chunks)
    return out


# --- LDAP framing -------------------------------------------------------------------------

def _tlv(data, i):
    """(tag, value_start, value_end) of the BER element at i, or None if it does not fit
    (indefinite lengths, which LDAP forbids, count as not fitting)."""
    if i + 2 > len(data):
        return None
    tag, b = data[i], data[i + 1]
    if tag & 0x1f == 0x1f:
        return None
    j = i + 2
    if b < 0x80:
        n = b
    elif b == 0x80 or b > 0x84:
        return None
    else:
        k = b & 0x7f
        if j + k > len(data):
            return None
        n = int.from_bytes(data[j:j + k], "big")
        j += k
    if j + n > len(data):
        return None
    return tag, j, j + n


def ldap_frames(data):
    """([(start, end, message_id, op, element)], stop) for the LDAPMessages at the start
    of `data`; stop is where framing ended (len(data) when all of it was LDAP). `element`
    is the protocolOp's (tag, start, end)."""
    out, i = [], 0
    while i < len(data):
        msg = _tlv(data, i)
        if msg is None or msg[0] != 0x30:
            break
        _tag, vs, ve = msg
        mid = _tlv(data[:ve], vs)
        if mid is None or mid[0] != 0x02 or not 1 <= mid[2] - mid[1] <= 4:
            break
        op = _tlv(data[:ve], mid[2])
        if op is None or op[0] & 0xc0 != 0x40:
            break
        out.append((i, ve, int.from_bytes(data[mid[1]:mid[2]], "big"), op[0] & 0x1f, op))
        i = ve
    return out, i


def looks_like_tls(data):
    """A TLS record header (handshake/alert/...; version 3.x)."""
    return len(data) >= 3 and data[0] in (0x14, 0x15, 0x16, 0x17) and data[1] == 0x03 and data[2] <= 0x04


def starttls_cut(session):
    """None, or (c2s_end, s2c_end, messages) when the session did a successful StartTLS and
    the bytes after it (in either direction) are not LDAP: the LDAP part ends with the
    StartTLS request (client) and its response (server); `messages` LDAPMessages precede."""
    c, s = session.c2s.data, session.s2c.data
    cf, _ = ldap_frames(c)
    sf, _ = ldap_frames(s)
    for k, (_st, end, mid, op, (_t, vs, ve)) in enumerate(cf):
        if op != OP_EXTENDED_REQUEST:
            continue
        name = _tlv(c[:ve], vs)
        if name is None or name[0] != 0x80 or c[name[1]:name[2]] != STARTTLS_OID:
            continue
        for m, (_st2, end2, mid2, op2, (_t2, vs2, ve2)) in enumerate(sf):
            if op2 != OP_EXTENDED_RESPONSE or mid2 != mid:
                continue
            rc = _tlv(s[:ve2], vs2)
            if rc is None or rc[0] != 0x0a or int.from_bytes(s[rc[1]:rc[2]], "big") != 0:
                break  # refused: the session goes on in LDAP
            if end < len(c) or end2 < len(s):
                return end, end2, (k + 1) + (m + 1)
            return None
    return None
