/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delayed binding and splicing of two TCP connections.
 *
 *   client                    engine                      backend
 *     | SYN ------------------> |  (no state: SYN cookie)      |
 *     | <------- SYN-ACK(cookie)|                              |
 *     | ACK ------------------> |  cookie ok: entry WAIT_DATA  |
 *     | data -----------------> |  select backend, hold data   |
 *     | more data ------------> |  held too (bounded)          |
 *     |                         | SYN(seq = client ISN) ---->  |  CONNECTING
 *     |                         | <------------------ SYN-ACK  |
 *     |                         | held data (acks SYN-ACK) --> |  ESTABLISHED
 *     | <====== relayed both ways, seq/ack/options translated => |
 *
 * The engine never acknowledges client data itself: the backend's ACKs,
 * translated, do. Held data stays held until the backend acknowledges it
 * and is retransmitted by the engine meanwhile; everything else the client
 * retransmits itself. The SYN-ACK is regenerated from the client's
 * retransmitted SYN (a cookie needs no state).
 *
 * Options (RFC 7323, RFC 2018): the SYN-ACK offers the client what the
 * engine can bridge (MSS, and with timestamps also window scale and SACK,
 * carried through the cookie); the SYN to the backend offers the client's
 * own values. Mismatches are bridged per segment: windows rescaled,
 * timestamps shifted, SACK blocks translated or stripped, long client
 * segments split for a backend with a smaller MSS.
 *
 * The state machine is the table pe_fsm[state][side][event] in proxy_fsm.c.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "conn/conn.h"
#include "conn/port_alloc.h"
#include "core/engine.h"
#include "core/log.h"
#include "inspect/inspect.h"
#include "io/worker.h"
#include "net/arp.h"
#include "net/csum.h"
#include "proxy/backend.h"
#include "proxy/lb.h"
#include "proxy/proxy.h"
#include "proxy/proxy_fsm.h"
#include "tcp/tcp_cookie.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_proxy, proxy, INFO);

#define PE_SYN_WINDOW 65535      /* window field of SYN and SYN-ACK (never scaled, RFC 7323 §2.2) */
#define PE_SYN_RTO_MS 250        /* first retransmission of a SYN to a backend, then doubled */
#define PE_CHALLENGE_INTERVAL_MS 500  /* at most one challenge ACK per connection this often (RFC 5961 §7) */
#define PE_OLD_DUP_WINDOW 65535  /* how far before RCV.NXT a retransmission may start */
#define PE_HOLD_MAX_SEGS 64      /* client segments held per connection while connecting */

/* A segment as the proxy sees it: net.c's parse plus its options. */
struct seg_ctx {
	struct pe_tcp_seg *seg;
	struct pe_tcp_opts o;
};

static const enum pe_cnt_id state_counter[PE_CS_MAX] = {
	[PE_CS_WAIT_DATA] = PE_CNT_state_wait_data,
	[PE_CS_CONNECTING] = PE_CNT_state_connecting,
	[PE_CS_ESTABLISHED] = PE_CNT_state_established,
	[PE_CS_FIN_CLIENT] = PE_CNT_state_fin_client,
	[PE_CS_FIN_BACKEND] = PE_CNT_state_fin_backend,
	[PE_CS_TIME_WAIT] = PE_CNT_state_time_wait,
	[PE_CS_RESET] = PE_CNT_state_reset,
};

static inline bool
cf(const struct pe_conn *c, uint8_t flag)
{
	return (c->flags & flag) != 0;
}

static inline enum pe_side
other(enum pe_side s)
{
	return s == PE_SIDE_CLIENT ? PE_SIDE_BACKEND : PE_SIDE_CLIENT;
}

/* Parse the headers of an mbuf that net.c validated earlier (a held segment). */
static void
seg_from_mbuf(struct rte_mbuf *m, struct pe_tcp_seg *seg)
{
	seg->m = m;
	seg->eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	seg->ip = (struct rte_ipv4_hdr *)(seg->eth + 1);
	seg->tcp = (struct rte_tcp_hdr *)((uint8_t *)seg->ip + rte_ipv4_hdr_len(seg->ip));
	seg->seq = rte_be_to_cpu_32(seg->tcp->sent_seq);
	seg->ack = rte_be_to_cpu_32(seg->tcp->recv_ack);
	seg->hdr_len = (uint16_t)((seg->tcp->data_off >> 4) * 4);
	seg->payload_len = (uint16_t)(rte_be_to_cpu_16(seg->ip->total_length) -
			rte_ipv4_hdr_len(seg->ip) - seg->hdr_len);
	seg->flags = seg->tcp->tcp_flags;
}

static inline uint8_t *
seg_opts(const struct pe_tcp_seg *seg)
{
	return (uint8_t *)(seg->tcp + 1);
}

static inline size_t
seg_opts_len(const struct pe_tcp_seg *seg)
{
	return seg->hdr_len - sizeof(struct rte_tcp_hdr);
}

static uint64_t
now_s(const struct pe_worker *w)
{
	return w->now / pe_eng.hz;
}

/* The engine's timestamp clock: milliseconds (RFC 7323 §5.4 allows 1 ms to 1 s per tick). */
static uint32_t
ts_clock(const struct pe_worker *w)
{
	return (uint32_t)(w->now / (pe_eng.hz / 1000));
}

/* The worker's cookie keys for the current period, rotated when a period ends. */
static const struct pe_cookie_key *
cookie_keys(struct pe_worker *w)
{
	/* wall-clock periods, so that engines sharing the secret agree on them */
	uint32_t p = pe_cookie_period(now_s(w) + pe_eng.wall_offset_s, pe_eng.cfg.cookie_period_s);
	struct pe_cookie_key *k = w->cookie_keys;

	if (k[0].period == p && k[1].period == p - 1)
		return k;
	if (k[0].period == p - 1 && k[1].period == p - 2)
		k[1] = k[0];
	else
		pe_cookie_key_derive(&pe_eng.cookie_secret, p - 1, &k[1]);
	pe_cookie_key_derive(&pe_eng.cookie_secret, p, &k[0]);
	return k;
}

/*
 * Sequence numbers between the two halves. Data sent by @from keeps its
 * numbers shifted by a constant (d_c2b, d_b2c), unless an inspector has
 * changed lengths in that direction: then the direction's map (seq_map.h).
 */
static inline uint32_t
seq_out(const struct pe_conn *c, enum pe_side from, uint32_t seq)
{
	if (likely(c->st == NULL))
		return seq + (from == PE_SIDE_CLIENT ? c->d_c2b : c->d_b2c);
	return pe_seq_map_to_out(&c->st->d[from].map, seq, false);
}

/* The sequence number of @from's data that an acknowledgment @ack (in the receiver's view) stands for. */
static inline uint32_t
seq_in(const struct pe_conn *c, enum pe_side from, uint32_t ack)
{
	if (likely(c->st == NULL))
		return ack - (from == PE_SIDE_CLIENT ? c->d_c2b : c->d_b2c);
	return pe_seq_map_to_in(&c->st->d[from].map, ack);
}

/* Is the data @from sends inspected (framed, re-sent by the engine)? */
static inline bool
streamed(const struct pe_conn *c, enum pe_side from)
{
	return c->st != NULL && c->st->d[from].mode != PE_STREAM_OFF;
}

/* ---- connection life cycle ---------------------------------------------- */

/* @c's timer fires @ticks from now (the worker's clock): conn_timer_cb(). */
static void
conn_arm(struct pe_worker *w, struct pe_conn *c, uint64_t ticks)
{
	pe_conn_timer_arm(w->conns, c, w->now + ticks);
}

/* Give back the backend half: its port, its place in the table, the backend's count. */
static void
conn_unbind(struct pe_worker *w, struct pe_conn *c)
{
	if (!cf(c, PE_CF_BACKEND_KEY))
		return;
	pe_port_alloc_put(w->ports, rte_be_to_cpu_16(c->key[PE_SIDE_BACKEND].lport));
	w->be[c->be_idx].active--;
	pe_conn_remove_backend(w->conns, c);
}

static void
conn_free(struct pe_worker *w, struct pe_conn *c)
{
	conn_unbind(w, c);
	pe_conn_release(w->conns, c);
	PE_CNT_INC(&w->cnt, conn_freed);
}

/* Arm the timer for whatever is due first: a retransmission or the idle timeout. */
static void
conn_arm_relaying(struct pe_worker *w, struct pe_conn *c)
{
	uint64_t due = c->last_seen + pe_ms_to_tsc(pe_eng.cfg.idle_timeout_ms);

	unsigned int s;

	if (c->rto_at != 0 && c->rto_at < due)
		due = c->rto_at;
	for (s = 0; c->st != NULL && s < 2; s++)
		if (c->st->d[s].msg_due != 0 && c->st->d[s].msg_due < due)
			due = c->st->d[s].msg_due;
	conn_arm(w, c, due > w->now ? due - w->now : 0);
}

static void
conn_set_state(struct pe_worker *w, struct pe_conn *c, unsigned int next)
{
	if (next == PE_FSM_SAME || next == c->state)
		return;
	c->state = (uint8_t)next;
	w->cnt.v[state_counter[next]]++;
	switch (next) {
	case PE_CS_WAIT_DATA:
	case PE_CS_ESTABLISHED:
		conn_arm_relaying(w, c);
		break;
	case PE_CS_CONNECTING:
		conn_arm(w, c, pe_ms_to_tsc(PE_SYN_RTO_MS));
		break;
	case PE_CS_TIME_WAIT:
	case PE_CS_RESET:
		pe_hold_free(&c->hold);
		/* output an inspected connection still owes its receiver keeps being resent */
		if (next == PE_CS_RESET || c->st == NULL ||
				c->st->d[0].out.n + c->st->d[1].out.n == 0)
			c->rto_at = 0;
		conn_arm(w, c, pe_ms_to_tsc(pe_eng.cfg.linger_ms));
		if (c->rto_at != 0 && c->rto_at < w->now + pe_ms_to_tsc(pe_eng.cfg.linger_ms))
			conn_arm(w, c, c->rto_at > w->now ? c->rto_at - w->now : 0);
		break;
	default:
		/* FIN_*: the timer armed in ESTABLISHED keeps running, unless held data is due */
		if (c->rto_at != 0)
			conn_arm_relaying(w, c);
		break;
	}
}

/* ---- segments the engine sends itself ------------------------------------ */

/* TSval the engine puts in a segment toward @to: that side's view of its peer's clock. */
static uint32_t
ts_toward(const struct pe_worker *w, const struct pe_conn *c, enum pe_side to)
{
	if (to == PE_SIDE_BACKEND)
		return c->dir[PE_SIDE_CLIENT].ts_recent;
	if (cf(c, PE_CF_TS_B))
		return c->dir[PE_SIDE_BACKEND].ts_recent + c->d_ts;
	/* the engine's own clock, as in its SYN-ACK */
	return ts_clock(w) + c->ts_off;
}

static bool
ts_on(const struct pe_conn *c, enum pe_side side)
{
	return cf(c, side == PE_SIDE_CLIENT ? PE_CF_TS_C : PE_CF_TS_B);
}

/* Segment toward one side of @c. */
static void
conn_send_payload(struct pe_worker *w, struct pe_conn *c, enum pe_side to, uint32_t seq,
		uint32_t ack, uint8_t flags, uint16_t window, const uint8_t *opts, uint8_t opts_len,
		const uint8_t *payload, uint16_t payload_len)
{
	const struct pe_conn_key *k = &c->key[to];
	struct pe_tcp_spec s = {
		.saddr = k->laddr,
		.daddr = k->raddr,
		.sport = k->lport,
		.dport = k->rport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.window = window,
		.opts = opts,
		.opts_len = opts_len,
		.payload = payload,
		.payload_len = payload_len,
	};
	struct rte_mbuf *m;

	rte_ether_addr_copy(&pe_eng.mac, &s.src_mac);
	if (to == PE_SIDE_CLIENT) {
		rte_ether_addr_copy(&c->c_mac, &s.dst_mac);
		pe_tcp_send(w, &s);
		return;
	}
	m = pe_tcp_build(w, &s);
	if (m != NULL)
		pe_arp_output(w, k->raddr, m);
}

/* Segment toward one side of @c carrying no payload. */
static void
conn_send(struct pe_worker *w, struct pe_conn *c, enum pe_side to, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t window, const uint8_t *opts, uint8_t opts_len)
{
	conn_send_payload(w, c, to, seq, ack, flags, window, opts, opts_len, NULL, 0);
}

/*
 * The sequence number @to expects next from its peer, in @to's view: the
 * peer's data @to has acknowledged (@acked), or all the peer has sent.
 */
static uint32_t
seq_toward(const struct pe_conn *c, enum pe_side to, bool acked)
{
	enum pe_side from = other(to);
	const struct pe_conn_dir *peer = &c->dir[from];

	if (c->state < PE_CS_ESTABLISHED)
		return to == PE_SIDE_BACKEND ? c->c_isn + 1 : c->e_isn + 1;
	if (streamed(c, from))
		return acked ? c->st->d[from].out_una : c->st->d[from].out_sent;
	return seq_out(c, from, acked ? peer->rcv_nxt : peer->nxt);
}

/* An ACK toward @to as its peer would send it: <SEQ=@seq><ACK=RCV.NXT>, with timestamps. */
static void
conn_send_ack(struct pe_worker *w, struct pe_conn *c, enum pe_side to, uint32_t seq)
{
	uint8_t opts[PE_TCPOPT_TS_ALIGNED_LEN];
	uint8_t n = 0;

	if (ts_on(c, to))
		n = (uint8_t)pe_tcp_opt_put_ts(opts, ts_toward(w, c, to), c->dir[to].ts_recent);
	conn_send(w, c, to, seq, c->dir[to].rcv_nxt, RTE_TCP_ACK_FLAG, c->dir[to].win_to, opts, n);
}

/*
 * RST toward @to. A receiver takes a RST only at exactly its RCV.NXT
 * (RFC 5961 §3.2); with data in flight the engine cannot know whether that is
 * where its last ACK said or past what was sent since, so it sends both.
 */
static void
conn_rst(struct pe_worker *w, struct pe_conn *c, enum pe_side to)
{
	uint32_t acked = seq_toward(c, to, true), sent = seq_toward(c, to, false);

	PE_CNT_INC(&w->cnt, rst_sent);
	conn_send(w, c, to, acked, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	if (sent != acked) {
		PE_CNT_INC(&w->cnt, rst_sent);
		conn_send(w, c, to, sent, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	}
}

/*
 * RFC 5961 §3.2/§4: tell the sender where the connection is. Limited per
 * connection, never by a budget shared between connections: a shared one
 * lets an attacker count challenge ACKs on its own connection to learn
 * another's sequence numbers (CVE-2016-5696; Linux likewise).
 */
static void
challenge_ack(struct pe_worker *w, struct pe_conn *c, enum pe_side to)
{
	uint32_t now_ms = ts_clock(w);

	if (c->challenge_ms != 0 && now_ms - c->challenge_ms < PE_CHALLENGE_INTERVAL_MS) {
		PE_CNT_INC(&w->cnt, challenge_ack_limited);
		return;
	}
	c->challenge_ms = now_ms != 0 ? now_ms : 1;
	PE_CNT_INC(&w->cnt, challenge_ack_sent);
	conn_send_ack(w, c, to, seq_toward(c, to, true));
}

static void
send_backend_syn(struct pe_worker *w, struct pe_conn *c)
{
	const struct pe_tcp_opts o = {
		.has_mss = true,
		/* room for the timestamp the engine adds if the backend has none (insert_ts) */
		.mss = (uint16_t)(RTE_MIN(c->c_mss, pe_eng.cfg.tcp_mss) -
				(cf(c, PE_CF_TS_C) ? PE_TCPOPT_TS_ALIGNED_LEN : 0)),
		.sack_perm = cf(c, PE_CF_SACK_C),
		.has_ts = cf(c, PE_CF_TS_C),
		.ts_val = c->dir[PE_SIDE_CLIENT].ts_recent,
		.has_wscale = cf(c, PE_CF_WS_C),
		.wscale = c->c_ws,
	};
	uint8_t opts[PE_TCPOPT_SYN_LEN_MAX];
	/* what the client can take (its window, in bytes), as far as an unscaled field says */
	uint16_t win = (uint16_t)RTE_MIN(c->dir[PE_SIDE_BACKEND].max_wnd, (uint32_t)PE_SYN_WINDOW);

	if (c->syn_tries < UINT8_MAX)
		c->syn_tries++;
	PE_CNT_INC(&w->cnt, backend_syn_sent);
	conn_send(w, c, PE_SIDE_BACKEND, c->c_isn, 0, RTE_TCP_SYN_FLAG, win, opts,
			(uint8_t)pe_tcp_opt_build_syn(opts, &o));
}

/* ---- relaying ------------------------------------------------------------ */

/* One's complement sum of an options area (offset 20 in the header: word aligned). */
static uint16_t
opts_sum(const uint8_t *opts, size_t len)
{
	return pe_csum_fold(pe_csum_raw(opts, len, 0));
}

/*
 * The client's TSecr in the backend's clock. What the client echoes from
 * before the backend was up (the SYN-ACK's TSval, an engine ACK) maps to
 * before the backend's first TSval; Linux drops a handshake-completing
 * segment whose TSecr is older than the SYN-ACK it sent, so those echo the
 * backend's SYN-ACK TSval instead.
 */
static uint32_t
ecr_toward_backend(const struct pe_conn *c, uint32_t ecr)
{
	uint32_t v = ecr - c->d_ts;

	return pe_seq_lt(v, c->b_ts) ? c->b_ts : v;
}

/*
 * Translate the options of a segment from @from in place: timestamps moved
 * into the receiver's view of its peer's clock, SACK blocks into the
 * receiver's sequence space; options the receiver did not negotiate are
 * replaced by NOPs. Returns @acc with the checksum difference added
 * (pe_csum_diff16()).
 */
static uint32_t
relay_options(struct pe_conn *c, enum pe_side from, struct seg_ctx *sc, uint32_t acc)
{
	enum pe_side to = other(from);
	struct pe_tcp_opts *o = &sc->o;
	uint8_t *opts = seg_opts(sc->seg);
	size_t len = seg_opts_len(sc->seg);
	uint16_t before;

	if (!o->has_ts && o->sack_off == PE_TCPOPT_ABSENT)
		return acc;
	/*
	 * The common case, timestamps kept and no SACK blocks: the two values'
	 * own difference, where they sit on 16-bit words (the options start at
	 * offset 20; Linux puts TS after two NOPs).
	 */
	if (o->sack_off == PE_TCPOPT_ABSENT && ts_on(c, to) && (o->ts_off & 1) == 0) {
		uint32_t val = from == PE_SIDE_CLIENT ? o->ts_val : o->ts_val + c->d_ts;
		uint32_t ecr = from == PE_SIDE_CLIENT ? ecr_toward_backend(c, o->ts_ecr) : o->ts_ecr;

		acc = pe_csum_diff32(acc, rte_cpu_to_be_32(o->ts_val), rte_cpu_to_be_32(val));
		acc = pe_csum_diff32(acc, rte_cpu_to_be_32(o->ts_ecr), rte_cpu_to_be_32(ecr));
		pe_tcp_opt_set_ts(opts, o, val, ecr);
		return acc;
	}
	before = opts_sum(opts, len);
	if (o->has_ts) {
		if (!ts_on(c, to))
			pe_tcp_opt_strip(opts, o->ts_off, 10);
		else if (from == PE_SIDE_CLIENT)
			pe_tcp_opt_set_ts(opts, o, o->ts_val, ecr_toward_backend(c, o->ts_ecr));
		else
			pe_tcp_opt_set_ts(opts, o, o->ts_val + c->d_ts, o->ts_ecr);
	}
	if (o->sack_off != PE_TCPOPT_ABSENT) {
		/*
		 * Stripped toward a side without SACK, and toward the sender of an
		 * inspected direction: the blocks are about the engine's output,
		 * which the engine retransmits itself; what the sender must hear of
		 * is input the engine lacks (stream_send_ack).
		 */
		if (!cf(c, to == PE_SIDE_CLIENT ? PE_CF_SACK_C : PE_CF_SACK_B) || streamed(c, to))
			pe_tcp_opt_strip(opts, o->sack_off, pe_tcp_opt_sack_len(o));
		else if (from == PE_SIDE_CLIENT)
			pe_tcp_opt_sack_shift(opts, o, (uint32_t)-c->d_b2c);
		else
			pe_tcp_opt_sack_shift(opts, o, c->d_c2b);
	}
	return pe_csum_diff16(acc, before, opts_sum(opts, len));
}

/* Learn from a segment of @from what its peer may send next (ACK, window, timestamp). */
static void stream_acked(struct pe_worker *w, struct pe_conn *c, enum pe_side s,
		const struct seg_ctx *sc);

static void
track(struct pe_worker *w, struct pe_conn *c, enum pe_side from, const struct seg_ctx *sc)
{
	const struct pe_tcp_seg *seg = sc->seg;
	struct pe_conn_dir *mine = &c->dir[from], *peer = &c->dir[other(from)];
	uint32_t end = seg->seq + pe_tcp_seg_len(seg);

	if (pe_seq_gt(end, mine->nxt))
		mine->nxt = end;
	if (sc->o.has_ts && pe_seq_geq(sc->o.ts_val, mine->ts_recent))
		mine->ts_recent = sc->o.ts_val;
	if (seg->flags & RTE_TCP_ACK_FLAG) {
		/* the ACK in the peer's own sequence space */
		uint32_t ack = seq_in(c, other(from), seg->ack);
		uint32_t wnd = (uint32_t)rte_be_to_cpu_16(seg->tcp->rx_win) << c->ws_in[from];

		if (pe_seq_gt(ack, peer->rcv_nxt))
			peer->rcv_nxt = ack;
		if (pe_seq_gt(ack + wnd, peer->right))
			peer->right = ack + wnd;
		if (wnd > peer->max_wnd)
			peer->max_wnd = wnd;
		if (streamed(c, other(from)) && c->state >= PE_CS_ESTABLISHED)
			stream_acked(w, c, other(from), sc);
	}
}

/*
 * Is a segment from @from inside what its receiver can accept (RFC 9293
 * §3.10.7.4, RFC 5961 §5.2)? Its sequence range must touch the window:
 * retransmissions from up to PE_OLD_DUP_WINDOW (or the largest window)
 * before RCV.NXT and window probes pass, the receiver itself answers them.
 * Its ACK must lie between the peer's oldest unacknowledged byte (minus the
 * same allowance) and what the peer has sent. Blind segments outside are
 * dropped here, so they cannot corrupt what the engine tracks.
 */
static uint32_t stream_right(const struct pe_conn *c, enum pe_side s);

static bool
in_window(const struct pe_conn *c, enum pe_side from, const struct pe_tcp_seg *seg)
{
	const struct pe_conn_dir *d = &c->dir[from], *peer = &c->dir[other(from)];
	uint32_t end = seg->seq + pe_tcp_seg_len(seg);
	uint32_t back = RTE_MAX(d->max_wnd, (uint32_t)PE_OLD_DUP_WINDOW);
	/* rescaling rounds a window up to one unit of the sender's scale */
	uint32_t slack = 1u << c->ws_out[from];
	uint32_t right = d->right, ack;

	/* an inspected sender may fill what the engine offered it (win_toward_sender) */
	if (streamed(c, from))
		right = stream_right(c, from);
	if (pe_seq_gt(seg->seq, right + slack) || pe_seq_lt(end, d->rcv_nxt - back))
		return false;
	if (!(seg->flags & RTE_TCP_ACK_FLAG))
		return true;
	back = RTE_MAX(peer->max_wnd, (uint32_t)PE_OLD_DUP_WINDOW);
	if (streamed(c, other(from))) {
		/*
		 * About the engine's own output: between what was sent and what
		 * this receiver acknowledged (peer->rcv_nxt may be far ahead: the
		 * engine acknowledges held bytes itself).
		 */
		const struct pe_stream_dir *sd = &c->st->d[other(from)];

		return pe_seq_leq(seg->ack, sd->out_sent) && pe_seq_geq(seg->ack, sd->out_una - back);
	}
	ack = seq_in(c, other(from), seg->ack);
	return pe_seq_leq(ack, peer->nxt) && pe_seq_geq(ack, peer->rcv_nxt - back);
}

static void insert_ts(struct pe_worker *w, struct pe_conn *c, struct pe_tcp_seg *seg,
		const struct pe_tcp_opts *o);

/*
 * The right edge of the window the sender @s of an inspected direction may
 * fill: the receiver's, or while a message is incomplete, room for all of it
 * (the engine holds it; a message larger than the receiver's window could
 * otherwise never complete).
 */
static uint32_t
sender_right(const struct pe_conn *c, enum pe_side s)
{
	const struct pe_stream_dir *d = &c->st->d[s];
	uint32_t right = c->dir[s].right, need;

	if (d->in_nxt == d->in_done || d->mode != PE_STREAM_INSPECT)
		return right;
	need = d->in_done + (d->msg_len != 0 ? d->msg_len : pe_eng.cfg.inspect.max_message_bytes);
	return pe_seq_gt(need, right) ? need : right;
}

/* What an inspected sender @s may send up to: sender_right() or what it was offered before. */
static uint32_t
stream_right(const struct pe_conn *c, enum pe_side s)
{
	uint32_t right = sender_right(c, s);

	return pe_seq_gt(c->st->d[s].adv_right, right) ? c->st->d[s].adv_right : right;
}

/*
 * The window field toward @to, the sender of an inspected direction, to go
 * with the acknowledgment dir[to].rcv_nxt: up to the receiver's right edge.
 * The engine may have acknowledged held bytes beyond what the receiver has
 * (stream_ack_held); the window shrinks by as much, so the sender may never
 * send past what the receiver allows. Rounded up to a unit of the scale, as
 * pe_tcp_win_rescale() does (in_window() allows for it).
 */
static uint16_t
win_toward_sender(struct pe_conn *c, enum pe_side to)
{
	const struct pe_conn_dir *d = &c->dir[to];
	struct pe_stream_dir *sd = &c->st->d[to];
	uint32_t right = sender_right(c, to);
	uint32_t room = pe_seq_gt(right, d->rcv_nxt) ? right - d->rcv_nxt : 0;
	uint32_t unit = 1u << c->ws_out[to];
	uint16_t win = (uint16_t)RTE_MIN((room + unit - 1) >> c->ws_out[to], (uint32_t)UINT16_MAX);
	uint32_t adv = d->rcv_nxt + ((uint32_t)win << c->ws_out[to]);

	/* the right edge the sender was offered: it may send up to there even after it shrinks */
	if (pe_seq_gt(adv, sd->adv_right))
		sd->adv_right = adv;
	return win;
}

/*
 * The sequence number a relayed segment of @from carries. In an inspected
 * direction only segments without data are relayed (ACKs, RSTs): they sit
 * after the output sent so far, whatever input the engine still holds.
 */
static uint32_t
relay_seq(const struct pe_conn *c, enum pe_side from, uint32_t seq)
{
	const struct pe_stream_dir *d;

	if (!streamed(c, from))
		return seq_out(c, from, seq);
	d = &c->st->d[from];
	/* after what was sent, not what is kept: the receiver drops what lies past its window */
	return pe_seq_geq(seq, d->in_done) ? d->out_sent : pe_seq_map_to_out(&d->map, seq, false);
}

static void
count_relay(struct pe_worker *w, enum pe_side from, uint8_t flags)
{
	if (from == PE_SIDE_CLIENT) {
		PE_CNT_INC(&w->cnt, relayed_c2b);
		if (flags & RTE_TCP_FIN_FLAG)
			PE_CNT_INC(&w->cnt, fin_relayed_c2b);
		if (flags & RTE_TCP_RST_FLAG)
			PE_CNT_INC(&w->cnt, rst_relayed_c2b);
	} else {
		PE_CNT_INC(&w->cnt, relayed_b2c);
		if (flags & RTE_TCP_FIN_FLAG)
			PE_CNT_INC(&w->cnt, fin_relayed_b2c);
		if (flags & RTE_TCP_RST_FLAG)
			PE_CNT_INC(&w->cnt, rst_relayed_b2c);
	}
}

/*
 * Send the translated segment @m (headers already rewritten, checksum
 * valid) as pieces of at most @mss payload bytes: copies of its headers,
 * consecutive sequence numbers, FIN and PSH on the last piece only.
 */
static void
send_split(struct pe_worker *w, struct pe_tcp_seg *seg, uint16_t mss)
{
	uint16_t hdrs = (uint16_t)((uint8_t *)seg->tcp - (uint8_t *)seg->eth) + seg->hdr_len;
	const uint8_t *payload = (const uint8_t *)seg->eth + hdrs;
	uint32_t seq = rte_be_to_cpu_32(seg->tcp->sent_seq);
	uint16_t off;

	for (off = 0; off < seg->payload_len; off += mss) {
		uint16_t n = RTE_MIN(mss, (uint16_t)(seg->payload_len - off));
		bool last = off + n == seg->payload_len;
		struct rte_mbuf *p = rte_pktmbuf_alloc(pe_eng.pool);
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *tcp;
		uint8_t *b;

		if (p == NULL || (b = (uint8_t *)rte_pktmbuf_append(p, hdrs + n)) == NULL) {
			rte_pktmbuf_free(p);
			PE_CNT_INC(&w->cnt, drop_nombuf);
			break;
		}
		memcpy(b, seg->eth, hdrs);
		memcpy(b + hdrs, payload + off, n);
		ip = (struct rte_ipv4_hdr *)(b + sizeof(struct rte_ether_hdr));
		tcp = (struct rte_tcp_hdr *)((uint8_t *)ip + rte_ipv4_hdr_len(ip));
		ip->total_length = rte_cpu_to_be_16((uint16_t)(hdrs - sizeof(struct rte_ether_hdr) + n));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		tcp->sent_seq = rte_cpu_to_be_32(seq + off);
		if (!last)
			tcp->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		tcp->cksum = 0;
		tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
		PE_CNT_INC(&w->cnt, segments_split);
		pe_tx(w, p);
	}
	rte_pktmbuf_free(seg->m);
	seg->m = NULL;
}

/*
 * Rewrite the segment of @sc, received from side @from, into a segment of
 * the other connection and send it: addresses, ports, sequence and
 * acknowledgment numbers, window and options translated, checksums updated
 * incrementally.
 */
/*
 * A segment from side s arrives as key[s] (raddr -> laddr, rport -> lport)
 * and leaves as key[other] seen from our end (laddr -> raddr, lport ->
 * rport): the checksum differences of that rewrite, once per connection.
 */
static void
conn_tuple_diffs(struct pe_conn *c)
{
	enum pe_side s;

	for (s = PE_SIDE_CLIENT; s <= PE_SIDE_BACKEND; s++) {
		const struct pe_conn_key *in = &c->key[s], *out = &c->key[other(s)];
		uint32_t d = pe_csum_diff32(0, in->raddr, out->laddr);

		d = pe_csum_diff32(d, in->laddr, out->raddr);
		c->ip_diff[s] = d;
		d = pe_csum_diff16(d, in->rport, out->lport);
		c->tuple_diff[s] = pe_csum_diff16(d, in->lport, out->rport);
	}
}

static void
relay(struct pe_worker *w, struct pe_conn *c, enum pe_side from, struct seg_ctx *sc)
{
	struct pe_tcp_seg *seg = sc->seg;
	enum pe_side to = other(from);
	const struct pe_conn_key *k = &c->key[to];
	struct rte_ipv4_hdr *ip = seg->ip;
	struct rte_tcp_hdr *tcp = seg->tcp;
	uint32_t v, acc;
	uint16_t win;

	track(w, c, from, sc);

	rte_ether_addr_copy(&pe_eng.mac, &seg->eth->src_addr);
	rte_ether_addr_copy(to == PE_SIDE_CLIENT ? &c->c_mac : &c->b_mac, &seg->eth->dst_addr);

	/*
	 * Both checksums updated from the changed words (RFC 1624), each once;
	 * what addresses and ports change is the connection's own constant.
	 */
	ip->src_addr = k->laddr;
	ip->dst_addr = k->raddr;
	ip->hdr_checksum = pe_csum_apply(ip->hdr_checksum, c->ip_diff[from]);
	acc = c->tuple_diff[from];
	tcp->src_port = k->lport;
	tcp->dst_port = k->rport;

	v = rte_cpu_to_be_32(relay_seq(c, from, seg->seq));
	acc = pe_csum_diff32(acc, tcp->sent_seq, v);
	tcp->sent_seq = v;
	if (seg->flags & RTE_TCP_ACK_FLAG) {
		uint32_t a = seq_in(c, to, seg->ack);

		/* never behind what the engine acknowledged itself (stream_ack_held) */
		if (streamed(c, to) && pe_seq_lt(a, c->dir[to].rcv_nxt))
			a = c->dir[to].rcv_nxt;
		v = rte_cpu_to_be_32(a);
		acc = pe_csum_diff32(acc, tcp->recv_ack, v);
		tcp->recv_ack = v;
	}
	if (streamed(c, to) && (seg->flags & RTE_TCP_ACK_FLAG))
		win = rte_cpu_to_be_16(win_toward_sender(c, to));
	else
		win = rte_cpu_to_be_16(pe_tcp_win_rescale(rte_be_to_cpu_16(tcp->rx_win),
				c->ws_in[from], c->ws_out[to]));
	acc = pe_csum_diff16(acc, tcp->rx_win, win);
	tcp->rx_win = win;
	c->dir[to].win_to = rte_be_to_cpu_16(win);
	tcp->cksum = pe_csum_apply(tcp->cksum, relay_options(c, from, sc, acc));
	if (from == PE_SIDE_BACKEND && ts_on(c, PE_SIDE_CLIENT) && !sc->o.has_ts &&
			!(seg->flags & RTE_TCP_RST_FLAG))
		insert_ts(w, c, seg, &sc->o);

	count_relay(w, from, seg->flags);
	if (from == PE_SIDE_CLIENT && seg->payload_len + seg_opts_len(seg) > c->b_mss) {
		send_split(w, seg, (uint16_t)(c->b_mss - seg_opts_len(seg)));
		return;
	}
	pe_tx(w, seg->m);
	seg->m = NULL;
}

/*
 * The client negotiated timestamps but this backend segment has none (a
 * backend without timestamps, e.g. Windows by default): add NOP, NOP,
 * TS(the client's view of the backend's clock, the client's last TSval) so
 * the client sees what was negotiated (RFC 7323 §3.2 lets a receiver drop
 * segments without it). The backend was offered an MSS 12 bytes smaller for
 * this, so the segment still fits the client's MSS. The headers move 12
 * bytes into the headroom; the TCP checksum is recomputed (rare path).
 */
static void
insert_ts(struct pe_worker *w, struct pe_conn *c, struct pe_tcp_seg *seg, const struct pe_tcp_opts *o)
{
	uint16_t hdrs = (uint16_t)((uint8_t *)seg->tcp - (uint8_t *)seg->eth) + seg->hdr_len;
	uint8_t *start;

	/* an option after an End of Option List would never be read */
	if (o->eol_off != PE_TCPOPT_ABSENT || seg->hdr_len + PE_TCPOPT_TS_ALIGNED_LEN > 60 ||
			rte_pktmbuf_headroom(seg->m) < PE_TCPOPT_TS_ALIGNED_LEN) {
		PE_CNT_INC(&w->cnt, ts_insert_no_room);
		return;
	}
	start = (uint8_t *)rte_pktmbuf_prepend(seg->m, PE_TCPOPT_TS_ALIGNED_LEN);
	memmove(start, seg->eth, hdrs);
	seg->eth = (struct rte_ether_hdr *)start;
	seg->ip = (struct rte_ipv4_hdr *)(start + sizeof(struct rte_ether_hdr));
	seg->tcp = (struct rte_tcp_hdr *)((uint8_t *)seg->tcp - PE_TCPOPT_TS_ALIGNED_LEN);
	pe_tcp_opt_put_ts(start + hdrs, ts_toward(w, c, PE_SIDE_CLIENT),
			c->dir[PE_SIDE_CLIENT].ts_recent);
	seg->hdr_len += PE_TCPOPT_TS_ALIGNED_LEN;
	seg->tcp->data_off = (uint8_t)((seg->hdr_len / 4) << 4 | (seg->tcp->data_off & 0x0f));
	seg->ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(seg->ip->total_length) +
			PE_TCPOPT_TS_ALIGNED_LEN));
	seg->ip->hdr_checksum = 0;
	seg->ip->hdr_checksum = rte_ipv4_cksum(seg->ip);
	seg->tcp->cksum = 0;
	seg->tcp->cksum = rte_ipv4_udptcp_cksum(seg->ip, seg->tcp);
	PE_CNT_INC(&w->cnt, ts_inserted);
}

/* Relay a copy of the held segment @m (which stays held, untranslated). */
static void
relay_held(struct pe_worker *w, struct pe_conn *c, struct rte_mbuf *m)
{
	struct rte_mbuf *copy = rte_pktmbuf_copy(m, pe_eng.pool, 0, UINT32_MAX);
	struct pe_tcp_seg seg;
	struct seg_ctx sc = { .seg = &seg };
	uint32_t ack;

	if (copy == NULL) {
		PE_CNT_INC(&w->cnt, drop_nombuf);
		return;
	}
	seg_from_mbuf(copy, &seg);
	/* options were validated when the segment arrived */
	(void)pe_tcp_opt_parse(seg_opts(&seg), seg_opts_len(&seg), &sc.o);
	/*
	 * Acknowledge what the client has acknowledged by now, not what it had
	 * when it sent the segment: a stale ACK more than a window old is
	 * dropped by the backend (RFC 5961 §5.2).
	 */
	ack = rte_cpu_to_be_32(seq_out(c, PE_SIDE_BACKEND, c->dir[PE_SIDE_BACKEND].rcv_nxt));
	seg.tcp->cksum = pe_csum_replace32(seg.tcp->cksum, seg.tcp->recv_ack, ack);
	seg.tcp->recv_ack = ack;
	seg.ack = rte_be_to_cpu_32(ack);
	relay(w, c, PE_SIDE_CLIENT, &sc);
}

/* Forget held data the backend has acknowledged (it holds all of it or nothing). */
static void
hold_release_acked(struct pe_conn *c)
{
	if (c->hold.n != 0 && c->state >= PE_CS_ESTABLISHED &&
			pe_seq_geq(c->dir[PE_SIDE_CLIENT].rcv_nxt, c->hold.end)) {
		pe_hold_free(&c->hold);
		c->rto_at = 0;
		c->retx = 0;
	}
}

/* ---- binding and failover ----------------------------------------------- */

/* Choose a backend, take a port, enter the backend key, send the SYN. false if none. */
static bool
bind_backend(struct pe_worker *w, struct pe_conn *c)
{
	const struct pe_backend_conf *be;
	struct pe_select_ctx ctx = {
		.client_addr = c->key[PE_SIDE_CLIENT].raddr,
		.client_port = c->key[PE_SIDE_CLIENT].rport,
		.members = pe_eng.cfg.n_backends == 64 ? UINT64_MAX :
			(UINT64_C(1) << pe_eng.cfg.n_backends) - 1,
	};
	struct rte_mbuf *m;
	struct pe_tcp_seg s;
	int idx, port;

	/* the policy looks at the first payload: the held segment at the client's ISN + 1 */
	for (m = c->hold.head; m != NULL; m = pe_hold_next(m)) {
		seg_from_mbuf(m, &s);
		if (s.seq == c->c_isn + 1) {
			ctx.payload = (const uint8_t *)s.tcp + s.hdr_len;
			ctx.payload_len = s.payload_len;
			break;
		}
	}

	/* an inspector's choice of pool (delayed binding on the first message) */
	if (c->st != NULL && c->st->pool >= 0)
		ctx.members = pe_eng.cfg.pools[c->st->pool].members;
	idx = pe_eng.lb->select(w, &ctx);
	if (idx < 0)
		idx = pe_backend_fail_open(w, ctx.members);
	if (idx < 0) {
		PE_CNT_INC(&w->cnt, no_backend);
		return false;
	}
	/* several workers: a port whose replies the NIC hashes to this worker's queue */
	port = pe_eng.rss == NULL ? pe_port_alloc_get(w->ports) :
		pe_port_alloc_get_rss(w->ports, pe_eng.rss, w->be[idx].rss_base, w->queue_id);
	if (port < 0) {
		PE_CNT_INC(&w->cnt, drop_port_exhausted);
		return false;
	}
	be = &pe_eng.cfg.backends[idx];
	c->be_idx = (uint8_t)idx;
	c->key[PE_SIDE_BACKEND] = (struct pe_conn_key){
		.raddr = be->addr,
		.laddr = pe_eng.cfg.source_addr,
		.rport = rte_cpu_to_be_16(be->port),
		.lport = rte_cpu_to_be_16((uint16_t)port),
	};
	conn_tuple_diffs(c);
	if (pe_conn_insert(w->conns, c, PE_SIDE_BACKEND) < 0) {
		pe_port_alloc_put(w->ports, (uint16_t)port);
		PE_CNT_INC(&w->cnt, drop_conn_table_full);
		return false;
	}
	c->flags |= PE_CF_BACKEND_KEY;
	c->be_tries++;
	w->be[idx].selected++;
	w->be[idx].active++;
	PE_CNT_INC(&w->cnt, backend_selected);

	c->syn_tries = 0;
	c->syn_first = w->now;
	send_backend_syn(w, c);
	return true;
}

/*
 * The backend failed before sending anything to the client: try the next
 * one the policy offers (up to engine.backend_tries), else RST the client.
 * Returns the state to enter.
 */
static unsigned int
failover(struct pe_worker *w, struct pe_conn *c, enum pe_backend_failure why)
{
	pe_backend_failed(w, c->be_idx, why);
	conn_unbind(w, c);
	if (c->be_tries < pe_eng.cfg.backend_tries && bind_backend(w, c)) {
		PE_CNT_INC(&w->cnt, backend_failover);
		conn_arm(w, c, pe_ms_to_tsc(PE_SYN_RTO_MS));
		return PE_FSM_SAME;
	}
	conn_rst(w, c, PE_SIDE_CLIENT);
	return PE_CS_RESET;
}

/* ---- inspection: framing, verdicts, the engine's own output --------------- */

static void conn_abort_both(struct pe_worker *w, struct pe_conn *c);

/*
 * Output the engine keeps until the receiver acknowledges it: one mbuf per
 * segment, holding this header and the payload; the TCP/IP headers are made
 * anew at each (re)transmission, with the ACK, window and timestamps of the
 * moment.
 */
struct out_hdr {
	uint32_t seq;
	uint8_t flags;
};

static inline const struct out_hdr *
out_hdr(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const struct out_hdr *);
}

static inline uint16_t
out_len(struct rte_mbuf *m)
{
	return (uint16_t)(rte_pktmbuf_data_len(m) - sizeof(struct out_hdr));
}

/* Sequence number after the kept segment @m (its FIN counts one). */
static inline uint32_t
out_end(struct rte_mbuf *m)
{
	return out_hdr(m)->seq + out_len(m) + ((out_hdr(m)->flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
}

/* Start sequence number of a held received segment (for ordered insertion). */
static uint32_t
held_seq(struct rte_mbuf *m)
{
	struct pe_tcp_seg s;

	seg_from_mbuf(m, &s);
	return s.seq;
}

/* Can segments go to @to now? The backend only once its SYN-ACK is in. */
static inline bool
stream_connected(const struct pe_conn *c, enum pe_side to)
{
	return to == PE_SIDE_CLIENT || c->state >= PE_CS_ESTABLISHED;
}

/* Send the kept segment @m toward @to. */
static void
stream_tx(struct pe_worker *w, struct pe_conn *c, enum pe_side to, struct rte_mbuf *m)
{
	const struct out_hdr *h = out_hdr(m);
	uint8_t opts[PE_TCPOPT_TS_ALIGNED_LEN];
	uint8_t n = 0;

	if (ts_on(c, to))
		n = (uint8_t)pe_tcp_opt_put_ts(opts, ts_toward(w, c, to), c->dir[to].ts_recent);
	conn_send_payload(w, c, to, h->seq, c->dir[to].rcv_nxt, h->flags, c->dir[to].win_to,
			opts, n, (const uint8_t *)(h + 1), out_len(m));
}

/*
 * Kept output of @s's direction not yet acknowledged: again, at least one
 * segment, about @budget bytes. Returns the segments sent.
 */
static unsigned int
stream_resend(struct pe_worker *w, struct pe_conn *c, enum pe_side s, uint32_t budget)
{
	struct pe_stream_dir *d = &c->st->d[s];
	unsigned int segs = 0;
	uint32_t sent = 0;
	struct rte_mbuf *m;

	if (!stream_connected(c, other(s)))
		return 0;
	for (m = d->out.head; m != NULL; m = pe_hold_next(m)) {
		if (pe_seq_leq(out_end(m), d->out_una))
			continue;
		if (pe_seq_gt(out_end(m), d->out_sent))
			break;   /* never sent yet: stream_push() sends it when the window allows */
		PE_CNT_INC(&w->cnt, stream_resent);
		stream_tx(w, c, other(s), m);
		segs++;
		sent += out_len(m);
		if (sent >= budget)
			break;
	}
	return segs;
}

/* The first kept segment of @d not sent yet (out_sent < out_nxt). */
static struct rte_mbuf *
stream_first_unsent(const struct pe_stream_dir *d)
{
	struct rte_mbuf *m;

	for (m = d->out.head; m != NULL; m = pe_hold_next(m))
		if (pe_seq_gt(out_end(m), d->out_sent))
			break;
	return m;
}

/*
 * Send kept output of @s's direction not sent yet, as far as the receiver's
 * window allows (rwnd_right). With nothing in flight, a segment goes even
 * if only part of it fits, so a small window cannot stall the stream; a
 * zero window is probed by the retransmission timer (retransmit_held).
 */
static void
stream_push(struct pe_worker *w, struct pe_conn *c, enum pe_side s)
{
	struct pe_stream_dir *d = &c->st->d[s];
	struct rte_mbuf *m;

	if (!stream_connected(c, other(s)))
		return;
	for (m = d->out.head; m != NULL; m = pe_hold_next(m)) {
		uint32_t end = out_end(m);

		if (pe_seq_leq(end, d->out_sent))
			continue;
		if (pe_seq_gt(out_hdr(m)->seq + out_len(m), d->rwnd_right) &&
				(d->out_sent != d->out_una || !pe_seq_gt(d->rwnd_right, d->out_sent)))
			break;
		stream_tx(w, c, other(s), m);
		d->out_sent = end;
	}
}

static void
stream_arm_rto(struct pe_worker *w, struct pe_conn *c)
{
	if (c->st->d[0].out.n + c->st->d[1].out.n == 0)
		c->rto_at = 0;
	else if (c->rto_at == 0)
		c->rto_at = w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms);
}

/*
 * The receiver's SACK blocks about @s's output (its own view: output
 * sequence numbers): kept segments in the holes below the highest block are
 * resent at once, each once per loss episode (RFC 6675, simplified: no pipe
 * estimate; the receiver's window bounds what was sent anyway).
 */
static void
stream_sack_resend(struct pe_worker *w, struct pe_conn *c, enum pe_side s, const struct seg_ctx *sc)
{
	struct pe_stream_dir *d = &c->st->d[s];
	const uint8_t *b = seg_opts(sc->seg) + sc->o.sack_off + 2;
	uint32_t blk[4][2], high;
	unsigned int n = sc->o.sack_blocks, i, sent = 0;
	struct rte_mbuf *m;

	if (sc->o.sack_off == PE_TCPOPT_ABSENT || n == 0 || n > RTE_DIM(blk))
		return;
	for (i = 0; i < n; i++, b += 8) {
		blk[i][0] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		blk[i][1] = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	}
	high = d->out_una;
	for (i = 0; i < n; i++)
		if (pe_seq_gt(blk[i][1], high) && pe_seq_leq(blk[i][1], d->out_sent))
			high = blk[i][1];
	for (m = d->out.head; m != NULL && sent < 8; m = pe_hold_next(m)) {
		uint32_t a = out_hdr(m)->seq, e = out_end(m);
		bool sacked = false;

		if (pe_seq_leq(e, d->out_una) || pe_seq_lt(a, d->sack_resent))
			continue;
		if (pe_seq_geq(a, high))
			break;
		for (i = 0; i < n && !sacked; i++)
			sacked = pe_seq_geq(a, blk[i][0]) && pe_seq_leq(e, blk[i][1]);
		if (sacked)
			continue;
		PE_CNT_INC(&w->cnt, stream_sack_resent);
		stream_tx(w, c, other(s), m);
		d->sack_resent = e;
		sent++;
	}
}

/* The receiver acknowledged output of @s's direction up to @sc's ACK: forget what it has. */
static void
stream_acked(struct pe_worker *w, struct pe_conn *c, enum pe_side s, const struct seg_ctx *sc)
{
	struct pe_stream_dir *d = &c->st->d[s];
	uint32_t ack = sc->seg->ack;
	struct rte_mbuf *m;

	uint16_t win = sc->seg->tcp->rx_win;
	bool pure = pe_tcp_seg_len(sc->seg) == 0 && win == d->dup_win;
	uint32_t right = ack + ((uint32_t)rte_be_to_cpu_16(win) << c->ws_in[other(s)]);

	d->dup_win = win;
	/* the receiver's window, for what has not been sent yet */
	if (pe_seq_gt(right, d->rwnd_right)) {
		d->rwnd_right = right;
		stream_push(w, c, s);
	}
	if (d->out.n != 0 && sc->o.sack_off != PE_TCPOPT_ABSENT)
		stream_sack_resend(w, c, s, sc);
	/*
	 * The receiver's third duplicate ACK (no data, same window: RFC 5681
	 * §2): the first segment it lacks, at once (§3.2), unless its SACK
	 * blocks had that resent already.
	 */
	if (ack == d->out_una && d->out_sent != d->out_una) {
		if (pure && ++d->dupacks == 3 && pe_seq_geq(d->out_una, d->sack_resent)) {
			PE_CNT_INC(&w->cnt, stream_fast_resent);
			stream_resend(w, c, s, 0);
		}
		return;
	}
	if (!pe_seq_gt(ack, d->out_una) || pe_seq_gt(ack, d->out_sent))
		return;
	d->out_una = ack;
	d->dupacks = 0;
	/* keeps the loss-episode mark within 2^31 of what is in flight */
	if (pe_seq_lt(d->sack_resent, ack))
		d->sack_resent = ack;
	while ((m = d->out.head) != NULL && pe_seq_leq(out_end(m), ack))
		rte_pktmbuf_free(pe_hold_pop(&d->out, out_len(m)));
	pe_seq_map_retire(&d->map, ack);
	/* after a refusal the timer is the reply's (refused_timer) */
	if (!c->st->refused) {
		c->retx = 0;
		c->rto_at = 0;
		stream_arm_rto(w, c);
	}
	/* in flight went down: what waits may fit now */
	stream_push(w, c, s);
}

/*
 * Largest payload of a segment the engine makes toward @to: the receiver's
 * MSS (before its SYN-ACK a backend's is unknown: 536, which every host
 * takes), never more than the engine's own, nor than an mbuf holds with the
 * largest headers; room for the timestamp when the client has them.
 */
static uint32_t
stream_mss(const struct pe_conn *c, enum pe_side to)
{
	uint32_t room = rte_pktmbuf_data_room_size(pe_eng.pool) - RTE_PKTMBUF_HEADROOM -
		(uint32_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + 60);
	uint32_t mss;

	if (to == PE_SIDE_BACKEND)
		mss = c->state < PE_CS_ESTABLISHED ? PE_TCP_DEFAULT_MSS : c->b_mss;
	else
		mss = c->c_mss;
	mss = RTE_MIN(RTE_MIN(mss, (uint32_t)pe_eng.cfg.tcp_mss), room);
	if (cf(c, PE_CF_TS_C))
		mss -= PE_TCPOPT_TS_ALIGNED_LEN;
	return mss;
}

/* Output segments of @mss a message of @len bytes may become (a rewrite may double it). */
static inline uint32_t
stream_segs_max(uint32_t len, uint32_t mss)
{
	return (2 * len + 4096) / mss + 2;
}

/*
 * Append @len bytes of output (and a FIN with @fin) to @s's direction: kept,
 * and sent when the receiver is connected. Whole or not at all: every mbuf
 * is taken first; without them, -ENOBUFS (stream_process checks the pool
 * before a verdict, so this does not happen after one). No bytes and no FIN:
 * nothing at all (a message rewritten to nothing).
 */
static int
stream_emit(struct pe_worker *w, struct pe_conn *c, enum pe_side s, const uint8_t *p,
		uint32_t len, bool fin)
{
	enum pe_side to = other(s);
	struct pe_stream_dir *d = &c->st->d[s];
	uint32_t mss = stream_mss(c, to), n, i, count;
	struct rte_mbuf **ms = w->emit_ms;

	if (len == 0 && !fin)
		return 0;
	count = len == 0 ? 1 : (len + mss - 1) / mss;
	if (count > w->emit_cap)
		goto nobufs;
	for (i = 0; i < count; i += n) {
		n = RTE_MIN(count - i, 64u);
		if (rte_pktmbuf_alloc_bulk(pe_eng.pool, ms + i, n) != 0) {
			rte_pktmbuf_free_bulk(ms, i);
			goto nobufs;
		}
	}
	for (i = 0; i < count; i++) {
		uint32_t at = i * mss, k = RTE_MIN(mss, len - at);
		bool last = i == count - 1;
		struct out_hdr *h = (struct out_hdr *)rte_pktmbuf_append(ms[i],
				(uint16_t)(sizeof(*h) + k));

		/* stream_mss() keeps every segment within the mbuf */
		RTE_ASSERT(h != NULL);
		h->seq = d->out_nxt;
		h->flags = RTE_TCP_ACK_FLAG | (last && len != 0 ? RTE_TCP_PSH_FLAG : 0) |
			(last && fin ? RTE_TCP_FIN_FLAG : 0);
		if (k != 0)
			memcpy(h + 1, p + at, k);
		d->out_nxt += k + ((h->flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
		pe_hold_append(&d->out, ms[i], k, d->out_nxt);
	}
	if (fin && !d->fin_sent) {
		/* the sender's FIN, passed on as the engine's own segment */
		if (s == PE_SIDE_CLIENT)
			PE_CNT_INC(&w->cnt, fin_relayed_c2b);
		else
			PE_CNT_INC(&w->cnt, fin_relayed_b2c);
	}
	if (fin)
		d->fin_sent = 1;
	stream_push(w, c, s);
	if (stream_connected(c, to))
		stream_arm_rto(w, c);
	return 0;
nobufs:
	PE_CNT_INC(&w->cnt, drop_nombuf);
	return -ENOBUFS;
}

/* Copy input [@from, @from + @len) of @d out of its held segments into @dst. */
static void
pend_copy(const struct pe_stream_dir *d, uint32_t from, uint32_t len, uint8_t *dst)
{
	struct rte_mbuf *m;

	for (m = d->pend.head; m != NULL && len != 0; m = pe_hold_next(m)) {
		struct pe_tcp_seg s;
		uint32_t off, n;

		seg_from_mbuf(m, &s);
		if (pe_seq_leq(s.seq + s.payload_len, from))
			continue;
		off = from - s.seq;
		n = RTE_MIN(len, s.payload_len - off);
		memcpy(dst, (const uint8_t *)s.tcp + s.hdr_len + off, n);
		dst += n;
		from += n;
		len -= n;
	}
}

/* Input [@from, @from + @len): in place when one segment holds it, else copied to @buf. */
static const uint8_t *
pend_view(const struct pe_stream_dir *d, uint32_t from, uint32_t len, uint8_t *buf)
{
	struct rte_mbuf *m;

	for (m = d->pend.head; m != NULL; m = pe_hold_next(m)) {
		struct pe_tcp_seg s;

		seg_from_mbuf(m, &s);
		if (pe_seq_leq(s.seq + s.payload_len, from))
			continue;
		if (pe_seq_leq(from + len, s.seq + s.payload_len))
			return (const uint8_t *)s.tcp + s.hdr_len + (from - s.seq);
		break;
	}
	pend_copy(d, from, len, buf);
	return buf;
}

/* Input up to in_done became output: free the segments that held it. */
static void
pend_consume(struct pe_stream_dir *d, uint32_t len)
{
	struct rte_mbuf *m;

	d->in_done += len;
	d->msg_len = 0;
	d->msg_due = 0;
	while ((m = d->pend.head) != NULL) {
		struct pe_tcp_seg s;

		seg_from_mbuf(m, &s);
		if (pe_seq_gt(s.seq + s.payload_len, d->in_done))
			break;
		rte_pktmbuf_free(pe_hold_pop(&d->pend, s.payload_len));
	}
}

/*
 * A message over inspect.max_message_bytes, not complete in time, or cut by
 * a FIN: inspect.on_limit. "pass" sends the rest of this direction on
 * uninspected; "reset" returns -1.
 */
static int
stream_limit(struct pe_worker *w, struct pe_conn *c, enum pe_side s)
{
	struct pe_stream_dir *d = &c->st->d[s];

	PE_LOG(DEBUG, proxy, "%s stream: message limit (message %u bytes, %u held in order, "
			"%u segments beyond a gap, output %u unacknowledged): %s",
			s == PE_SIDE_CLIENT ? "client" : "backend", d->msg_len, d->in_nxt - d->in_done,
			d->ooo.n, d->out_nxt - d->out_una, pe_eng.cfg.inspect.on_limit_pass ? "pass" : "reset");
	if (!pe_eng.cfg.inspect.on_limit_pass) {
		PE_CNT_INC(&w->cnt, inspect_limit_reset);
		return -1;
	}
	PE_CNT_INC(&w->cnt, inspect_limit_pass);
	d->mode = PE_STREAM_PASS;
	d->msg_len = 0;
	d->msg_due = 0;
	if (s == PE_SIDE_CLIENT)
		c->st->selected = 1;   /* binds to the default pool */
	return 0;
}

/*
 * REFUSE: the reply goes to the client with a FIN, acknowledging all it
 * sent; the backend half is reset. The entry lingers (TIME_WAIT) to repeat
 * the reply until the client acknowledges it and to acknowledge its FIN.
 */
static bool
stream_refuse(struct pe_worker *w, struct pe_conn *c, const uint8_t *reply, uint32_t len)
{
	struct pe_stream *st = c->st;
	struct rte_mbuf *m;
	struct out_hdr *h;

	/* a reply is one segment: longer ones (no LDAP error result is) are cut */
	len = RTE_MIN(len, stream_mss(c, PE_SIDE_CLIENT));
	m = rte_pktmbuf_alloc(pe_eng.pool);
	if (m == NULL || (h = (struct out_hdr *)rte_pktmbuf_append(m,
			(uint16_t)(sizeof(*h) + len))) == NULL) {
		rte_pktmbuf_free(m);
		PE_CNT_INC(&w->cnt, drop_nombuf);
		return false;
	}
	PE_CNT_INC(&w->cnt, inspect_refuse);
	st->reply_seq = seq_toward(c, PE_SIDE_CLIENT, false);
	st->reply_len = len;
	st->client_end = st->d[PE_SIDE_CLIENT].in_nxt;
	if (cf(c, PE_CF_BACKEND_KEY) && c->state >= PE_CS_ESTABLISHED)
		conn_rst(w, c, PE_SIDE_BACKEND);
	conn_unbind(w, c);
	conn_set_state(w, c, PE_CS_TIME_WAIT);
	st->refused = 1;
	h->seq = st->reply_seq;
	h->flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG;
	memcpy((struct out_hdr *)h + 1, reply, st->reply_len);
	pe_hold_append(&c->hold, m, st->reply_len, st->reply_seq + st->reply_len + 1);
	c->dir[PE_SIDE_CLIENT].rcv_nxt = st->client_end;
	stream_tx(w, c, PE_SIDE_CLIENT, m);
	c->retx = 0;
	c->rto_at = w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms);
	conn_arm(w, c, pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms));
	return true;
}

/* A segment after a refusal. Returns nothing: @c may be gone. */
static void
refused_input(struct pe_worker *w, struct pe_conn *c, enum pe_side side, const struct seg_ctx *sc)
{
	const struct pe_tcp_seg *seg = sc->seg;
	struct pe_stream *st = c->st;
	uint32_t end = seg->seq + pe_tcp_seg_len(seg);
	uint32_t fin_acked = st->reply_seq + st->reply_len + 1;

	/* the client's RST at exactly what the engine acknowledged ends it (RFC 5961 §3.2) */
	if (side == PE_SIDE_CLIENT && (seg->flags & RTE_TCP_RST_FLAG) && seg->seq == st->client_end) {
		conn_free(w, c);
		return;
	}
	if (side != PE_SIDE_CLIENT || (seg->flags & RTE_TCP_RST_FLAG) ||
			(seg->flags & RTE_TCP_SYN_FLAG)) {
		if (side == PE_SIDE_BACKEND && !(seg->flags & RTE_TCP_RST_FLAG))
			pe_tcp_send_rst_reply(w, seg);
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		return;
	}
	/* the client still acknowledging what the backend sent before the refusal */
	if ((seg->flags & RTE_TCP_ACK_FLAG) && st->d[PE_SIDE_BACKEND].out.n != 0)
		stream_acked(w, c, PE_SIDE_BACKEND, sc);
	if ((seg->flags & RTE_TCP_ACK_FLAG) && seg->ack == fin_acked && c->hold.n != 0) {
		pe_hold_free(&c->hold);
		c->rto_at = 0;
	}
	/* what the client sends after the refusal is acknowledged and discarded */
	if (pe_seq_leq(seg->seq, st->client_end) && pe_seq_gt(end, st->client_end))
		st->client_end = end;
	c->dir[PE_SIDE_CLIENT].rcv_nxt = st->client_end;
	if (c->hold.n != 0 && pe_tcp_seg_len(seg) != 0)
		stream_tx(w, c, PE_SIDE_CLIENT, c->hold.head);
	else if (pe_tcp_seg_len(seg) != 0)
		conn_send_ack(w, c, PE_SIDE_CLIENT, fin_acked);
}

/*
 * ACK toward @side, the sender of an inspected direction, with SACK blocks
 * (RFC 2018) for what the engine holds beyond a gap, the block holding
 * @recent first: with them the sender retransmits the gap at once (RFC
 * 6675) instead of after a timeout.
 */
static void
stream_send_ack(struct pe_worker *w, struct pe_conn *c, enum pe_side side, uint32_t recent)
{
	const struct pe_stream_dir *d = &c->st->d[side];
	uint8_t opts[PE_TCPOPT_TS_ALIGNED_LEN + 4 + 8 * PE_TCPOPT_SACK_BLOCKS_MAX];
	uint32_t blocks[8][2], t;
	unsigned int n = 0, len = 0, i, k;
	struct rte_mbuf *m;

	if (ts_on(c, side))
		len = (unsigned int)pe_tcp_opt_put_ts(opts, ts_toward(w, c, side), c->dir[side].ts_recent);
	if (cf(c, side == PE_SIDE_CLIENT ? PE_CF_SACK_C : PE_CF_SACK_B)) {
		/* the held segments (in sequence order) merged into ranges */
		for (m = d->ooo.head; m != NULL; m = pe_hold_next(m)) {
			struct pe_tcp_seg h;
			uint32_t end;

			seg_from_mbuf(m, &h);
			end = h.seq + h.payload_len;
			if (h.payload_len == 0)
				continue;
			if (n > 0 && pe_seq_leq(h.seq, blocks[n - 1][1])) {
				if (pe_seq_gt(end, blocks[n - 1][1]))
					blocks[n - 1][1] = end;
				continue;
			}
			if (n == RTE_DIM(blocks))
				break;
			blocks[n][0] = h.seq;
			blocks[n][1] = end;
			n++;
		}
		/* the block holding the latest segment first (RFC 2018 §4) */
		for (i = 1; i < n; i++) {
			if (!pe_seq_in(recent, blocks[i][0], blocks[i][1]))
				continue;
			for (k = 0; k < 2; k++) {
				t = blocks[0][k];
				blocks[0][k] = blocks[i][k];
				blocks[i][k] = t;
			}
			break;
		}
		len += (unsigned int)pe_tcp_opt_put_sack(opts + len, blocks,
				RTE_MIN(n, (unsigned int)PE_TCPOPT_SACK_BLOCKS_MAX));
	}
	conn_send(w, c, side, seq_toward(c, side, false), c->dir[side].rcv_nxt, RTE_TCP_ACK_FLAG,
			c->dir[side].win_to, opts, (uint8_t)len);
}

static bool stream_ack_held(struct pe_worker *w, struct pe_conn *c, enum pe_side side, uint32_t recent);

/*
 * Take the data of @seg (from @side, acceptable) into @side's stream:
 * consumed input again (a retransmission: answered with the kept output),
 * in order (held until it completes a message), or beyond a gap (held
 * aside, and a duplicate ACK asks the sender for the missing part).
 */
/*
 * Hold @m, the in-order segment ending at @end, in @d's pend list: its
 * payload is copied onto the held segment before it when that one ends where
 * it starts and has room, so small segments do not take an mbuf each (a
 * sender trickling one byte per segment would empty the pool).
 */
static void
pend_append(struct pe_stream_dir *d, struct rte_mbuf *m, const struct pe_tcp_seg *s, uint32_t end)
{
	struct rte_mbuf *t = d->pend.tail;
	uint32_t len = end - s->seq;
	struct pe_tcp_seg ts;
	uint8_t *dst;

	/* only into a buffer the engine alone owns (some PMDs hand out shared ones) */
	if (t != NULL && RTE_MBUF_DIRECT(t) && rte_mbuf_refcnt_read(t) == 1 &&
			len <= rte_pktmbuf_tailroom(t)) {
		seg_from_mbuf(t, &ts);
		if (ts.seq + ts.payload_len == s->seq && (dst = (uint8_t *)rte_pktmbuf_append(t,
				(uint16_t)len)) != NULL) {
			memcpy(dst, (const uint8_t *)s->tcp + s->hdr_len, len);
			ts.ip->total_length = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(
					ts.ip->total_length) + len));
			d->pend.bytes += len;
			d->pend.end = end;
			rte_pktmbuf_free(m);
			return;
		}
	}
	/* held for its payload only: bytes past @end (after a FIN) are never read */
	pe_hold_append(&d->pend, m, len, end);
}

/*
 * Take the data of @seg (from @side, acceptable) into @side's stream:
 * consumed input again (a retransmission: answered with the kept output),
 * held bytes again (the engine's ACK of them was lost: ACKed again), in
 * order (held until it completes a message), or beyond a gap (held aside,
 * and an ACK with SACK blocks asks the sender for the missing part).
 * Nothing after the sender's FIN is taken.
 */
static void
stream_take(struct pe_worker *w, struct pe_conn *c, enum pe_side side, struct pe_tcp_seg *seg)
{
	struct pe_stream_dir *d = &c->st->d[side];
	uint32_t end = seg->seq + seg->payload_len;
	uint32_t limit = RTE_MAX(pe_eng.cfg.hold_max_bytes, pe_eng.cfg.inspect.max_message_bytes);
	struct rte_mbuf *m;

	if ((pe_seq_leq(end, d->in_nxt) && !(seg->flags & RTE_TCP_FIN_FLAG && !d->fin)) ||
			(d->fin && pe_seq_geq(seg->seq, d->fin_at) && seg->payload_len != 0)) {
		if (pe_seq_lt(seg->seq, d->in_done) || (d->fin_sent && (seg->flags & RTE_TCP_FIN_FLAG))) {
			/* the same output again; if the receiver has it all, the sender missed its ACK */
			if (stream_resend(w, c, side, seg->payload_len) == 0 && c->state >= PE_CS_ESTABLISHED)
				stream_send_ack(w, c, side, seg->seq);
		} else {
			stream_send_ack(w, c, side, seg->seq);
		}
		return;
	}
	if (pe_pool_avail(w) < pe_eng.pool->size / 4 ||
			d->pend.bytes + d->ooo.bytes + seg->payload_len > 2 * limit ||
			d->pend.n + d->ooo.n >= PE_HOLD_MAX_SEGS + 2 * limit / 1024) {
		PE_CNT_INC(&w->cnt, drop_stream_full);
		return;
	}
	if (pe_seq_gt(seg->seq, d->in_nxt)) {
		/* never the segment that fills the gap: only those beyond it are limited */
		if (d->ooo.n >= PE_HOLD_MAX_SEGS) {
			PE_CNT_INC(&w->cnt, stream_ooo_drop);
			return;
		}
		pe_hold_insert(&d->ooo, seg->m, seg->payload_len, seg->seq, end, held_seq);
		seg->m = NULL;
		PE_CNT_INC(&w->cnt, stream_ooo_held);
		if (!stream_ack_held(w, c, side, seg->seq))
			stream_send_ack(w, c, side, seg->seq);
		return;
	}
	for (m = seg->m, seg->m = NULL; m != NULL; ) {
		struct pe_tcp_seg s;
		uint32_t e;

		seg_from_mbuf(m, &s);
		/* a FIN inside what was already received is no FIN (only a hostile sender sends one) */
		if (s.flags & RTE_TCP_FIN_FLAG && !d->fin && pe_seq_geq(s.seq + s.payload_len, d->in_nxt)) {
			d->fin = 1;
			d->fin_at = s.seq + s.payload_len;
		}
		e = s.seq + s.payload_len;
		if (d->fin && pe_seq_gt(e, d->fin_at))
			e = d->fin_at;
		if (pe_seq_gt(e, d->in_nxt)) {
			pend_append(d, m, &s, e);
			d->in_nxt = e;
		} else {
			rte_pktmbuf_free(m);
		}
		/* what waited beyond the gap and now continues the stream */
		m = d->ooo.head;
		if (m == NULL || pe_seq_gt(held_seq(m), d->in_nxt))
			break;
		seg_from_mbuf(m, &s);
		m = pe_hold_pop(&d->ooo, s.payload_len);
	}
}

/*
 * Acknowledge what @side's stream holds in order but cannot send on yet (an
 * incomplete message). A sender retransmits from its oldest unacknowledged
 * byte: were the held part not acknowledged, a segment lost in the middle of
 * a message would never be retransmitted (the sender repeats the part the
 * engine has) and the message would never complete. The engine keeps what it
 * acknowledges until it becomes output and that output is acknowledged. The
 * window keeps the receiver's right edge, so the sender may send no more
 * than the receiver allows.
 */
static bool
stream_ack_held(struct pe_worker *w, struct pe_conn *c, enum pe_side side, uint32_t recent)
{
	const struct pe_stream_dir *d = &c->st->d[side];
	struct pe_conn_dir *cd = &c->dir[side];

	if (d->in_nxt == d->in_done || !pe_seq_gt(d->in_nxt, cd->rcv_nxt))
		return false;
	cd->rcv_nxt = d->in_nxt;
	cd->win_to = win_toward_sender(c, side);
	PE_CNT_INC(&w->cnt, stream_held_acked);
	stream_send_ack(w, c, side, recent);
	return true;
}

/*
 * Frame, inspect and send on what @side's stream holds. 0; -1 when the
 * connection must be reset; 1 when it was refused (its state is set).
 */
static int
stream_process(struct pe_worker *w, struct pe_conn *c, enum pe_side side)
{
	const struct pe_inspector *in = pe_eng.inspector;
	struct pe_stream *st = c->st;
	struct pe_stream_dir *d = &st->d[side];
	const uint32_t max = pe_eng.cfg.inspect.max_message_bytes;

	for (;;) {
		uint32_t avail = d->in_nxt - d->in_done, out_a = d->out_nxt, need;
		struct pe_inspect_result r = { .pool = -1 };
		struct pe_inspect_msg msg;
		const uint8_t *p;
		size_t len;
		long n;

		if (avail == 0)
			break;
		if (d->mode == PE_STREAM_PASS) {
			n = RTE_MIN(avail, (uint32_t)w->msg_cap);
			if (stream_emit(w, c, side, pend_view(d, d->in_done, (uint32_t)n, w->msg_buf),
					(uint32_t)n, false) < 0) {
				d->msg_due = w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms);
				return 0;
			}
			pend_consume(d, (uint32_t)n);
			continue;
		}
		if (d->msg_len == 0) {
			uint16_t rule = 0;
			enum pe_verdict fv;

			n = RTE_MIN(avail, max);
			p = pend_view(d, d->in_done, (uint32_t)n, w->msg_buf);
			len = 0;
			fv = in->frame(p, (size_t)n, &len, &rule);
			if (fv != PE_VERDICT_PASS && fv != PE_VERDICT_AGAIN) {
				/* RESET, or anything else an inspector should not return: no message here */
				PE_CNT_INC(&w->cnt, inspect_malformed);
				if (rule < PE_INSPECT_MAX_RULES)
					w->rule_hits[rule]++;
				return -1;
			}
			if (fv == PE_VERDICT_AGAIN) {
				if (avail >= max) {
					if (stream_limit(w, c, side) < 0)
						return -1;
					continue;
				}
				if (d->msg_due == 0)
					d->msg_due = w->now + pe_ms_to_tsc(pe_eng.cfg.inspect.hold_ms);
				break;
			}
			if (len > max || len == 0) {
				if (stream_limit(w, c, side) < 0)
					return -1;
				continue;
			}
			d->msg_len = (uint32_t)len;
			if (d->msg_due == 0)
				d->msg_due = w->now + pe_ms_to_tsc(pe_eng.cfg.inspect.hold_ms);
		}
		if (avail < d->msg_len)
			break;
		/*
		 * Room for whatever the verdict makes of it, before asking: a
		 * message is inspected once, so its output must not fail after.
		 * Without it, wait: the next segment or the timer tries again.
		 */
		/* each segment kept, and a copy of it sent (stream_tx), and a burst's worth */
		need = 2 * stream_segs_max(d->msg_len, stream_mss(c, other(side))) + PE_BURST;
		if (!pe_pool_reserve(w, need)) {
			PE_CNT_INC(&w->cnt, drop_nombuf);
			/* a complete message waiting for mbufs: the timer tries again */
			d->msg_due = w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms);
			break;
		}

		msg = (struct pe_inspect_msg){
			.data = pend_view(d, d->in_done, d->msg_len, w->msg_buf),
			.len = d->msg_len,
			.from = side,
			.bound = st->selected,
			.conn_state = st->state,
			.scratch = w->scratch,
			.scratch_len = w->scratch_cap,
		};
		in->inspect(&msg, &r);
		PE_CNT_INC(&w->cnt, inspect_messages);
		if (r.rule < PE_INSPECT_MAX_RULES)
			w->rule_hits[r.rule]++;
		if (r.malformed)
			PE_CNT_INC(&w->cnt, inspect_malformed);
		if (side == PE_SIDE_CLIENT && !st->selected) {
			st->selected = 1;
			st->pool = (int8_t)(r.pool >= 0 && (unsigned int)r.pool < pe_eng.cfg.n_pools ?
					r.pool : -1);
		}
		switch (r.verdict) {
		case PE_VERDICT_PASS:
		case PE_VERDICT_PASSTHROUGH:
			if (stream_emit(w, c, side, msg.data, msg.len, false) < 0)
				return 0;
			if (r.verdict == PE_VERDICT_PASS) {
				PE_CNT_INC(&w->cnt, inspect_pass);
				break;
			}
			PE_CNT_INC(&w->cnt, inspect_passthrough);
			for (unsigned int s = 0; s < 2; s++)
				if (st->d[s].mode == PE_STREAM_INSPECT)
					st->d[s].mode = PE_STREAM_PASS;
			break;
		case PE_VERDICT_REWRITE:
			n = pe_inspect_apply(msg.data, msg.len, &r, w->out_buf, w->out_cap);
			if (n < 0) {
				PE_CNT_INC(&w->cnt, inspect_bad_verdict);
				return -1;
			}
			if (stream_emit(w, c, side, w->out_buf, (uint32_t)n, false) < 0)
				return 0;
			PE_CNT_INC(&w->cnt, inspect_rewrite);
			pe_seq_map_add(&d->map, d->in_done, d->in_done + msg.len, out_a, d->out_nxt);
			break;
		case PE_VERDICT_DROP:
			PE_CNT_INC(&w->cnt, inspect_drop);
			pe_seq_map_add(&d->map, d->in_done, d->in_done + msg.len, out_a, out_a);
			break;
		case PE_VERDICT_REFUSE:
			if (side == PE_SIDE_CLIENT && stream_refuse(w, c, r.reply, r.reply_len)) {
				pend_consume(d, msg.len);
				return 1;
			}
			return -1;   /* a refusal toward a backend is a reset */
		case PE_VERDICT_AGAIN:   /* framing's answer, not a verdict on a whole message */
			PE_CNT_INC(&w->cnt, inspect_bad_verdict);
			return -1;
		case PE_VERDICT_RESET:
		default:
			return -1;
		}
		pend_consume(d, msg.len);
	}

	/* all input up to the FIN is in */
	if (d->fin && !d->fin_sent && d->in_nxt == d->fin_at) {
		if (d->in_done != d->fin_at) {
			/* a complete message waiting for mbufs: not cut short */
			if (d->msg_len != 0 && d->in_nxt - d->in_done >= d->msg_len)
				return 0;
			/* a message the FIN cut short can never be complete */
			if (d->mode == PE_STREAM_INSPECT && stream_limit(w, c, side) < 0)
				return -1;
			return stream_process(w, c, side);
		}
		if (side == PE_SIDE_CLIENT && !st->selected)
			return 0;
		(void)stream_emit(w, c, side, NULL, 0, true);
	}
	return 0;
}

/*
 * A client segment carrying data or a FIN in an inspected direction, in
 * place of the state machine's BIND, HOLD or RELAY. Returns the state to
 * enter, or -1 when @c is gone.
 */
static int
stream_action(struct pe_worker *w, struct pe_conn *c, enum pe_side side, struct seg_ctx *sc,
		const struct pe_transition *tr)
{
	struct pe_tcp_seg *seg = sc->seg;
	struct pe_stream *st = c->st;
	enum pe_side to = other(side);
	uint32_t out_before = st->d[side].out_nxt, ack_before = c->dir[to].rcv_nxt;
	uint16_t win_before = c->dir[to].win_to;
	bool fin_before = st->d[side].fin_sent;
	int rc;

	if (c->state < PE_CS_ESTABLISHED) {
		/* as for held data: it must ACK the cookie and lie in the window offered */
		if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->e_isn + 1 ||
				!pe_seq_in(seg->seq, c->c_isn + 1, stream_right(c, side) + 1)) {
			PE_CNT_INC(&w->cnt, drop_out_of_window);
			return PE_FSM_SAME;
		}
		/* a FIN before any payload: nothing to choose a backend by */
		if (c->state == PE_CS_WAIT_DATA && seg->payload_len == 0 &&
				seg->seq == c->c_isn + 1 && st->d[side].pend.n == 0) {
			PE_CNT_INC(&w->cnt, conn_closed_empty);
			conn_rst(w, c, PE_SIDE_CLIENT);
			conn_free(w, c);
			return -1;
		}
		track(w, c, side, sc);
	} else {
		if (!in_window(c, side, seg)) {
			PE_CNT_INC(&w->cnt, drop_out_of_window);
			return PE_FSM_SAME;
		}
		track(w, c, side, sc);
		c->dir[to].win_to = streamed(c, to) ? win_toward_sender(c, to) :
			pe_tcp_win_rescale(rte_be_to_cpu_16(seg->tcp->rx_win), c->ws_in[side], c->ws_out[to]);
	}
	stream_take(w, c, side, seg);
	rc = stream_process(w, c, side);
	if (rc > 0)
		return PE_FSM_SAME;
	if (rc == 0)
		stream_ack_held(w, c, side, seg->seq);
	if (rc < 0) {
		PE_CNT_INC(&w->cnt, inspect_reset);
		if (c->state == PE_CS_WAIT_DATA) {
			conn_rst(w, c, PE_SIDE_CLIENT);
			conn_free(w, c);
			return -1;
		}
		conn_abort_both(w, c);
		return PE_CS_RESET;
	}
	if (c->state == PE_CS_WAIT_DATA) {
		if (!st->selected) {
			conn_arm_relaying(w, c);   /* inspect.hold_ms for the first message */
			return PE_FSM_SAME;
		}
		if (!bind_backend(w, c)) {
			conn_rst(w, c, PE_SIDE_CLIENT);
			conn_free(w, c);
			return -1;
		}
		return PE_CS_CONNECTING;
	}
	if (c->state < PE_CS_ESTABLISHED)
		return PE_FSM_SAME;
	/* nothing went on, but the receiver must learn what the sender acknowledged */
	if (st->d[side].out_nxt == out_before &&
			(c->dir[to].rcv_nxt != ack_before || c->dir[to].win_to != win_before))
		conn_send_ack(w, c, to, seq_toward(c, to, false));
	if (c->state < PE_CS_TIME_WAIT)
		conn_arm_relaying(w, c);
	/*
	 * The state follows the FIN the receiver got, not the one the sender
	 * sent: it may wait behind a gap or an incomplete message, and leave
	 * with a later data segment.
	 */
	if (!fin_before && st->d[side].fin_sent)
		return pe_fsm[c->state][side][PE_EV_FIN].next;
	return (seg->flags & RTE_TCP_FIN_FLAG) ? PE_FSM_SAME : tr->next;
}

/*
 * A message not complete within inspect.hold_ms (timer). 0; 1 when @c's
 * state changed (its timer is armed for it); -1 when @c is gone.
 */
static int
stream_timeout(struct pe_worker *w, struct pe_conn *c)
{
	unsigned int s;
	int rc = 0;

	for (s = 0; s < 2 && rc == 0; s++) {
		struct pe_stream_dir *d = &c->st->d[s];

		if (d->msg_due == 0 || w->now < d->msg_due)
			continue;
		d->msg_due = 0;
		/*
		 * A complete message that waited for mbufs, or output of a
		 * passed-through direction that could not be made: try again.
		 * Only a message still incomplete is over inspect.hold_ms.
		 */
		if (d->mode == PE_STREAM_PASS ||
				(d->msg_len != 0 && d->in_nxt - d->in_done >= d->msg_len))
			rc = stream_process(w, c, (enum pe_side)s);
		else if ((rc = stream_limit(w, c, (enum pe_side)s)) == 0)
			rc = stream_process(w, c, (enum pe_side)s);
	}
	if (rc > 0)
		return 1;   /* refused: stream_refuse() set the state and the timer */
	if (rc < 0) {
		PE_CNT_INC(&w->cnt, inspect_reset);
		conn_abort_both(w, c);
		if (c->state == PE_CS_WAIT_DATA) {
			conn_free(w, c);
			return -1;
		}
		conn_set_state(w, c, PE_CS_RESET);
		return 1;
	}
	if (c->state == PE_CS_WAIT_DATA && c->st->selected) {
		if (!bind_backend(w, c)) {
			conn_rst(w, c, PE_SIDE_CLIENT);
			conn_free(w, c);
			return -1;
		}
		conn_set_state(w, c, PE_CS_CONNECTING);
		return 1;
	}
	return 0;
}

/* ---- timers -------------------------------------------------------------- */

static void
conn_abort_both(struct pe_worker *w, struct pe_conn *c)
{
	conn_rst(w, c, PE_SIDE_CLIENT);
	if (cf(c, PE_CF_BACKEND_KEY) && c->state >= PE_CS_CONNECTING)
		conn_rst(w, c, PE_SIDE_BACKEND);
}

/* Held data not yet acknowledged by the backend: send it again, with backoff. */
static void
retransmit_held(struct pe_worker *w, struct pe_conn *c)
{
	struct rte_mbuf *m;

	if (c->retx >= pe_eng.cfg.tcp_retries) {
		PE_CNT_INC(&w->cnt, held_retx_exhausted);
		conn_abort_both(w, c);
		conn_set_state(w, c, PE_CS_RESET);
		return;
	}
	c->retx++;
	if (c->st != NULL) {
		/* like a TCP retransmission timeout: the first segment not acknowledged, and a new loss episode */
		unsigned int s;

		for (s = 0; s < 2; s++) {
			struct pe_stream_dir *d = &c->st->d[s];

			d->sack_resent = d->out_una;
			/* nothing in flight but output waiting: the window is closed, probe it */
			if (d->out_sent == d->out_una && pe_seq_lt(d->out_sent, d->out_nxt) &&
					stream_connected(c, other((enum pe_side)s))) {
				struct rte_mbuf *probe = stream_first_unsent(d);

				stream_tx(w, c, other((enum pe_side)s), probe);
				d->out_sent = out_end(probe);
				PE_CNT_INC(&w->cnt, stream_window_probe);
			} else {
				stream_resend(w, c, (enum pe_side)s, 0);
			}
		}
	}
	for (m = c->hold.head; m != NULL; m = pe_hold_next(m)) {
		PE_CNT_INC(&w->cnt, held_retx);
		relay_held(w, c, m);
	}
	c->rto_at = w->now + (pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms) << RTE_MIN(c->retx, 6u));
	conn_arm_relaying(w, c);
}

/* After a refusal: the reply again until the client acknowledges it, then linger. */
static void
refused_timer(struct pe_worker *w, struct pe_conn *c)
{
	uint64_t linger = pe_ms_to_tsc(pe_eng.cfg.linger_ms);

	if (w->now >= c->rto_at) {
		struct pe_stream *st = c->st;

		if (c->retx >= pe_eng.cfg.tcp_retries || c->hold.head == NULL) {
			/* the client never took the reply: a RST where it may be, before and after it */
			if (c->hold.head != NULL) {
				conn_send(w, c, PE_SIDE_CLIENT, st->reply_seq, 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
				conn_send(w, c, PE_SIDE_CLIENT, st->reply_seq + st->reply_len + 1, 0,
						RTE_TCP_RST_FLAG, 0, NULL, 0);
				PE_CNT_ADD(&w->cnt, rst_sent, 2);
			}
			conn_free(w, c);
			return;
		}
		c->retx++;
		/* what the backend sent before the refusal and the client lacks, then the reply */
		stream_resend(w, c, PE_SIDE_BACKEND, 0);
		stream_tx(w, c, PE_SIDE_CLIENT, c->hold.head);
		c->rto_at = w->now + (pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms) << RTE_MIN(c->retx, 6u));
		c->last_seen = w->now;
	}
	conn_arm(w, c, RTE_MIN(c->rto_at - w->now, linger));
}

static void
conn_timer_cb(struct pe_worker *w, struct pe_conn *c)
{
	uint64_t idle = pe_ms_to_tsc(pe_eng.cfg.idle_timeout_ms);

	switch (c->state) {
	case PE_CS_CONNECTING:
		if (w->now - c->syn_first >= pe_ms_to_tsc(pe_eng.cfg.connect_timeout_ms)) {
			PE_CNT_INC(&w->cnt, backend_timeout);
			conn_set_state(w, c, failover(w, c, PE_BE_TIMEOUT));
			return;
		}
		PE_CNT_INC(&w->cnt, backend_syn_retx);
		send_backend_syn(w, c);
		conn_arm(w, c, pe_ms_to_tsc((uint64_t)PE_SYN_RTO_MS << RTE_MIN(c->syn_tries - 1u, 4u)));
		return;
	case PE_CS_TIME_WAIT:
	case PE_CS_RESET:
		if (c->st != NULL && c->st->refused && c->rto_at != 0) {
			refused_timer(w, c);
			return;
		}
		if (c->st != NULL && c->rto_at != 0) {
			/* kept output still unacknowledged after both FINs: resent, not forgotten */
			if (w->now >= c->rto_at)
				retransmit_held(w, c);
			else
				conn_arm(w, c, c->rto_at - w->now);
			return;
		}
		/* linger measured from the last segment: a peer still retransmitting keeps it */
		if (w->now - c->last_seen < pe_ms_to_tsc(pe_eng.cfg.linger_ms)) {
			conn_arm(w, c, c->last_seen + pe_ms_to_tsc(pe_eng.cfg.linger_ms) - w->now);
			return;
		}
		conn_free(w, c);
		return;
	default:
		if (c->rto_at != 0 && w->now >= c->rto_at) {
			retransmit_held(w, c);
			return;
		}
		if (c->st != NULL && stream_timeout(w, c) != 0)
			return;
		/* idle: traffic only stamps last_seen, the timer re-arms itself lazily */
		if (w->now - c->last_seen < idle) {
			conn_arm_relaying(w, c);
			return;
		}
		PE_CNT_INC(&w->cnt, idle_timeout);
		conn_abort_both(w, c);
		conn_free(w, c);
		return;
	}
}

/* ---- actions ------------------------------------------------------------- */

/*
 * Hold client data while the backend connects. Bounded three ways, so that
 * neither one client nor many can pin the mbuf pool: payload bytes
 * (tcp.hold_max_bytes) and segments (PE_HOLD_MAX_SEGS, FIN-only ones count)
 * per connection, and a quarter of the pool kept free for everything else.
 * The first payload (@first) is exempt from the per-connection bounds: the
 * backend is chosen on it. A retransmission of what is held is not held twice.
 * Returns false when the segment was not held (counted; the client
 * retransmits it).
 */
static bool
hold(struct pe_worker *w, struct pe_conn *c, struct pe_tcp_seg *seg, bool first)
{
	uint32_t end = seg->seq + pe_tcp_seg_len(seg);
	struct rte_mbuf *m;

	if (pe_pool_avail(w) < pe_eng.pool->size / 4) {
		PE_CNT_INC(&w->cnt, drop_hold_pool);
		return false;
	}

	/* a retransmission of what is held already: the backend gets it once */
	for (m = c->hold.head; m != NULL; m = pe_hold_next(m)) {
		struct pe_tcp_seg h;

		seg_from_mbuf(m, &h);
		if (pe_seq_leq(h.seq, seg->seq) && pe_seq_geq(h.seq + pe_tcp_seg_len(&h), end)) {
			PE_CNT_INC(&w->cnt, drop_hold_duplicate);
			return false;
		}
	}
	if (!first && (c->hold.n >= PE_HOLD_MAX_SEGS ||
			c->hold.bytes + seg->payload_len > pe_eng.cfg.hold_max_bytes)) {
		PE_CNT_INC(&w->cnt, drop_hold_full);
		return false;
	}
	pe_hold_append(&c->hold, seg->m, seg->payload_len, end);
	if (pe_seq_gt(c->hold.end, c->dir[PE_SIDE_CLIENT].nxt))
		c->dir[PE_SIDE_CLIENT].nxt = c->hold.end;
	seg->m = NULL;
	PE_CNT_INC(&w->cnt, held_segments);
	return true;
}

/* Returns the state to enter, or -1 when the connection was refused and freed. */
static int
act_bind(struct pe_worker *w, struct pe_conn *c, struct seg_ctx *sc)
{
	struct pe_tcp_seg *seg = sc->seg;

	/* the first payload must acknowledge our SYN-ACK, or its ACK cannot be translated */
	if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->e_isn + 1) {
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		return PE_FSM_SAME;
	}
	/*
	 * Data after the first payload overtook it (loss, reordering): hold it
	 * (in window, bounded) and bind when the first payload arrives.
	 */
	if (seg->seq != c->c_isn + 1) {
		if (pe_seq_gt(seg->seq, c->c_isn + 1) &&
				pe_seq_leq(seg->seq, c->dir[PE_SIDE_CLIENT].right)) {
			if (hold(w, c, seg, false))
				PE_CNT_INC(&w->cnt, held_before_first);
		} else {
			PE_CNT_INC(&w->cnt, drop_out_of_window);
		}
		return PE_FSM_SAME;
	}
	/* a FIN before any payload: nothing to choose a backend by */
	if (seg->payload_len == 0) {
		PE_CNT_INC(&w->cnt, conn_closed_empty);
		conn_rst(w, c, PE_SIDE_CLIENT);
		conn_free(w, c);
		return -1;
	}
	if (!hold(w, c, seg, true))
		return PE_FSM_SAME;   /* no room now: the client retransmits it */
	track(w, c, PE_SIDE_CLIENT, sc);
	if (!bind_backend(w, c)) {
		conn_rst(w, c, PE_SIDE_CLIENT);
		conn_free(w, c);
		return -1;
	}
	return PE_CS_CONNECTING;
}

/*
 * The backend is up and the client's direction is inspected: what the
 * client's messages became goes out now (it acknowledges the SYN-ACK), then
 * is kept until the backend acknowledges it.
 */
static int
stream_backend_up(struct pe_worker *w, struct pe_conn *c)
{
	c->state = PE_CS_ESTABLISHED;   /* so that the output is sent (entered properly by the caller) */
	stream_push(w, c, PE_SIDE_CLIENT);
	/* nothing sent (the first message was dropped): the SYN-ACK still wants its ACK */
	if (c->st->d[PE_SIDE_CLIENT].out_sent == c->st->d[PE_SIDE_CLIENT].out_una)
		conn_send_ack(w, c, PE_SIDE_BACKEND, seq_toward(c, PE_SIDE_BACKEND, false));
	c->state = PE_CS_CONNECTING;
	c->retx = 0;
	c->rto_at = 0;
	c->rto_at = c->st->d[PE_SIDE_CLIENT].out.n != 0 ?
		w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms) : 0;
	return c->st->d[PE_SIDE_CLIENT].fin_sent ? PE_CS_FIN_CLIENT : PE_CS_ESTABLISHED;
}

static int
act_backend_up(struct pe_worker *w, struct pe_conn *c, struct seg_ctx *sc)
{
	struct pe_tcp_seg *seg = sc->seg;
	const struct pe_tcp_opts *o = &sc->o;
	struct pe_conn_dir *cd = &c->dir[PE_SIDE_CLIENT], *bd = &c->dir[PE_SIDE_BACKEND];
	uint32_t client_wnd = bd->max_wnd;
	bool fin = false;
	struct rte_mbuf *m;

	if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->c_isn + 1) {
		/*
		 * Not an answer to our SYN, e.g. the backend still holds the
		 * 4-tuple in TIME_WAIT: a RST clears it, our SYN retransmission
		 * then gets through (RFC 9293 §3.10.7.3, SYN-SENT).
		 */
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		pe_tcp_send_rst_reply(w, seg);
		return PE_FSM_SAME;
	}
	c->b_isn = seg->seq;
	c->d_b2c = pe_seq_delta(c->b_isn, c->e_isn);
	c->b_mss = o->has_mss ? RTE_MAX(o->mss, (uint16_t)64) : PE_TCP_DEFAULT_MSS;
	if (o->has_ts && cf(c, PE_CF_TS_C)) {
		c->flags |= PE_CF_TS_B;
		/* continue the clock the client has seen so far (SYN-ACK, challenge ACKs) */
		c->d_ts = ts_clock(w) + c->ts_off - o->ts_val;
		c->b_ts = o->ts_val;
		bd->ts_recent = o->ts_val;
	}
	if (o->sack_perm && cf(c, PE_CF_SACK_C))
		c->flags |= PE_CF_SACK_B;
	if (o->has_wscale && cf(c, PE_CF_WS_C)) {
		c->ws_in[PE_SIDE_BACKEND] = RTE_MIN(o->wscale, (uint8_t)PE_TCP_MAX_WSCALE);
		c->ws_out[PE_SIDE_BACKEND] = c->c_ws;
	}
	/* the window the engine's own segments offer the backend: the client's, in its scale */
	bd->win_to = (uint16_t)RTE_MIN(client_wnd >> c->ws_out[PE_SIDE_BACKEND], (uint32_t)PE_SYN_WINDOW);
	/* the backend's data may fill what the client's window allows */
	bd->nxt = c->b_isn + 1;
	bd->rcv_nxt = c->b_isn + 1;
	bd->right = c->b_isn + 1 + client_wnd;
	/* the client's data: what the backend's SYN-ACK window allows (SYN windows are unscaled) */
	if (pe_seq_gt(seg->ack, cd->rcv_nxt))
		cd->rcv_nxt = seg->ack;
	if (pe_seq_gt(seg->ack + rte_be_to_cpu_16(seg->tcp->rx_win), cd->right))
		cd->right = seg->ack + rte_be_to_cpu_16(seg->tcp->rx_win);
	cd->max_wnd = RTE_MAX(cd->max_wnd, (uint32_t)rte_be_to_cpu_16(seg->tcp->rx_win));
	rte_ether_addr_copy(&seg->eth->src_addr, &c->b_mac);
	PE_CNT_INC(&w->cnt, backend_connected);

	if (c->st != NULL) {
		struct pe_stream_dir *b = &c->st->d[PE_SIDE_BACKEND];

		/* the backend's direction starts at its ISN, moved by d_b2c */
		pe_seq_map_init(&b->map, c->d_b2c);
		b->in_done = b->in_nxt = c->b_isn + 1;
		b->out_nxt = b->out_una = b->out_sent = b->sack_resent = c->e_isn + 1;
		b->adv_right = bd->right;
		/* the receivers' first windows: the client's (its ACK), the backend's SYN-ACK (unscaled) */
		b->rwnd_right = c->e_isn + 1 + client_wnd;
		c->st->d[PE_SIDE_CLIENT].rwnd_right = c->c_isn + 1 + rte_be_to_cpu_16(seg->tcp->rx_win);
		if (streamed(c, PE_SIDE_CLIENT))
			return stream_backend_up(w, c);
	}
	/* the held data carries ACK = e_isn + 1, which translates to b_isn + 1: it ACKs the SYN-ACK */
	for (m = c->hold.head; m != NULL; m = pe_hold_next(m)) {
		struct pe_tcp_seg h;

		seg_from_mbuf(m, &h);
		fin |= (h.flags & RTE_TCP_FIN_FLAG) != 0;
		relay_held(w, c, m);
	}
	c->rto_at = w->now + pe_ms_to_tsc(pe_eng.cfg.tcp_rto_ms);
	c->retx = 0;
	return fin ? PE_CS_FIN_CLIENT : PE_CS_ESTABLISHED;
}

/*
 * RFC 5961 §3.2 for a RST from @from: acceptable only at exactly the
 * receiver's RCV.NXT (or the sender's own SND.NXT, which equals it once all
 * is acknowledged); elsewhere in the window it earns a challenge ACK,
 * outside it is ignored.
 */
static bool
rst_acceptable(struct pe_worker *w, struct pe_conn *c, enum pe_side from, const struct pe_tcp_seg *seg)
{
	const struct pe_conn_dir *d = &c->dir[from];

	if (seg->seq == d->rcv_nxt || seg->seq == d->nxt)
		return true;
	if (pe_seq_in(seg->seq, d->rcv_nxt, d->right + 1))
		challenge_ack(w, c, from);
	else
		PE_CNT_INC(&w->cnt, drop_rst_out_of_window);
	return false;
}

/* ---- input --------------------------------------------------------------- */

static void
answer_syn(struct pe_worker *w, struct seg_ctx *sc)
{
	const struct pe_tcp_seg *seg = sc->seg;
	const struct pe_tcp_opts *in = &sc->o;
	const struct pe_config *cfg = &pe_eng.cfg;
	const struct pe_cookie_tuple t = {
		.saddr = seg->ip->src_addr, .daddr = seg->ip->dst_addr,
		.sport = seg->tcp->src_port, .dport = seg->tcp->dst_port,
	};
	struct pe_tcp_opts out = { .has_mss = true, .mss = cfg->tcp_mss };
	struct pe_tcp_spec s = {
		.saddr = seg->ip->dst_addr,
		.daddr = seg->ip->src_addr,
		.sport = seg->tcp->dst_port,
		.dport = seg->tcp->src_port,
		.ack = seg->seq + 1,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
		.window = PE_SYN_WINDOW,
	};
	uint8_t opts[PE_TCPOPT_SYN_LEN_MAX];

	PE_CNT_INC(&w->cnt, syn_rx);
	/* without timestamps there is nowhere to keep window scale and SACK (as Linux) */
	if (in->has_ts && cfg->tcp_timestamps) {
		struct pe_cookie_opts co = {
			.wscale_ok = in->has_wscale && cfg->tcp_window_scaling,
			.wscale = RTE_MIN(in->wscale, (uint8_t)PE_TCP_MAX_WSCALE),
			.sack_ok = in->sack_perm && cfg->tcp_sack,
		};

		out.has_ts = true;
		out.ts_val = pe_cookie_ts_encode(ts_clock(w) +
				pe_cookie_ts_offset(&pe_eng.cookie_secret, t.saddr, t.daddr), &co);
		out.ts_ecr = in->ts_val;
		out.sack_perm = co.sack_ok;
		out.has_wscale = co.wscale_ok;
		out.wscale = cfg->tcp_wscale;
	}
	s.seq = pe_cookie_make(&cookie_keys(w)[0], &t, seg->seq,
			pe_cookie_mss_index(in->has_mss ? in->mss : PE_TCP_DEFAULT_MSS));
	s.opts = opts;
	s.opts_len = (uint8_t)pe_tcp_opt_build_syn(opts, &out);
	rte_ether_addr_copy(&pe_eng.mac, &s.src_mac);
	rte_ether_addr_copy(&seg->eth->src_addr, &s.dst_mac);
	PE_CNT_INC(&w->cnt, synack_cookie_sent);
	pe_tcp_send(w, &s);
}

/* An ACK for no connection on the VIP: a valid cookie creates the entry. */
static struct pe_conn *
accept_cookie(struct pe_worker *w, struct seg_ctx *sc, const struct pe_conn_key *key)
{
	struct pe_tcp_seg *seg = sc->seg;
	const struct pe_tcp_opts *o = &sc->o;
	const struct pe_cookie_tuple t = {
		.saddr = key->raddr, .daddr = key->laddr, .sport = key->rport, .dport = key->lport,
	};
	const struct pe_cookie_key *keys = cookie_keys(w);
	struct pe_cookie_opts co = { 0 };
	struct pe_conn *c;
	int mss_idx;

	mss_idx = pe_cookie_check(keys, 2, &t, seg->seq - 1, seg->ack - 1);
	if (mss_idx < 0 || (o->has_ts && pe_eng.cfg.tcp_timestamps &&
			pe_cookie_ts_decode(o->ts_ecr, &co) < 0)) {
		/*
		 * The cookie is checked against seq - 1 as the client's ISN, which
		 * only the first segment after the handshake carries. Data that
		 * overtook it cannot be checked exactly: when its cookie fits an
		 * ISN up to a window before, it is dropped without a RST (which
		 * would kill a good connection) and the client retransmits it.
		 */
		if (pe_tcp_seg_len(seg) != 0 && mss_idx < 0 &&
				pe_cookie_check_window(keys, 2, &t, seg->seq - 1,
						PE_SYN_WINDOW, seg->ack - 1)) {
			PE_CNT_INC(&w->cnt, drop_cookie_unchecked);
			return NULL;
		}
		PE_CNT_INC(&w->cnt, drop_cookie_bad);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
	c = pe_conn_alloc(w->conns);
	if (c == NULL) {
		PE_CNT_INC(&w->cnt, drop_conn_table_full);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
	c->key[PE_SIDE_CLIENT] = *key;
	rte_ether_addr_copy(&seg->eth->src_addr, &c->c_mac);
	c->c_isn = seg->seq - 1;
	c->e_isn = seg->ack - 1;
	c->c_mss = pe_cookie_mss_table[mss_idx];
	if (o->has_ts && pe_eng.cfg.tcp_timestamps) {
		c->flags |= PE_CF_TS_C;
		c->e_ts = o->ts_ecr;
		/* the engine's clock toward this client continues from its SYN-ACK's TSval */
		c->ts_off = c->e_ts - ts_clock(w);
		c->dir[PE_SIDE_CLIENT].ts_recent = o->ts_val;
		if (co.sack_ok)
			c->flags |= PE_CF_SACK_C;
		if (co.wscale_ok) {
			c->flags |= PE_CF_WS_C;
			c->c_ws = co.wscale;
			c->ws_in[PE_SIDE_CLIENT] = c->c_ws;
			c->ws_out[PE_SIDE_CLIENT] = pe_eng.cfg.tcp_wscale;
		}
		if (co.sack_ok || co.wscale_ok)
			PE_CNT_INC(&w->cnt, cookie_ts_options);
	}
	/* the window the engine's own segments offer the client: what its SYN-ACK offered */
	c->dir[PE_SIDE_CLIENT].win_to = (uint16_t)(PE_SYN_WINDOW >> c->ws_out[PE_SIDE_CLIENT]);
	/* client data: the engine offered PE_SYN_WINDOW in its SYN-ACK, nothing is acknowledged yet */
	c->dir[PE_SIDE_CLIENT].nxt = seg->seq;
	c->dir[PE_SIDE_CLIENT].rcv_nxt = seg->seq;
	c->dir[PE_SIDE_CLIENT].right = seg->seq + PE_SYN_WINDOW;
	/* the client's window, for the backend's data once it is up (see act_backend_up) */
	c->dir[PE_SIDE_BACKEND].max_wnd = (uint32_t)rte_be_to_cpu_16(seg->tcp->rx_win) <<
		c->ws_in[PE_SIDE_CLIENT];
	c->b_mss = PE_TCP_DEFAULT_MSS;
	if (c->st != NULL) {
		struct pe_stream_dir *d = &c->st->d[PE_SIDE_CLIENT];
		unsigned int s;

		c->st->pool = -1;
		for (s = 0; s < 2; s++)
			c->st->d[s].mode = pe_eng.inspector->inspects((enum pe_side)s) ?
				PE_STREAM_INSPECT : PE_STREAM_OFF;
		/* the engine's SYN to the backend reuses the client's ISN: d_c2b = 0 */
		d->in_done = d->in_nxt = d->out_nxt = d->out_una = d->out_sent = d->sack_resent = seg->seq;
		d->adv_right = c->dir[PE_SIDE_CLIENT].right;
	}
	c->state = PE_CS_MAX; /* so that entering WAIT_DATA is a transition */
	if (pe_conn_insert(w->conns, c, PE_SIDE_CLIENT) < 0) {
		pe_conn_release(w->conns, c);
		PE_CNT_INC(&w->cnt, drop_conn_table_full);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
	PE_CNT_INC(&w->cnt, cookie_ok);
	PE_CNT_INC(&w->cnt, conn_created);
	c->last_seen = w->now;
	conn_set_state(w, c, PE_CS_WAIT_DATA);
	return c;
}

/*
 * Segment for no connection: a SYN to the VIP gets a cookie, an ACK to the
 * VIP with a valid cookie creates the connection (returned, for the state
 * machine to handle what the ACK carries), anything else a RST.
 */
static struct pe_conn *
input_no_conn(struct pe_worker *w, struct seg_ctx *sc, const struct pe_conn_key *key)
{
	struct pe_tcp_seg *seg = sc->seg;

	if (key->laddr != pe_eng.cfg.vip || key->lport != rte_cpu_to_be_16(pe_eng.cfg.vport)) {
		if (key->laddr == pe_eng.cfg.vip)
			PE_CNT_INC(&w->cnt, drop_tcp_port);
		else
			PE_CNT_INC(&w->cnt, drop_tcp_no_conn);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
	switch (seg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) {
	case RTE_TCP_SYN_FLAG:
		/* SYN+FIN is no way to open a connection (a scanner's probe): dropped, as Linux */
		if (seg->flags & RTE_TCP_FIN_FLAG) {
			PE_CNT_INC(&w->cnt, drop_tcp_malformed);
			return NULL;
		}
		answer_syn(w, sc);
		return NULL;
	case RTE_TCP_ACK_FLAG:
		return accept_cookie(w, sc, key);
	default:
		PE_CNT_INC(&w->cnt, drop_tcp_no_conn);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
}

/*
 * Run the action of @tr for @c. Returns the state to enter (PE_FSM_SAME to
 * stay), or -1 when @c is gone.
 */
static int
run_action(struct pe_worker *w, struct pe_conn *c, enum pe_side side, struct seg_ctx *sc,
		const struct pe_transition *tr)
{
	struct pe_tcp_seg *seg = sc->seg;

	switch ((enum pe_action)tr->action) {
	case PE_ACT_DROP:
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		return PE_FSM_SAME;
	case PE_ACT_ABSORB:
		if (side == PE_SIDE_CLIENT && c->state == PE_CS_WAIT_DATA)
			track(w, c, side, sc);
		return PE_FSM_SAME;
	case PE_ACT_BIND:
		return act_bind(w, c, sc);
	case PE_ACT_HOLD:
		/* as for the first payload: it must ACK the cookie and lie in the window offered */
		if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->e_isn + 1 ||
				!pe_seq_in(seg->seq, c->c_isn + 1, c->dir[PE_SIDE_CLIENT].right + 1)) {
			PE_CNT_INC(&w->cnt, drop_out_of_window);
			return PE_FSM_SAME;
		}
		if (!hold(w, c, seg, false))
			return PE_FSM_SAME;
		if (sc->o.has_ts)
			c->dir[PE_SIDE_CLIENT].ts_recent = sc->o.ts_val;
		return PE_FSM_SAME;
	case PE_ACT_BACKEND_UP:
		return act_backend_up(w, c, sc);
	case PE_ACT_REACK:
		/* only the backend's own SYN-ACK, retransmitted, is answered */
		if (seg->seq != c->b_isn || seg->ack != c->c_isn + 1) {
			PE_CNT_INC(&w->cnt, drop_tcp_state);
			return PE_FSM_SAME;
		}
		if (sc->o.has_ts && ts_on(c, PE_SIDE_BACKEND))
			c->dir[PE_SIDE_BACKEND].ts_recent = sc->o.ts_val;
		conn_send_ack(w, c, PE_SIDE_BACKEND, streamed(c, PE_SIDE_CLIENT) ?
				seq_toward(c, PE_SIDE_BACKEND, false) : c->dir[PE_SIDE_CLIENT].nxt);
		return PE_FSM_SAME;
	case PE_ACT_FAILOVER:
		/* in SYN-SENT only a RST that acknowledges our SYN is acceptable (RFC 9293) */
		if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->c_isn + 1) {
			PE_CNT_INC(&w->cnt, drop_tcp_state);
			return PE_FSM_SAME;
		}
		PE_CNT_INC(&w->cnt, backend_refused);
		return (int)failover(w, c, PE_BE_REFUSED);
	case PE_ACT_RST_REPLY:
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		pe_tcp_send_rst_reply(w, seg);
		return PE_FSM_SAME;
	case PE_ACT_ABORT:
		if (!rst_acceptable(w, c, side, seg))
			return PE_FSM_SAME;
		if (c->state == PE_CS_WAIT_DATA) {
			conn_free(w, c);
			return -1;
		}
		conn_rst(w, c, PE_SIDE_BACKEND);
		return tr->next;
	case PE_ACT_RELAY:
		if (!in_window(c, side, seg)) {
			PE_CNT_INC(&w->cnt, drop_out_of_window);
			return PE_FSM_SAME;
		}
		relay(w, c, side, sc);
		hold_release_acked(c);
		return tr->next;
	case PE_ACT_RST_CHECK:
		if (!rst_acceptable(w, c, side, seg))
			return PE_FSM_SAME;
		relay(w, c, side, sc);
		return tr->next;
	case PE_ACT_CHALLENGE:
		challenge_ack(w, c, side);
		return PE_FSM_SAME;
	case PE_ACT_RECYCLE:
		/* a SYN is never accepted as a connection, only answered */
		conn_free(w, c);
		answer_syn(w, sc);
		return -1;
	case PE_ACT_MAX:
		break;
	}
	return PE_FSM_SAME;
}

void
pe_proxy_input(struct pe_worker *w, struct pe_tcp_seg *seg)
{
	const struct pe_conn_key key = {
		.raddr = seg->ip->src_addr,
		.laddr = seg->ip->dst_addr,
		.rport = seg->tcp->src_port,
		.lport = seg->tcp->dst_port,
	};
	struct seg_ctx sc = { .seg = seg };
	const struct pe_transition *tr;
	enum pe_side side;
	struct pe_conn *c;
	int next;

	if (pe_tcp_opt_parse(seg_opts(seg), seg_opts_len(seg), &sc.o) < 0) {
		PE_CNT_INC(&w->cnt, drop_tcp_options);
		goto out;
	}
	c = pe_conn_lookup(w->conns, &key, &side);
	if (c == NULL) {
		c = input_no_conn(w, &sc, &key);
		if (c == NULL)
			goto out;
		side = PE_SIDE_CLIENT;
	}
	c->last_seen = w->now;
	tr = &pe_fsm[c->state][side][pe_fsm_classify(seg->flags, seg->payload_len)];
	if (unlikely(c->st != NULL)) {
		if (c->st->refused) {
			refused_input(w, c, side, &sc);
			goto out;
		}
		if (streamed(c, side) && (seg->payload_len != 0 || (seg->flags & RTE_TCP_FIN_FLAG)) &&
				!(seg->flags & (RTE_TCP_RST_FLAG | RTE_TCP_SYN_FLAG)) &&
				(tr->action == PE_ACT_BIND || tr->action == PE_ACT_HOLD ||
				 tr->action == PE_ACT_RELAY)) {
			next = stream_action(w, c, side, &sc, tr);
			goto state;
		}
	}
	next = run_action(w, c, side, &sc, tr);
state:
	if (next >= 0)
		conn_set_state(w, c, (unsigned int)next);
out:
	if (seg->m != NULL)
		rte_pktmbuf_free(seg->m);
}

void
pe_proxy_timers(struct pe_worker *w)
{
	/* handlers re-arm timers already due (retransmissions): each runs once per call */
	uint32_t n = pe_conn_timer_count(w->conns);
	struct pe_conn *c;

	while (n-- > 0 && (c = pe_conn_timer_due(w->conns, w->now)) != NULL)
		conn_timer_cb(w, c);
}

void
pe_proxy_icmp_unreach(struct pe_worker *w, const struct rte_ipv4_hdr *inner, uint32_t inner_seq,
		uint16_t sport, uint16_t dport)
{
	/* the quoted segment is one the engine sent: its source is us, its destination the backend */
	const struct pe_conn_key key = {
		.raddr = inner->dst_addr,
		.laddr = inner->src_addr,
		.rport = dport,
		.lport = sport,
	};
	const struct pe_transition *tr;
	enum pe_side side;
	struct pe_conn *c;

	PE_CNT_INC(&w->cnt, icmp_unreach_rx);
	c = pe_conn_lookup(w->conns, &key, &side);
	/* only an error about the SYN in flight counts (RFC 5927 §4.1: check the quoted sequence) */
	if (c == NULL || side != PE_SIDE_BACKEND || inner_seq != c->c_isn) {
		PE_CNT_INC(&w->cnt, drop_icmp_stale);
		return;
	}
	tr = &pe_fsm[c->state][side][PE_EV_UNREACH];
	if (tr->action != PE_ACT_FAILOVER) {
		PE_CNT_INC(&w->cnt, drop_icmp_stale);
		return;
	}
	PE_CNT_INC(&w->cnt, backend_unreachable);
	conn_set_state(w, c, failover(w, c, PE_BE_UNREACHABLE));
}
