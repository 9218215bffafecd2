/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delayed binding and splicing of two TCP connections.
 *
 *   client                    engine                      backend
 *     | SYN ------------------> |  (no state: SYN cookie)      |
 *     | <------- SYN-ACK(cookie)|                              |
 *     | ACK ------------------> |  cookie ok: entry WAIT_DATA  |
 *     | data -----------------> |  select backend, hold data   |
 *     |                         | SYN(seq = client ISN) ---->  |  CONNECTING
 *     |                         | <------------------ SYN-ACK  |
 *     |                         | held data (acks SYN-ACK) --> |  ESTABLISHED
 *     | <====== relayed both ways, seq/ack translated =======> |
 *
 * The engine never acknowledges client data itself: the backend's ACKs,
 * translated, do. So nothing the client sent is lost if a segment is: the
 * client retransmits it.
 *
 * The state machine is the table pe_fsm[state][side][event] below (rule 5):
 * each cell names the action to run and the state to enter.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_timer.h>

#include "conn/conn.h"
#include "conn/port_alloc.h"
#include "core/engine.h"
#include "core/log.h"
#include "io/worker.h"
#include "net/arp.h"
#include "net/csum.h"
#include "proxy/backend.h"
#include "proxy/lb.h"
#include "proxy/proxy.h"
#include "tcp/tcp_cookie.h"
#include "tcp/tcp_opt.h"
#include "tcp/tcp_out.h"
#include "tcp/tcp_seq.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_proxy, proxy, INFO);

#define PE_WINDOW 65535          /* advertised in our SYN and SYN-ACK (no window scaling yet) */
#define PE_SYN_RTO_MS 250        /* first retransmission of a SYN to a backend, then doubled */

enum pe_event {
	EV_SYN,
	EV_SYNACK,
	EV_ACK,      /* no payload, no FIN */
	EV_DATA,
	EV_FIN,      /* with or without payload */
	EV_RST,
	EV_MAX
};

enum pe_action {
	ACT_DROP,        /* not acceptable in this state: count and drop */
	ACT_ABSORB,      /* nothing to do (e.g. a pure ACK before binding) */
	ACT_BIND,        /* first payload: choose a backend, hold it, SYN */
	ACT_LATE_DATA,   /* client data while the backend connects: dropped, retransmitted later */
	ACT_BACKEND_UP,  /* backend SYN-ACK: send the held payload */
	ACT_REACK,       /* retransmitted backend SYN-ACK: ACK again */
	ACT_REFUSED,     /* backend RST to our SYN */
	ACT_RST_REPLY,   /* unacceptable segment on a half-open backend side: RST (RFC 9293 SYN-SENT) */
	ACT_ABORT,       /* client RST or FIN before the backend is up */
	ACT_RELAY,       /* translate and forward to the other side */
	ACT_RECYCLE,     /* new SYN on a closed tuple: free the old entry, answer */
};

#define SAME PE_CS_MAX

struct pe_transition {
	uint8_t action;  /* enum pe_action */
	uint8_t next;    /* enum pe_conn_state, or SAME */
};

#define T(a, n) { ACT_ ## a, n }
#define DROP_ALL { T(DROP, SAME), T(DROP, SAME), T(DROP, SAME), T(DROP, SAME), T(DROP, SAME), T(DROP, SAME) }

/* [state][side][event]: events in enum order SYN, SYNACK, ACK, DATA, FIN, RST */
static const struct pe_transition pe_fsm[PE_CS_MAX][2][EV_MAX] = {
	[PE_CS_WAIT_DATA] = {
		[PE_SIDE_CLIENT] = { T(DROP, SAME), T(DROP, SAME), T(ABSORB, SAME),
			T(BIND, PE_CS_CONNECTING), T(ABORT, PE_CS_RESET), T(ABORT, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = DROP_ALL,
	},
	[PE_CS_CONNECTING] = {
		[PE_SIDE_CLIENT] = { T(DROP, SAME), T(DROP, SAME), T(ABSORB, SAME),
			T(LATE_DATA, SAME), T(LATE_DATA, SAME), T(ABORT, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(BACKEND_UP, PE_CS_ESTABLISHED), T(RST_REPLY, SAME),
			T(RST_REPLY, SAME), T(RST_REPLY, SAME), T(REFUSED, PE_CS_RESET) },
	},
	[PE_CS_ESTABLISHED] = {
		[PE_SIDE_CLIENT] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_FIN_CLIENT), T(RELAY, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(REACK, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_FIN_BACKEND), T(RELAY, PE_CS_RESET) },
	},
	[PE_CS_FIN_CLIENT] = {
		[PE_SIDE_CLIENT] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RELAY, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_TIME_WAIT), T(RELAY, PE_CS_RESET) },
	},
	[PE_CS_FIN_BACKEND] = {
		[PE_SIDE_CLIENT] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, PE_CS_TIME_WAIT), T(RELAY, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RELAY, PE_CS_RESET) },
	},
	[PE_CS_TIME_WAIT] = {
		[PE_SIDE_CLIENT] = { T(RECYCLE, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RELAY, PE_CS_RESET) },
		[PE_SIDE_BACKEND] = { T(DROP, SAME), T(DROP, SAME), T(RELAY, SAME),
			T(RELAY, SAME), T(RELAY, SAME), T(RELAY, PE_CS_RESET) },
	},
	[PE_CS_RESET] = {
		[PE_SIDE_CLIENT] = { T(RECYCLE, SAME), T(DROP, SAME), T(DROP, SAME),
			T(DROP, SAME), T(DROP, SAME), T(DROP, SAME) },
		[PE_SIDE_BACKEND] = DROP_ALL,
	},
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

static enum pe_event
classify(const struct pe_tcp_seg *seg)
{
	uint8_t f = seg->flags;

	if (f & RTE_TCP_RST_FLAG)
		return EV_RST;
	if (f & RTE_TCP_SYN_FLAG)
		return (f & RTE_TCP_ACK_FLAG) ? EV_SYNACK : EV_SYN;
	if (f & RTE_TCP_FIN_FLAG)
		return EV_FIN;
	return seg->payload_len ? EV_DATA : EV_ACK;
}

/* Re-derive the parsed view of an mbuf that net.c validated earlier (the held payload). */
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

static uint64_t
now_s(const struct pe_worker *w)
{
	return w->now / pe_eng.hz;
}

/* ---- connection life cycle ---------------------------------------------- */

static void conn_timer_cb(struct rte_timer *tim, void *arg);

static void
conn_arm(struct pe_conn *c, uint64_t ticks)
{
	rte_timer_reset(&c->timer, ticks, SINGLE, rte_lcore_id(), conn_timer_cb, c);
}

static void
conn_free(struct pe_worker *w, struct pe_conn *c)
{
	if (c->has_backend_key) {
		pe_port_alloc_put(w->ports, rte_be_to_cpu_16(c->key[PE_SIDE_BACKEND].lport));
		w->be[c->be_idx].active--;
	}
	pe_conn_release(w->conns, c);
	PE_CNT_INC(&w->cnt, conn_freed);
}

static void
conn_set_state(struct pe_worker *w, struct pe_conn *c, unsigned int next)
{
	if (next == SAME || next == c->state)
		return;
	c->state = (uint8_t)next;
	w->cnt.v[state_counter[next]]++;
	switch (next) {
	case PE_CS_WAIT_DATA:
	case PE_CS_ESTABLISHED:
		conn_arm(c, pe_ms_to_tsc(pe_eng.cfg.idle_timeout_ms));
		break;
	case PE_CS_CONNECTING:
		conn_arm(c, pe_ms_to_tsc(PE_SYN_RTO_MS));
		break;
	case PE_CS_TIME_WAIT:
	case PE_CS_RESET:
		conn_arm(c, pe_ms_to_tsc(pe_eng.cfg.linger_ms));
		break;
	default:
		break; /* FIN_*: the idle timer armed in ESTABLISHED keeps running */
	}
}

/* Segment toward one side of @c carrying only flags (SYN, ACK, RST). */
static void
conn_send(struct pe_worker *w, struct pe_conn *c, enum pe_side to, uint32_t seq, uint32_t ack,
		uint8_t flags, const uint8_t *opts, uint8_t opts_len)
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
		.window = PE_WINDOW,
		.opts = opts,
		.opts_len = opts_len,
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

/* RST to the client, in its window: before the backend is up our next sequence is e_isn + 1. */
static void
conn_rst_client(struct pe_worker *w, struct pe_conn *c)
{
	uint32_t seq = c->state < PE_CS_ESTABLISHED ? c->e_isn + 1 :
		pe_seq_to(c->nxt[PE_SIDE_BACKEND], c->d_b2c);

	PE_CNT_INC(&w->cnt, rst_sent);
	conn_send(w, c, PE_SIDE_CLIENT, seq, 0, RTE_TCP_RST_FLAG, NULL, 0);
}

static void
conn_rst_backend(struct pe_worker *w, struct pe_conn *c)
{
	PE_CNT_INC(&w->cnt, rst_sent);
	conn_send(w, c, PE_SIDE_BACKEND, pe_seq_to(c->nxt[PE_SIDE_CLIENT], c->d_c2b), 0,
			RTE_TCP_RST_FLAG, NULL, 0);
}

static void
send_backend_syn(struct pe_worker *w, struct pe_conn *c)
{
	uint8_t opts[4];
	uint16_t mss = RTE_MIN(c->c_mss, (uint16_t)(RTE_ETHER_MTU - 40));

	if (c->syn_tries < UINT8_MAX)
		c->syn_tries++;
	PE_CNT_INC(&w->cnt, backend_syn_sent);
	conn_send(w, c, PE_SIDE_BACKEND, c->c_isn, 0, RTE_TCP_SYN_FLAG, opts,
			(uint8_t)pe_tcp_opt_put_mss(opts, mss));
}

static void
conn_timer_cb(struct rte_timer *tim, void *arg)
{
	struct pe_worker *w = pe_eng.workers[rte_lcore_id()];
	struct pe_conn *c = arg;
	uint64_t idle = pe_ms_to_tsc(pe_eng.cfg.idle_timeout_ms);

	(void)tim;
	switch (c->state) {
	case PE_CS_CONNECTING:
		if (w->now - c->syn_first >= pe_ms_to_tsc(pe_eng.cfg.connect_timeout_ms)) {
			PE_CNT_INC(&w->cnt, backend_timeout);
			pe_backend_failed(w, c->be_idx);
			conn_rst_client(w, c);
			conn_rst_backend(w, c);
			conn_set_state(w, c, PE_CS_RESET);
			return;
		}
		PE_CNT_INC(&w->cnt, backend_syn_retx);
		send_backend_syn(w, c);
		conn_arm(c, pe_ms_to_tsc((uint64_t)PE_SYN_RTO_MS << RTE_MIN(c->syn_tries - 1u, 4u)));
		return;
	case PE_CS_TIME_WAIT:
	case PE_CS_RESET:
		conn_free(w, c);
		return;
	default:
		/* idle: traffic only stamps last_seen, the timer re-arms itself lazily */
		if (w->now - c->last_seen < idle) {
			conn_arm(c, c->last_seen + idle - w->now);
			return;
		}
		PE_CNT_INC(&w->cnt, idle_timeout);
		conn_rst_client(w, c);
		if (c->has_backend_key)
			conn_rst_backend(w, c);
		conn_free(w, c);
		return;
	}
}

/* ---- relaying ------------------------------------------------------------ */

/*
 * Rewrite @seg, received from side @from, into a segment of the other
 * connection and send it: addresses, ports, sequence and acknowledgment
 * numbers translated, checksums updated incrementally.
 */
static void
relay(struct pe_worker *w, struct pe_conn *c, enum pe_side from, struct pe_tcp_seg *seg)
{
	enum pe_side to = (enum pe_side)!from;
	const struct pe_conn_key *k = &c->key[to];
	struct rte_ipv4_hdr *ip = seg->ip;
	struct rte_tcp_hdr *tcp = seg->tcp;
	uint32_t d_seq = from == PE_SIDE_CLIENT ? c->d_c2b : c->d_b2c;
	uint32_t d_ack = from == PE_SIDE_CLIENT ? c->d_b2c : c->d_c2b;
	uint32_t seq_end = seg->seq + pe_tcp_seg_len(seg);
	uint32_t v;
	uint16_t ck = tcp->cksum;

	if (pe_seq_gt(seq_end, c->nxt[from]))
		c->nxt[from] = seq_end;

	rte_ether_addr_copy(&pe_eng.mac, &seg->eth->src_addr);
	rte_ether_addr_copy(to == PE_SIDE_CLIENT ? &c->c_mac : &c->b_mac, &seg->eth->dst_addr);

	ck = pe_csum_replace32(ck, ip->src_addr, k->laddr);
	ck = pe_csum_replace32(ck, ip->dst_addr, k->raddr);
	ip->src_addr = k->laddr;
	ip->dst_addr = k->raddr;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	ck = pe_csum_replace16(ck, tcp->src_port, k->lport);
	ck = pe_csum_replace16(ck, tcp->dst_port, k->rport);
	tcp->src_port = k->lport;
	tcp->dst_port = k->rport;

	v = rte_cpu_to_be_32(pe_seq_to(seg->seq, d_seq));
	ck = pe_csum_replace32(ck, tcp->sent_seq, v);
	tcp->sent_seq = v;
	if (seg->flags & RTE_TCP_ACK_FLAG) {
		v = rte_cpu_to_be_32(pe_seq_from(seg->ack, d_ack));
		ck = pe_csum_replace32(ck, tcp->recv_ack, v);
		tcp->recv_ack = v;
	}
	tcp->cksum = ck;

	if (from == PE_SIDE_CLIENT) {
		PE_CNT_INC(&w->cnt, relayed_c2b);
		if (seg->flags & RTE_TCP_FIN_FLAG)
			PE_CNT_INC(&w->cnt, fin_relayed_c2b);
		if (seg->flags & RTE_TCP_RST_FLAG)
			PE_CNT_INC(&w->cnt, rst_relayed_c2b);
	} else {
		PE_CNT_INC(&w->cnt, relayed_b2c);
		if (seg->flags & RTE_TCP_FIN_FLAG)
			PE_CNT_INC(&w->cnt, fin_relayed_b2c);
		if (seg->flags & RTE_TCP_RST_FLAG)
			PE_CNT_INC(&w->cnt, rst_relayed_b2c);
	}
	pe_tx(w, seg->m);
	seg->m = NULL;
}

/* ---- actions ------------------------------------------------------------- */

/* Returns false when the connection was refused and freed. */
static bool
act_bind(struct pe_worker *w, struct pe_conn *c, struct pe_tcp_seg *seg)
{
	const struct pe_backend_conf *be;
	struct pe_select_ctx ctx = {
		.client_addr = c->key[PE_SIDE_CLIENT].raddr,
		.client_port = c->key[PE_SIDE_CLIENT].rport,
		.payload = (const uint8_t *)seg->tcp + seg->hdr_len,
		.payload_len = seg->payload_len,
	};
	int idx, port;

	idx = pe_eng.lb->select(w, &ctx);
	if (idx < 0) {
		PE_CNT_INC(&w->cnt, no_backend);
		goto refuse;
	}
	port = pe_port_alloc_get(w->ports);
	if (port < 0) {
		PE_CNT_INC(&w->cnt, drop_port_exhausted);
		goto refuse;
	}
	be = &pe_eng.cfg.backends[idx];
	c->be_idx = (uint8_t)idx;
	c->key[PE_SIDE_BACKEND] = (struct pe_conn_key){
		.raddr = be->addr,
		.laddr = pe_eng.cfg.source_addr,
		.rport = rte_cpu_to_be_16(be->port),
		.lport = rte_cpu_to_be_16((uint16_t)port),
	};
	if (pe_conn_insert(w->conns, c, PE_SIDE_BACKEND) < 0) {
		pe_port_alloc_put(w->ports, (uint16_t)port);
		PE_CNT_INC(&w->cnt, drop_conn_table_full);
		goto refuse;
	}
	c->has_backend_key = 1;
	w->be[idx].selected++;
	w->be[idx].active++;
	PE_CNT_INC(&w->cnt, backend_selected);

	c->held = seg->m;
	seg->m = NULL;
	c->syn_first = w->now;
	send_backend_syn(w, c);
	return true;

refuse:
	conn_rst_client(w, c);
	conn_free(w, c);
	return false;
}

static bool
act_backend_up(struct pe_worker *w, struct pe_conn *c, struct pe_tcp_seg *seg)
{
	struct pe_tcp_seg held;

	if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->c_isn + 1) {
		/*
		 * Not an answer to our SYN, e.g. the backend still holds the
		 * 4-tuple in TIME_WAIT: a RST clears it, our SYN retransmission
		 * then gets through (RFC 9293 §3.10.7.3, SYN-SENT).
		 */
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		pe_tcp_send_rst_reply(w, seg);
		return false;
	}
	c->b_isn = seg->seq;
	c->d_b2c = pe_seq_delta(c->b_isn, c->e_isn);
	c->nxt[PE_SIDE_BACKEND] = c->b_isn + 1;
	rte_ether_addr_copy(&seg->eth->src_addr, &c->b_mac);
	PE_CNT_INC(&w->cnt, backend_connected);

	/* the held payload carries ACK = e_isn + 1, which translates to b_isn + 1 */
	seg_from_mbuf(c->held, &held);
	c->held = NULL;
	relay(w, c, PE_SIDE_CLIENT, &held);
	return true;
}

/* ---- input --------------------------------------------------------------- */

static void
answer_syn(struct pe_worker *w, struct pe_tcp_seg *seg)
{
	const struct pe_cookie_tuple t = {
		.saddr = seg->ip->src_addr, .daddr = seg->ip->dst_addr,
		.sport = seg->tcp->src_port, .dport = seg->tcp->dst_port,
	};
	struct pe_tcp_opts o;
	struct pe_tcp_spec s = {
		.saddr = seg->ip->dst_addr,
		.daddr = seg->ip->src_addr,
		.sport = seg->tcp->dst_port,
		.dport = seg->tcp->src_port,
		.ack = seg->seq + 1,
		.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
		.window = PE_WINDOW,
	};
	uint8_t opts[4];
	unsigned int mss_idx;

	PE_CNT_INC(&w->cnt, syn_rx);
	if (pe_tcp_opt_parse((const uint8_t *)(seg->tcp + 1), seg->hdr_len - sizeof(*seg->tcp), &o) < 0) {
		PE_CNT_INC(&w->cnt, drop_tcp_malformed);
		return;
	}
	mss_idx = pe_cookie_mss_index(o.has_mss ? o.mss : PE_TCP_DEFAULT_MSS);
	s.seq = pe_cookie_make(&pe_eng.cookie_secret, &t, seg->seq,
			pe_cookie_period(now_s(w)), mss_idx);
	s.opts = opts;
	s.opts_len = (uint8_t)pe_tcp_opt_put_mss(opts, RTE_ETHER_MTU - 40);
	rte_ether_addr_copy(&pe_eng.mac, &s.src_mac);
	rte_ether_addr_copy(&seg->eth->src_addr, &s.dst_mac);
	PE_CNT_INC(&w->cnt, synack_cookie_sent);
	pe_tcp_send(w, &s);
}

/* An ACK for no connection on the VIP: a valid cookie creates the entry. */
static struct pe_conn *
accept_cookie(struct pe_worker *w, struct pe_tcp_seg *seg, const struct pe_conn_key *key)
{
	const struct pe_cookie_tuple t = {
		.saddr = key->raddr, .daddr = key->laddr, .sport = key->rport, .dport = key->lport,
	};
	struct pe_conn *c;
	int mss_idx;

	mss_idx = pe_cookie_check(&pe_eng.cookie_secret, &t, seg->seq - 1, seg->ack - 1,
			pe_cookie_period(now_s(w)));
	if (mss_idx < 0) {
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
	c->nxt[PE_SIDE_CLIENT] = seg->seq;
	c->state = PE_CS_MAX; /* so that entering WAIT_DATA is a transition */
	if (pe_conn_insert(w->conns, c, PE_SIDE_CLIENT) < 0) {
		pe_conn_release(w->conns, c);
		PE_CNT_INC(&w->cnt, drop_conn_table_full);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
	PE_CNT_INC(&w->cnt, cookie_ok);
	PE_CNT_INC(&w->cnt, conn_created);
	conn_set_state(w, c, PE_CS_WAIT_DATA);
	return c;
}

/*
 * Segment for no connection: a SYN to the VIP gets a cookie, an ACK to the
 * VIP with a valid cookie creates the connection (returned, for the state
 * machine to handle what the ACK carries), anything else a RST.
 */
static struct pe_conn *
input_no_conn(struct pe_worker *w, struct pe_tcp_seg *seg, const struct pe_conn_key *key)
{
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
		answer_syn(w, seg);
		return NULL;
	case RTE_TCP_ACK_FLAG:
		return accept_cookie(w, seg, key);
	default:
		PE_CNT_INC(&w->cnt, drop_tcp_no_conn);
		pe_tcp_send_rst_reply(w, seg);
		return NULL;
	}
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
	const struct pe_transition *tr;
	enum pe_side side;
	struct pe_conn *c;

	c = pe_conn_lookup(w->conns, &key, &side);
	if (c == NULL) {
		c = input_no_conn(w, seg, &key);
		if (c == NULL)
			goto out;
		side = PE_SIDE_CLIENT;
	}
	c->last_seen = w->now;
	tr = &pe_fsm[c->state][side][classify(seg)];
	switch ((enum pe_action)tr->action) {
	case ACT_DROP:
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		goto out;
	case ACT_ABSORB:
		goto out;
	case ACT_BIND:
		/* the first payload must acknowledge our SYN-ACK, or its ACK cannot be translated */
		if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->e_isn + 1) {
			PE_CNT_INC(&w->cnt, drop_tcp_state);
			goto out;
		}
		if (!act_bind(w, c, seg))
			goto out;
		break;
	case ACT_LATE_DATA:
		PE_CNT_INC(&w->cnt, drop_connecting);
		goto out;
	case ACT_BACKEND_UP:
		if (!act_backend_up(w, c, seg))
			goto out;
		break;
	case ACT_REACK:
		conn_send(w, c, PE_SIDE_BACKEND, c->c_isn + 1, c->b_isn + 1, RTE_TCP_ACK_FLAG, NULL, 0);
		goto out;
	case ACT_RST_REPLY:
		PE_CNT_INC(&w->cnt, drop_tcp_state);
		pe_tcp_send_rst_reply(w, seg);
		goto out;
	case ACT_REFUSED:
		/* in SYN-SENT only a RST that acknowledges our SYN is acceptable (RFC 9293) */
		if (!(seg->flags & RTE_TCP_ACK_FLAG) || seg->ack != c->c_isn + 1) {
			PE_CNT_INC(&w->cnt, drop_tcp_state);
			goto out;
		}
		PE_CNT_INC(&w->cnt, backend_refused);
		pe_backend_failed(w, c->be_idx);
		conn_rst_client(w, c);
		break;
	case ACT_ABORT:
		if (c->state == PE_CS_WAIT_DATA) {
			if (!(seg->flags & RTE_TCP_RST_FLAG))
				conn_rst_client(w, c);
			conn_free(w, c);
			goto out;
		}
		conn_rst_backend(w, c);
		break;
	case ACT_RELAY:
		relay(w, c, side, seg);
		break;
	case ACT_RECYCLE:
		/* a SYN is never accepted as a connection, only answered */
		conn_free(w, c);
		input_no_conn(w, seg, &key);
		goto out;
	}
	conn_set_state(w, c, tr->next);
out:
	if (seg->m != NULL)
		rte_pktmbuf_free(seg->m);
}
