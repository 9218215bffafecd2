/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pe_loadgen: the benchmark peer of proxyengine (issue 7). One DPDK process
 * plays both the LDAP clients and the LDAP backend servers, over one port
 * (net_memif, server role) whose other end is the engine:
 *
 *   clients 198.18.1.1-254:<port>  --SYN/bind/search/unbind-->  VIP 198.18.0.1:389
 *   engine  198.18.0.2:<port>      --SYN/bind/search/unbind-->  backends 198.18.0.11/.12:389
 *
 * One session, as Linux and slapd would do it:
 *
 *   client                      engine                      backend (.11/.12)
 *   SYN (MSS,SACK,TS,WS 7) -->
 *                          <--  SYN-ACK (cookie)
 *   ACK, BindRequest       -->  SYN                    -->
 *                               <--  SYN-ACK (MSS,SACK,TS,WS 7)
 *                               ACK, held BindRequest  -->
 *                          <--  BindResponse           <--  BindResponse (success)
 *   SearchRequest x K      -->                         -->
 *                          <--  Entry + Done           <--  Entry + Done (1 or 2 segments)
 *   UnbindRequest, FIN     -->                         -->
 *                          <--  FIN                    <--  FIN
 *   ACK                    -->                         -->
 *
 * Every byte is checked: the server side compares each request byte with
 * what the client of that session sent (the backend connection is matched
 * to the session by the bind DN, uid=u<session id>), the client side each
 * response byte with what the server side answered for that session (each
 * side keeps a copy of the message it sent last; messages are built from
 * the session id and operation number, so every session's bytes differ).
 * A mismatch, an unexpected RST, an acknowledgment beyond what was sent, a
 * bad checksum or a timeout fails the session; the generator does not
 * retransmit, so a frame dropped anywhere fails its session too.
 *
 * The port has no RSS: this process plays the NIC. It sends each IPv4/TCP
 * frame on the queue the engine's RSS would pick (src/net/rss.h: Toeplitz
 * with pe_rss_default_key, a 128-entry RETA over --queues), ARP on queue 0,
 * and polls every rx queue.
 *
 * Usage:
 *   pe_loadgen --file-prefix=P -l 1 --no-huge -m 512 --no-pci \
 *       --vdev=net_memif0,role=server,socket=PATH,socket-abstract=no -- \
 *       [--queues N] [--sessions N] [--concurrency C] [--ops K] [--time-limit S]
 *       [--session-timeout-ms MS] [--link-timeout S] [--wait-signal]
 *       [--dn-mode people|alternate] [--check-route] [--wrong-every N]
 *       [--wrong-side client|server]
 *
 * --wait-signal: answer ARP but start no session before SIGUSR1 (the
 * wrapper sends it once the engine is ready). --link-timeout S bounds the
 * wait for the link, the engine's MAC and the signal. --wrong-every N: for every
 * N-th session one expected byte is deliberately wrong (the client's
 * expectation of the first search's entry, or with --wrong-side server the
 * server's expectation of the bind), to show that verification catches it.
 *
 * Output: progress on stderr, and as the last line on stdout one JSON object
 * (sessions, ok, failed, mismatches, bytes_verified, elapsed_s,
 * sessions_per_s, frames_tx, frames_rx, ...). Exit 0 when every session
 * succeeded, 1 when any failed, 2 on a setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net/rss.h"
#include "net/wire.h"

#define BURST 32
#define RX_ROUNDS 8               /* rx bursts per queue per loop, at most */
#define NB_MBUF 16383
#define MBUF_CACHE 256
#define MAX_QUEUES 16
#define TXQ_CAP 2048              /* frames waiting for a queue with room */
#define ID_MAP_BITS 20            /* session id -> slot map */
#define MSG_MAX 1024              /* longest LDAP message built */
#define STASH_MAX 320             /* longest message kept for verification (ids up to 20 digits) */
#define CLIENT_HOSTS 254          /* 198.18.1.1 .. 198.18.1.254 */
#define CLIENT_PORT_BASE 1024u
#define CLIENT_PORT_SPAN 64512u   /* 1024 .. 65535 */
#define LDAP_PORT 389
#define WIN_SYN 64240
#define WSCALE 7
#define MSS 1460

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define VIP IP4(198, 18, 0, 1)
#define SRC IP4(198, 18, 0, 2)
#define BE0 IP4(198, 18, 0, 11)
#define CLIENT_NET IP4(198, 18, 1, 0)

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

/* one TCP endpoint played by us */
struct tcb {
	uint32_t laddr, raddr;      /* host order */
	uint16_t lport, rport;
	uint16_t queue;             /* where the engine's RSS puts our frames */
	uint8_t ts_ok, ws_ok, sack_ok;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t ts_recent;
	uint32_t ts_off;
	uint8_t need_ack;
	uint8_t fin_sent, fin_acked, fin_rcvd;
};

enum { C_FREE, C_SYN_SENT, C_ESTAB, C_FIN_WAIT, C_DONE };
enum { S_FREE, S_SYN_RCVD, S_ESTAB, S_LAST_ACK };

struct sess {
	uint64_t id;
	uint64_t deadline;          /* TSC */
	struct tcb c;
	uint32_t gen;               /* uses of this slot: rotates the client port */
	uint32_t rsp;               /* response awaited (0 bind, 1..K searches) */
	uint32_t rsp_off;           /* bytes of it verified */
	int32_t srv;                /* server connection index, -1 none */
	uint8_t cstate;
	uint8_t server_done;
	uint8_t backend;            /* expected backend (--check-route) */
	/*
	 * What each side last sent, as the other side must receive it: one
	 * message per direction is in flight at a time (a request is sent when
	 * the previous response is complete, a response when its request is).
	 */
	uint16_t req_len, rsp_len;
	uint8_t req_stash[STASH_MAX];
	uint8_t rsp_stash[STASH_MAX];
};

struct srv {
	struct tcb t;
	int32_t sess;               /* slot, -1 not identified yet */
	uint64_t sess_id;
	uint32_t req;               /* request awaited (0 bind .. K+1 unbind) */
	uint32_t req_off;
	uint32_t irs;
	uint8_t state;
	uint8_t got_unbind;
};


struct txq {
	uint16_t n;
	struct rte_mbuf *pkts[TXQ_CAP];
};

static struct {
	/* options */
	uint16_t nq;
	uint64_t sessions;
	uint32_t conc;
	uint32_t ops;
	double time_limit;
	uint32_t sess_timeout_ms;
	double link_timeout;
	bool wait_signal;
	bool alternate;
	bool check_route;
	uint64_t wrong_every;
	bool wrong_server;

	uint16_t port;
	struct rte_mempool *pool;
	struct rte_ether_addr mac, peer_mac;
	bool peer_known;
	struct pe_rss *rss;
	uint64_t hz, tsc_per_ms, t0;
	uint32_t now_ms;
	uint32_t nb_port_groups;    /* client port slots per host: ceil(conc / 254) */
	uint32_t gens;              /* client port generations before a tuple is reused */

	struct sess *sess;
	uint32_t *free_slots;
	uint32_t n_free;
	uint32_t *id_map;
	struct srv *srv;            /* [backend * 65536 + engine port] */
	struct txq txq[MAX_QUEUES];
	struct tcb *ackq[BURST * MAX_QUEUES * 4];
	uint32_t n_ackq;

	/* counters */
	uint64_t started, active, ok, failed_sessions;
	uint64_t mismatches, bytes_verified, timeouts, rst_rx, unmatched, route_errors;
	uint64_t bad_ack, bad_csum, out_of_order, dup_rx, stray, tx_backlog_drop, nombuf, stash_overflow;
	uint64_t frames_tx, frames_rx, arp_tx, arp_rx, queue_mismatch;
	uint64_t rxq_frames[MAX_QUEUES], txq_frames[MAX_QUEUES];
} g;

static volatile sig_atomic_t go_signal, stop_signal;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		go_signal = 1;
	else
		stop_signal = 1;
}

/* ---- LDAP messages (BER) ---------------------------------------------------- */

struct ber {
	uint8_t *b;
	uint16_t len;
	uint16_t stack[8];
	uint8_t depth;
};

static void
ber_byte(struct ber *w, uint8_t v)
{
	w->b[w->len++] = v;
}

static void
ber_bytes(struct ber *w, const void *p, uint16_t n)
{
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

/* tag and a one-byte length placeholder; ber_end() fixes the length */
static void
ber_begin(struct ber *w, uint8_t tag)
{
	ber_byte(w, tag);
	w->stack[w->depth++] = w->len;
	ber_byte(w, 0);
}

static void
ber_end(struct ber *w)
{
	uint16_t at = w->stack[--w->depth], n = (uint16_t)(w->len - at - 1);

	if (n < 128) {
		w->b[at] = (uint8_t)n;
		return;
	}
	/* long form: 0x81 n (n < 256) or 0x82 hi lo */
	if (n < 256) {
		memmove(w->b + at + 2, w->b + at + 1, n);
		w->b[at] = 0x81;
		w->b[at + 1] = (uint8_t)n;
		w->len += 1;
	} else {
		memmove(w->b + at + 3, w->b + at + 1, n);
		w->b[at] = 0x82;
		w->b[at + 1] = (uint8_t)(n >> 8);
		w->b[at + 2] = (uint8_t)n;
		w->len += 2;
	}
}

static void
ber_int(struct ber *w, uint8_t tag, uint32_t v)
{
	uint8_t tmp[5];
	int n = 0;

	do {
		tmp[n++] = (uint8_t)v;
		v >>= 8;
	} while (v != 0);
	if (tmp[n - 1] & 0x80)
		tmp[n++] = 0;
	ber_byte(w, tag);
	ber_byte(w, (uint8_t)n);
	while (n > 0)
		ber_byte(w, tmp[--n]);
}

static void
ber_str(struct ber *w, uint8_t tag, const char *s, uint16_t n)
{
	ber_byte(w, tag);
	ber_byte(w, (uint8_t)n);   /* every string here is under 128 bytes */
	ber_bytes(w, s, n);
}

static uint16_t
utoa(char *out, uint64_t v)
{
	char tmp[24];
	uint16_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static uint16_t
cat(char *out, const char *s)
{
	uint16_t n = (uint16_t)strlen(s);

	memcpy(out, s, n);
	return n;
}

static bool
is_admin(uint64_t id)
{
	return g.alternate && (id & 1);
}

/* uid=u<id>,ou=people,dc=example,dc=com (or ou=admins for odd ids with --dn-mode alternate) */
static uint16_t
session_dn(char *out, uint64_t id)
{
	uint16_t n = cat(out, "uid=u");

	n += utoa(out + n, id);
	n += cat(out + n, is_admin(id) ? ",ou=admins,dc=example,dc=com" :
			",ou=people,dc=example,dc=com");
	return n;
}

/* Client request @r of session @id: 0 BindRequest, 1..K SearchRequest, K+1 UnbindRequest. */
static uint16_t
build_request(uint8_t *buf, uint64_t id, uint32_t r)
{
	struct ber w = { .b = buf };
	char dn[80], pw[32];
	uint16_t dn_len = session_dn(dn, id), pw_len;

	ber_begin(&w, 0x30);
	ber_int(&w, 0x02, r + 1);
	if (r == 0) {
		pw_len = cat(pw, "secret-");
		pw_len += utoa(pw + pw_len, id);
		ber_begin(&w, 0x60);
		ber_int(&w, 0x02, 3);
		ber_str(&w, 0x04, dn, dn_len);
		ber_str(&w, 0x80, pw, pw_len);
		ber_end(&w);
	} else if (r <= g.ops) {
		ber_begin(&w, 0x63);
		ber_str(&w, 0x04, dn, dn_len);
		ber_int(&w, 0x0a, 0);           /* scope baseObject */
		ber_int(&w, 0x0a, 0);           /* derefAliases never */
		ber_int(&w, 0x02, 0);           /* sizeLimit */
		ber_int(&w, 0x02, 0);           /* timeLimit */
		ber_byte(&w, 0x01);             /* typesOnly FALSE */
		ber_byte(&w, 0x01);
		ber_byte(&w, 0x00);
		ber_str(&w, 0x87, "objectClass", 11);   /* filter: present */
		ber_begin(&w, 0x30);
		ber_str(&w, 0x04, "cn", 2);
		ber_str(&w, 0x04, "description", 11);
		ber_end(&w);
		ber_end(&w);
	} else {
		ber_byte(&w, 0x42);             /* UnbindRequest: [APPLICATION 2] NULL */
		ber_byte(&w, 0x00);
	}
	ber_end(&w);
	return w.len;
}

static void
ber_result(struct ber *w, uint32_t msgid, uint8_t app)
{
	ber_begin(w, 0x30);
	ber_int(w, 0x02, msgid);
	ber_begin(w, app);
	ber_int(w, 0x0a, 0);    /* success */
	ber_str(w, 0x04, "", 0);
	ber_str(w, 0x04, "", 0);
	ber_end(w);
	ber_end(w);
}

/*
 * Server response @r of session @id: 0 BindResponse; 1..K a SearchResultEntry
 * then a SearchResultDone. *split gets the entry's length (where a two-segment
 * answer splits), or 0.
 */
static uint16_t
build_response(uint8_t *buf, uint64_t id, uint32_t r, uint16_t *split)
{
	struct ber w = { .b = buf };
	char dn[80], v[64];
	uint16_t dn_len = session_dn(dn, id), n;

	*split = 0;
	if (r == 0) {
		ber_result(&w, 1, 0x61);
		return w.len;
	}
	ber_begin(&w, 0x30);
	ber_int(&w, 0x02, r + 1);
	ber_begin(&w, 0x64);
	ber_str(&w, 0x04, dn, dn_len);
	ber_begin(&w, 0x30);
	ber_begin(&w, 0x30);
	ber_str(&w, 0x04, "cn", 2);
	ber_begin(&w, 0x31);
	n = cat(v, "u");
	n += utoa(v + n, id);
	ber_str(&w, 0x04, v, n);
	ber_end(&w);
	ber_end(&w);
	ber_begin(&w, 0x30);
	ber_str(&w, 0x04, "description", 11);
	ber_begin(&w, 0x31);
	n = cat(v, "session ");
	n += utoa(v + n, id);
	n += cat(v + n, " operation ");
	n += utoa(v + n, r);
	n += cat(v + n, " of ");
	n += utoa(v + n, g.ops);
	ber_str(&w, 0x04, v, n);
	ber_end(&w);
	ber_end(&w);
	ber_end(&w);
	ber_end(&w);
	ber_end(&w);
	*split = w.len;
	ber_result(&w, r + 1, 0x65);
	return w.len;
}

static bool
wrong_session(uint64_t id)
{
	return g.wrong_every != 0 && id % g.wrong_every == 0;
}

/* ---- frames ----------------------------------------------------------------- */

static void
txq_put(uint16_t q, struct rte_mbuf *m)
{
	struct txq *t = &g.txq[q];

	if (unlikely(t->n == TXQ_CAP)) {
		rte_pktmbuf_free(m);
		g.tx_backlog_drop++;
		return;
	}
	t->pkts[t->n++] = m;
}

static void
tx_flush(void)
{
	uint16_t q;

	for (q = 0; q < g.nq; q++) {
		struct txq *t = &g.txq[q];
		uint16_t done = 0, n;

		while (done < t->n) {
			n = rte_eth_tx_burst(g.port, q, t->pkts + done,
					(uint16_t)RTE_MIN(t->n - done, BURST));
			done += n;
			if (n < BURST)
				break;
		}
		g.frames_tx += done;
		g.txq_frames[q] += done;
		if (done > 0 && done < t->n)
			memmove(t->pkts, t->pkts + done, (t->n - done) * sizeof(t->pkts[0]));
		t->n -= done;
	}
}

static uint16_t
flow_queue(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	if (g.nq == 1)
		return 0;
	return pe_rss_queue(g.rss, pe_rss_hash_v4(g.rss, saddr, daddr, sport, dport));
}

static uint32_t
tsval(const struct tcb *t)
{
	return g.now_ms + t->ts_off;
}

/*
 * Send one segment of @t: @flags, our SYN options when SYN is set, else
 * the timestamp when negotiated; @len payload bytes from @data. Advances
 * snd_nxt by the payload (and SYN/FIN), and clears the pending ACK.
 */
static void
tcp_send(struct tcb *t, uint8_t flags, const uint8_t *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *opt;
	uint16_t olen = 0, win;

	if (unlikely(m == NULL)) {
		g.nombuf++;
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	th = (struct rte_tcp_hdr *)(ip + 1);
	opt = (uint8_t *)(th + 1);
	if (flags & RTE_TCP_SYN_FLAG) {
		opt[0] = 2; opt[1] = 4; opt[2] = MSS >> 8; opt[3] = MSS & 0xff;
		olen = 4;
		if (t->ts_ok) {
			/* Linux: SACK_PERM and TS share a word when both are on */
			if (t->sack_ok) {
				opt[4] = 4; opt[5] = 2;
			} else {
				opt[4] = 1; opt[5] = 1;
			}
			opt[6] = 8; opt[7] = 10;
			*(rte_be32_t *)(opt + 8) = rte_cpu_to_be_32(tsval(t));
			*(rte_be32_t *)(opt + 12) = rte_cpu_to_be_32(t->ts_recent);
			olen = 16;
		} else if (t->sack_ok) {
			opt[4] = 1; opt[5] = 1; opt[6] = 4; opt[7] = 2;
			olen = 8;
		}
		if (t->ws_ok) {
			opt[olen] = 1; opt[olen + 1] = 3; opt[olen + 2] = 3; opt[olen + 3] = WSCALE;
			olen += 4;
		}
		win = WIN_SYN;
	} else {
		if (t->ts_ok) {
			opt[0] = 1; opt[1] = 1; opt[2] = 8; opt[3] = 10;
			*(rte_be32_t *)(opt + 4) = rte_cpu_to_be_32(tsval(t));
			*(rte_be32_t *)(opt + 8) = rte_cpu_to_be_32(t->ts_recent);
			olen = 12;
		}
		win = t->ws_ok ? (WIN_SYN >> WSCALE) + 1 : WIN_SYN;
	}
	if (len > 0)
		memcpy(opt + olen, data, len);
	rte_ether_addr_copy(&g.peer_mac, &eth->dst_addr);
	rte_ether_addr_copy(&g.mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + olen + len));
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(t->laddr);
	ip->dst_addr = rte_cpu_to_be_32(t->raddr);
	th->src_port = rte_cpu_to_be_16(t->lport);
	th->dst_port = rte_cpu_to_be_16(t->rport);
	th->sent_seq = rte_cpu_to_be_32(t->snd_nxt);
	th->recv_ack = (flags & RTE_TCP_ACK_FLAG) ? rte_cpu_to_be_32(t->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = 0;
	th->tcp_urp = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	m->data_len = m->pkt_len = (uint32_t)(sizeof(*eth) + sizeof(*ip) + sizeof(*th) + olen + len);
	t->snd_nxt += len + ((flags & RTE_TCP_SYN_FLAG) ? 1 : 0) + ((flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	if (flags & RTE_TCP_FIN_FLAG)
		t->fin_sent = 1;
	if (flags & RTE_TCP_ACK_FLAG)
		t->need_ack = 0;
	txq_put(t->queue, m);
}

/* ACK at the end of this rx burst unless data carries it first. */
static void
ack_later(struct tcb *t)
{
	if (t->need_ack)
		return;
	if (g.n_ackq == RTE_DIM(g.ackq)) {
		tcp_send(t, RTE_TCP_ACK_FLAG, NULL, 0);
		return;
	}
	t->need_ack = 1;
	g.ackq[g.n_ackq++] = t;
}

static void
ack_flush(void)
{
	uint32_t i;

	for (i = 0; i < g.n_ackq; i++)
		if (g.ackq[i]->need_ack)
			tcp_send(g.ackq[i], RTE_TCP_ACK_FLAG, NULL, 0);
	g.n_ackq = 0;
}

/*
 * An ARP request "who has @tip, tell @sip", or (@tha not NULL) the reply to
 * @tha's request for @sip; addresses in host order. The frames are the
 * engine's own builders' (net/wire.c).
 */
static void
arp_send(uint16_t op, const struct rte_ether_addr *tha, uint32_t sip, uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);
	uint8_t *frame;
	size_t len;

	if (m == NULL) {
		g.nombuf++;
		return;
	}
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	if (op == RTE_ARP_OP_REQUEST) {
		len = (size_t)pe_wire_arp_request(frame, rte_pktmbuf_tailroom(m), &g.mac,
				rte_cpu_to_be_32(sip), rte_cpu_to_be_32(tip));
	} else {
		/* the request being answered: @tha asked who has @sip */
		const struct pe_arp_info asked = {
			.op = RTE_ARP_OP_REQUEST, .sha = *tha,
			.sip = rte_cpu_to_be_32(tip), .tip = rte_cpu_to_be_32(sip),
		};

		len = pe_wire_arp_reply(frame, &asked, &g.mac);
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	g.arp_tx++;
	txq_put(0, m);
}

static bool
our_addr(uint32_t a)
{
	return a == BE0 || a == BE0 + 1 ||
			((a & 0xffffff00u) == CLIENT_NET && (a & 0xff) >= 1 && (a & 0xff) <= CLIENT_HOSTS);
}

static void
arp_input(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	uint32_t sip, tip;

	if (m->data_len < sizeof(*eth) + sizeof(*a))
		return;
	g.arp_rx++;
	sip = rte_be_to_cpu_32(a->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(a->arp_data.arp_tip);
	if (sip == VIP || sip == SRC) {
		rte_ether_addr_copy(&a->arp_data.arp_sha, &g.peer_mac);
		g.peer_known = true;
	}
	if (rte_be_to_cpu_16(a->arp_opcode) == RTE_ARP_OP_REQUEST && our_addr(tip))
		arp_send(RTE_ARP_OP_REPLY, &a->arp_data.arp_sha, tip, sip);
}

/* ---- TCP input helpers ------------------------------------------------------ */

struct seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t len;
	const uint8_t *data;
	uint8_t has_ts, has_ws, has_sack, has_mss;
	uint32_t ts_val;
	uint16_t q;
};

static void
parse_opts(struct seg *s, const uint8_t *o, unsigned int n)
{
	unsigned int i = 0;

	while (i < n) {
		uint8_t kind = o[i], l;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		l = o[i + 1];
		if (l < 2 || i + l > n)
			break;
		if (kind == 2 && l == 4)
			s->has_mss = 1;
		else if (kind == 3 && l == 3)
			s->has_ws = 1;
		else if (kind == 4 && l == 2)
			s->has_sack = 1;
		else if (kind == 8 && l == 10) {
			s->has_ts = 1;
			s->ts_val = rte_be_to_cpu_32(*(const rte_be32_t *)(o + i + 2));
		}
		i += l;
	}
}

/*
 * Sequence check of an incoming segment on @t: the payload bytes that are
 * new and in order (*off into s->data, return value their count), or -1
 * when the segment is out of order or wholly old (an ACK is due then).
 * Takes the FIN when it is in order.
 */
static int
take_in_order(struct tcb *t, const struct seg *s, uint16_t *off)
{
	uint32_t end = s->seq + s->len;

	if (SEQ_GT(s->seq, t->rcv_nxt)) {
		g.out_of_order++;
		ack_later(t);
		return -1;
	}
	if (SEQ_LT(s->seq, t->rcv_nxt)) {
		if (SEQ_LE(end, t->rcv_nxt) && !((s->flags & RTE_TCP_FIN_FLAG) && end == t->rcv_nxt)) {
			if (s->len > 0 || (s->flags & RTE_TCP_FIN_FLAG)) {
				g.dup_rx++;
				ack_later(t);
			}
			return -1;
		}
		*off = (uint16_t)(t->rcv_nxt - s->seq);
	} else {
		*off = 0;
	}
	if (s->has_ts)
		t->ts_recent = s->ts_val;
	t->rcv_nxt = end;
	if ((s->flags & RTE_TCP_FIN_FLAG) && !t->fin_rcvd) {
		t->fin_rcvd = 1;
		t->rcv_nxt++;
	}
	return (int)(s->len - *off);
}

/* ---- sessions --------------------------------------------------------------- */

static void srv_release(struct srv *v);

static void
sess_free(struct sess *s)
{
	uint32_t slot = (uint32_t)(s - g.sess);

	s->c.need_ack = 0;
	s->cstate = C_FREE;
	if (s->srv >= 0) {
		g.srv[s->srv].sess = -1;
		s->srv = -1;
	}
	g.free_slots[g.n_free++] = slot;
	g.active--;
}

static void
sess_fail(struct sess *s, uint64_t *reason)
{
	if (reason != NULL)
		(*reason)++;
	g.failed_sessions++;
	/* let the engine drop both halves: RST from the client side */
	if (s->cstate != C_SYN_SENT && s->cstate != C_DONE)
		tcp_send(&s->c, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	if (s->srv >= 0)
		srv_release(&g.srv[s->srv]);
	sess_free(s);
}

static void
sess_check_done(struct sess *s)
{
	if (s->cstate == C_DONE && s->server_done) {
		g.ok++;
		sess_free(s);
	}
}

static void
client_send_request(struct sess *s, uint32_t r)
{
	uint8_t buf[MSG_MAX];
	uint16_t n = build_request(buf, s->id, r);

	tcp_send(&s->c, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf, n);
	if (unlikely(n > STASH_MAX)) {
		g.stash_overflow++;
		n = 0;   /* nothing to compare with: the session fails on the first byte */
	}
	memcpy(s->req_stash, buf, n);
	s->req_len = n;
	if (n > 0 && r == 0 && g.wrong_server && wrong_session(s->id))
		s->req_stash[n - 1] ^= 0x01;   /* deliberately wrong: last password byte */
}

static void
sess_start(void)
{
	uint32_t slot = g.free_slots[--g.n_free], a, b, port;
	struct sess *s = &g.sess[slot];
	uint64_t id = g.started++;

	a = slot % CLIENT_HOSTS;
	b = slot / CLIENT_HOSTS;
	port = CLIENT_PORT_BASE + b + g.nb_port_groups * (s->gen % g.gens);
	s->gen++;
	s->id = id;
	s->deadline = rte_rdtsc() + (uint64_t)g.sess_timeout_ms * g.tsc_per_ms;
	s->rsp = 0;
	s->rsp_off = 0;
	s->req_len = 0;
	s->rsp_len = 0;
	s->srv = -1;
	s->server_done = 0;
	s->backend = is_admin(id) ? 1 : 0;
	memset(&s->c, 0, sizeof(s->c));
	s->c.laddr = CLIENT_NET + a + 1;
	s->c.raddr = VIP;
	s->c.lport = (uint16_t)port;
	s->c.rport = LDAP_PORT;
	s->c.queue = flow_queue(s->c.laddr, s->c.raddr, s->c.lport, s->c.rport);
	s->c.ts_ok = 1;
	s->c.ws_ok = 1;
	s->c.sack_ok = 1;
	s->c.ts_off = (uint32_t)(id * 2654435761u);
	s->c.snd_nxt = (uint32_t)(id * 0x9e3779b9u) ^ 0x5a5a1234u;
	s->cstate = C_SYN_SENT;
	g.id_map[id & ((1u << ID_MAP_BITS) - 1)] = slot;
	g.active++;
	tcp_send(&s->c, RTE_TCP_SYN_FLAG, NULL, 0);
}

/* Frames from the engine to a client address. */
static void
client_input(struct seg *sg, uint32_t host)
{
	uint32_t off, slot;
	struct sess *s;
	uint16_t skip;
	bool had_fin;
	int n;

	if (sg->dport < CLIENT_PORT_BASE) {
		g.stray++;
		return;
	}
	off = sg->dport - CLIENT_PORT_BASE;
	slot = (off % g.nb_port_groups) * CLIENT_HOSTS + (host - 1);
	if (slot >= g.conc) {
		g.stray++;
		return;
	}
	s = &g.sess[slot];
	if (s->cstate == C_FREE || s->cstate == C_DONE || s->c.lport != sg->dport ||
			s->c.laddr != sg->daddr || sg->saddr != VIP || sg->sport != LDAP_PORT) {
		g.stray++;
		return;
	}
	if (sg->q != s->c.queue)
		g.queue_mismatch++;
	if (sg->flags & RTE_TCP_RST_FLAG) {
		sess_fail(s, &g.rst_rx);
		return;
	}
	if (s->cstate == C_SYN_SENT) {
		if ((sg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) !=
				(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) || sg->ack != s->c.snd_nxt) {
			sess_fail(s, &g.bad_ack);
			return;
		}
		s->c.ts_ok = sg->has_ts;
		s->c.ws_ok = sg->has_ws;
		s->c.ts_recent = sg->ts_val;
		s->c.rcv_nxt = sg->seq + 1;
		s->cstate = C_ESTAB;
		tcp_send(&s->c, RTE_TCP_ACK_FLAG, NULL, 0);
		client_send_request(s, 0);
		return;
	}
	if (sg->flags & RTE_TCP_SYN_FLAG) {
		g.dup_rx++;    /* a SYN-ACK again: our ACK crossed it */
		ack_later(&s->c);
		return;
	}
	if (sg->flags & RTE_TCP_ACK_FLAG) {
		if (SEQ_GT(sg->ack, s->c.snd_nxt)) {
			sess_fail(s, &g.bad_ack);
			return;
		}
		if (s->c.fin_sent && sg->ack == s->c.snd_nxt)
			s->c.fin_acked = 1;
	}
	had_fin = s->c.fin_rcvd;
	n = take_in_order(&s->c, sg, &skip);
	if (n < 0)
		goto check_done;
	if (n > 0)
		ack_later(&s->c);   /* unless the next request carries it */
	/* verify the response bytes, one message at a time */
	{
		const uint8_t *p = sg->data + skip;
		uint32_t left = (uint32_t)n;

		while (left > 0) {
			uint32_t k;

			if (s->cstate != C_ESTAB || s->rsp > g.ops || s->rsp_off >= s->rsp_len) {
				/* bytes the server side has not sent (yet), or after the last response */
				sess_fail(s, &g.mismatches);
				return;
			}
			k = RTE_MIN(left, (uint32_t)(s->rsp_len - s->rsp_off));
			if (memcmp(p, s->rsp_stash + s->rsp_off, k) != 0) {
				sess_fail(s, &g.mismatches);
				return;
			}
			g.bytes_verified += k;
			s->rsp_off += k;
			p += k;
			left -= k;
			if (s->rsp_off == s->rsp_len) {
				s->rsp++;
				s->rsp_off = 0;
				s->rsp_len = 0;
				if (s->rsp <= g.ops) {
					client_send_request(s, s->rsp);
				} else {
					client_send_request(s, g.ops + 1);   /* unbind */
					tcp_send(&s->c, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
					s->cstate = C_FIN_WAIT;
				}
			}
		}
	}
	if (s->c.fin_rcvd && !had_fin) {
		if (s->cstate != C_FIN_WAIT) {
			sess_fail(s, &g.mismatches);    /* FIN before the last response */
			return;
		}
		ack_later(&s->c);
	}
check_done:
	if (s->cstate == C_FIN_WAIT && s->c.fin_rcvd && s->c.fin_acked) {
		if (s->c.need_ack)
			tcp_send(&s->c, RTE_TCP_ACK_FLAG, NULL, 0);
		s->cstate = C_DONE;
		sess_check_done(s);
	}
}

static void
srv_release(struct srv *v)
{
	v->state = S_FREE;
	v->sess = -1;
	v->t.need_ack = 0;
}

static void
srv_fail(struct srv *v, uint64_t *reason)
{
	if (v->sess >= 0) {
		sess_fail(&g.sess[v->sess], reason);
	} else {
		if (reason != NULL)
			(*reason)++;
		srv_release(v);
	}
}

/* The first bytes of a backend connection: whose session is it (bind DN uid=u<id>)? */
static int32_t
srv_identify(struct srv *v, const uint8_t *p, uint32_t n)
{
	static const char key[] = "uid=u";
	uint32_t i, slot;
	uint64_t id = 0;
	bool digits = false;

	for (i = 0; i + sizeof(key) - 1 <= n; i++)
		if (memcmp(p + i, key, sizeof(key) - 1) == 0)
			break;
	if (i + sizeof(key) - 1 > n)
		return -1;
	for (i += sizeof(key) - 1; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		id = id * 10 + (uint64_t)(p[i] - '0');
		digits = true;
	}
	if (!digits || i >= n)
		return -1;
	slot = g.id_map[id & ((1u << ID_MAP_BITS) - 1)];
	if (slot >= g.conc || g.sess[slot].id != id || g.sess[slot].cstate == C_FREE ||
			g.sess[slot].srv >= 0)
		return -1;
	v->sess_id = id;
	return (int32_t)slot;
}

static void
srv_respond(struct srv *v, struct sess *s, uint32_t r)
{
	uint8_t buf[MSG_MAX];
	uint16_t split, n = build_response(buf, v->sess_id, r, &split);

	if (unlikely(n > STASH_MAX)) {
		g.stash_overflow++;
		s->rsp_len = 0;
	} else {
		memcpy(s->rsp_stash, buf, n);
		s->rsp_len = n;
		if (r == 1 && !g.wrong_server && wrong_session(s->id))
			s->rsp_stash[split - 1] ^= 0x01;    /* deliberately wrong: last byte of the entry */
	}

	if (split != 0 && (r & 1) == 0) {
		/* even searches: entry and done in two segments */
		tcp_send(&v->t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf, split);
		tcp_send(&v->t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf + split,
				(uint16_t)(n - split));
	} else {
		tcp_send(&v->t, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, buf, n);
	}
}

/* Frames from the engine's source address to a backend. */
static void
server_input(struct seg *sg, uint32_t be)
{
	struct srv *v = &g.srv[be * 65536u + sg->sport];
	struct sess *s;
	uint16_t skip;
	int n;

	if (sg->saddr != SRC || sg->dport != LDAP_PORT) {
		g.stray++;
		return;
	}
	if ((sg->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		if (v->state == S_SYN_RCVD && sg->seq == v->irs) {
			/* the engine retransmitted its SYN: the same SYN-ACK again */
			v->t.snd_nxt--;
			tcp_send(&v->t, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
			return;
		}
		if (v->state != S_FREE)
			srv_fail(v, &g.unmatched);   /* port reused while we still had it open */
		memset(v, 0, sizeof(*v));
		v->sess = -1;
		v->irs = sg->seq;
		v->t.laddr = be == 0 ? BE0 : BE0 + 1;
		v->t.raddr = SRC;
		v->t.lport = LDAP_PORT;
		v->t.rport = sg->sport;
		v->t.queue = flow_queue(v->t.laddr, v->t.raddr, v->t.lport, v->t.rport);
		v->t.ts_ok = sg->has_ts;
		v->t.ws_ok = sg->has_ws;
		v->t.sack_ok = sg->has_sack;
		v->t.ts_recent = sg->ts_val;
		v->t.ts_off = sg->seq * 7u;
		v->t.rcv_nxt = sg->seq + 1;
		v->t.snd_nxt = (uint32_t)(rte_rdtsc() >> 3) ^ ((uint32_t)sg->sport << 16);
		v->state = S_SYN_RCVD;
		if (sg->q != v->t.queue)
			g.queue_mismatch++;
		tcp_send(&v->t, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
		return;
	}
	if (v->state == S_FREE) {
		if (!(sg->flags & RTE_TCP_RST_FLAG))
			g.stray++;
		return;
	}
	if (sg->q != v->t.queue)
		g.queue_mismatch++;
	s = v->sess >= 0 ? &g.sess[v->sess] : NULL;
	if (sg->flags & RTE_TCP_RST_FLAG) {
		srv_fail(v, &g.rst_rx);
		return;
	}
	if (sg->flags & RTE_TCP_ACK_FLAG) {
		if (SEQ_GT(sg->ack, v->t.snd_nxt)) {
			srv_fail(v, &g.bad_ack);
			return;
		}
		if (v->state == S_SYN_RCVD && sg->ack == v->t.snd_nxt)
			v->state = S_ESTAB;
		if (v->t.fin_sent && sg->ack == v->t.snd_nxt)
			v->t.fin_acked = 1;
	}
	if (v->state == S_SYN_RCVD) {
		g.stray++;      /* data or FIN before the handshake completed */
		return;
	}
	n = take_in_order(&v->t, sg, &skip);
	if (n > 0) {
		const uint8_t *p = sg->data + skip;
		uint32_t left = (uint32_t)n;

		ack_later(&v->t);   /* unless the response carries it */
		if (s == NULL) {
			int32_t slot = v->req == 0 && v->req_off == 0 ? srv_identify(v, p, left) : -1;

			if (slot < 0) {
				srv_fail(v, &g.unmatched);
				return;
			}
			s = &g.sess[slot];
			v->sess = slot;
			s->srv = (int32_t)(v - g.srv);
			if (g.check_route && s->backend != be) {
				sess_fail(s, &g.route_errors);
				return;
			}
		}
		while (left > 0) {
			uint32_t k;

			if (v->got_unbind || v->req_off >= s->req_len) {
				/* bytes after the unbind, or more than the client has sent */
				sess_fail(s, &g.mismatches);
				return;
			}
			k = RTE_MIN(left, (uint32_t)(s->req_len - v->req_off));
			if (memcmp(p, s->req_stash + v->req_off, k) != 0) {
				sess_fail(s, &g.mismatches);
				return;
			}
			g.bytes_verified += k;
			v->req_off += k;
			p += k;
			left -= k;
			if (v->req_off == s->req_len) {
				if (v->req <= g.ops)
					srv_respond(v, s, v->req);
				else
					v->got_unbind = 1;
				v->req++;
				v->req_off = 0;
			}
		}
	}
	if (n >= 0 && v->t.fin_rcvd && !v->t.fin_sent) {
		if (s == NULL || !v->got_unbind) {
			srv_fail(v, &g.mismatches);    /* FIN before the unbind */
			return;
		}
		/* slapd closes after the unbind and the client's FIN */
		tcp_send(&v->t, RTE_TCP_ACK_FLAG | RTE_TCP_FIN_FLAG, NULL, 0);
		v->state = S_LAST_ACK;
	}
	if (v->state == S_LAST_ACK && v->t.fin_acked) {
		srv_release(v);
		if (s != NULL) {
			s->server_done = 1;
			s->srv = -1;
			sess_check_done(s);
		}
	}
}

static void
ipv4_input(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *th;
	struct seg sg;
	uint16_t ihl, tot, thl;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*th) || m->nb_segs != 1) {
		g.stray++;
		return;
	}
	ihl = (uint16_t)((ip->version_ihl & 0x0f) * 4);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (ip->next_proto_id != IPPROTO_TCP || ihl < 20 || tot < ihl + sizeof(*th) ||
			sizeof(*eth) + tot > m->data_len) {
		g.stray++;
		return;
	}
	th = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl);
	thl = (uint16_t)((th->data_off >> 4) * 4);
	if (thl < sizeof(*th) || ihl + thl > tot) {
		g.stray++;
		return;
	}
	if (rte_ipv4_cksum(ip) != 0xffff && rte_ipv4_cksum(ip) != 0) {
		g.bad_csum++;
		return;
	}
	if (rte_ipv4_udptcp_cksum_verify(ip, th) != 0) {
		g.bad_csum++;
		return;
	}
	memset(&sg, 0, sizeof(sg));
	sg.saddr = rte_be_to_cpu_32(ip->src_addr);
	sg.daddr = rte_be_to_cpu_32(ip->dst_addr);
	sg.sport = rte_be_to_cpu_16(th->src_port);
	sg.dport = rte_be_to_cpu_16(th->dst_port);
	sg.seq = rte_be_to_cpu_32(th->sent_seq);
	sg.ack = rte_be_to_cpu_32(th->recv_ack);
	sg.flags = th->tcp_flags;
	sg.data = (const uint8_t *)th + thl;
	sg.len = (uint16_t)(tot - ihl - thl);
	sg.q = q;
	parse_opts(&sg, (const uint8_t *)(th + 1), thl - sizeof(*th));
	if (!g.peer_known && (sg.saddr == VIP || sg.saddr == SRC)) {
		rte_ether_addr_copy(&eth->src_addr, &g.peer_mac);
		g.peer_known = true;
	}
	if ((sg.daddr & 0xffffff00u) == CLIENT_NET && (sg.daddr & 0xff) >= 1 &&
			(sg.daddr & 0xff) <= CLIENT_HOSTS)
		client_input(&sg, sg.daddr & 0xff);
	else if (sg.daddr == BE0 || sg.daddr == BE0 + 1)
		server_input(&sg, sg.daddr - BE0);
	else
		g.stray++;
}

static void
frame_input(struct rte_mbuf *m, uint16_t q)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	g.frames_rx++;
	g.rxq_frames[q]++;
	if (m->data_len < sizeof(*eth)) {
		g.stray++;
		return;
	}
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		ipv4_input(m, q);
	else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		arp_input(m);
	else
		g.stray++;
}

static void
check_timeouts(uint64_t now)
{
	uint32_t i;

	for (i = 0; i < g.conc; i++) {
		struct sess *s = &g.sess[i];

		if (s->cstate != C_FREE && (int64_t)(now - s->deadline) > 0)
			sess_fail(s, &g.timeouts);
	}
}

/* ---- setup, main loop, report ----------------------------------------------- */

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- [--queues N] [--sessions N] [--concurrency C] [--ops K]\n"
		"       [--time-limit S] [--session-timeout-ms MS] [--link-timeout S] [--wait-signal]\n"
		"       [--dn-mode people|alternate] [--check-route] [--wrong-every N]\n"
		"       [--wrong-side client|server]\n", prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queues", required_argument, NULL, 'q' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "ops", required_argument, NULL, 'k' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "session-timeout-ms", required_argument, NULL, 'T' },
		{ "link-timeout", required_argument, NULL, 'L' },
		{ "wait-signal", no_argument, NULL, 'w' },
		{ "dn-mode", required_argument, NULL, 'd' },
		{ "check-route", no_argument, NULL, 'r' },
		{ "wrong-every", required_argument, NULL, 'W' },
		{ "wrong-side", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	g.nq = 1;
	g.sessions = 1000;
	g.conc = 16;
	g.ops = 1;
	g.time_limit = 60;
	g.sess_timeout_ms = 5000;
	g.link_timeout = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		unsigned long long v = 0;

		if (optarg != NULL && c != 'd' && c != 'S' && c != 't' && c != 'L') {
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg) {
				fprintf(stderr, "pe_loadgen: bad number '%s'\n", optarg);
				return -1;
			}
		}
		switch (c) {
		case 'q':
			if (v < 1 || v > MAX_QUEUES)
				goto range;
			g.nq = (uint16_t)v;
			break;
		case 'n':
			if (v < 1)
				goto range;
			g.sessions = v;
			break;
		case 'c':
			if (v < 1 || v > 65536)
				goto range;
			g.conc = (uint32_t)v;
			break;
		case 'k':
			if (v < 1 || v > 100000)
				goto range;
			g.ops = (uint32_t)v;
			break;
		case 't':
		case 'L':
			{
				double d = strtod(optarg, &end);

				if (*end != '\0' || end == optarg || d <= 0)
					goto range;
				if (c == 't')
					g.time_limit = d;
				else
					g.link_timeout = d;
			}
			break;
		case 'T':
			if (v < 1)
				goto range;
			g.sess_timeout_ms = (uint32_t)v;
			break;
		case 'w':
			g.wait_signal = true;
			break;
		case 'd':
			if (strcmp(optarg, "people") == 0)
				g.alternate = false;
			else if (strcmp(optarg, "alternate") == 0)
				g.alternate = true;
			else
				goto range;
			break;
		case 'r':
			g.check_route = true;
			break;
		case 'W':
			g.wrong_every = v;
			break;
		case 'S':
			if (strcmp(optarg, "client") == 0)
				g.wrong_server = false;
			else if (strcmp(optarg, "server") == 0)
				g.wrong_server = true;
			else
				goto range;
			break;
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		return -1;
	}
	return 0;
range:
	fprintf(stderr, "pe_loadgen: option value '%s' out of range\n", optarg ? optarg : "");
	return -1;
}

static int
setup(void)
{
	struct rte_eth_conf conf;
	uint16_t q;
	uint32_t i;
	int rc;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "pe_loadgen: need exactly one port (a net_memif vdev), have %u\n",
				rte_eth_dev_count_avail());
		return -1;
	}
	RTE_ETH_FOREACH_DEV(q)
		g.port = q;
	g.pool = rte_pktmbuf_pool_create("lg_mbuf", NB_MBUF, MBUF_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (g.pool == NULL) {
		fprintf(stderr, "pe_loadgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(g.port, g.nq, g.nq, &conf);
	if (rc < 0) {
		fprintf(stderr, "pe_loadgen: configure %u queues: %s\n", g.nq, strerror(-rc));
		return -1;
	}
	for (q = 0; q < g.nq; q++) {
		rc = rte_eth_rx_queue_setup(g.port, q, 1024, rte_eth_dev_socket_id(g.port), NULL,
				g.pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(g.port, q, 1024, rte_eth_dev_socket_id(g.port), NULL);
		if (rc < 0) {
			fprintf(stderr, "pe_loadgen: queue %u: %s\n", q, strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(g.port);
	if (rc < 0) {
		fprintf(stderr, "pe_loadgen: start: %s\n", strerror(-rc));
		return -1;
	}
	rte_eth_macaddr_get(g.port, &g.mac);
	g.rss = calloc(1, sizeof(*g.rss));
	if (g.rss == NULL ||
			pe_rss_init(g.rss, pe_rss_default_key, NULL, PE_RSS_PEER_RETA_SIZE, g.nq) < 0) {
		fprintf(stderr, "pe_loadgen: RSS emulation setup failed\n");
		return -1;
	}
	g.sess = calloc(g.conc, sizeof(*g.sess));
	g.free_slots = calloc(g.conc, sizeof(*g.free_slots));
	g.id_map = calloc(1u << ID_MAP_BITS, sizeof(*g.id_map));
	g.srv = calloc(2 * 65536u, sizeof(*g.srv));
	if (g.sess == NULL || g.free_slots == NULL || g.id_map == NULL || g.srv == NULL) {
		fprintf(stderr, "pe_loadgen: out of memory\n");
		return -1;
	}
	for (i = 0; i < g.conc; i++) {
		g.sess[i].srv = -1;
		g.free_slots[g.conc - 1 - i] = i;
	}
	g.n_free = g.conc;
	for (i = 0; i < 2 * 65536u; i++)
		g.srv[i].sess = -1;
	g.nb_port_groups = (g.conc + CLIENT_HOSTS - 1) / CLIENT_HOSTS;
	g.gens = CLIENT_PORT_SPAN / g.nb_port_groups;
	g.hz = rte_get_tsc_hz();
	g.tsc_per_ms = g.hz / 1000;
	return 0;
}

static void
report(double elapsed, bool link_up)
{
	uint64_t failed = g.sessions - g.ok;
	uint16_t q;

	printf("{\"sessions\": %" PRIu64 ", \"ok\": %" PRIu64 ", \"failed\": %" PRIu64
			", \"started\": %" PRIu64 ", \"unfinished\": %" PRIu64
			", \"mismatches\": %" PRIu64 ", \"bytes_verified\": %" PRIu64
			", \"elapsed_s\": %.6f, \"sessions_per_s\": %.1f"
			", \"frames_tx\": %" PRIu64 ", \"frames_rx\": %" PRIu64
			", \"timeouts\": %" PRIu64 ", \"rst_rx\": %" PRIu64 ", \"unmatched\": %" PRIu64
			", \"route_errors\": %" PRIu64 ", \"bad_ack\": %" PRIu64 ", \"bad_csum\": %" PRIu64
			", \"out_of_order\": %" PRIu64 ", \"dup_rx\": %" PRIu64 ", \"stray\": %" PRIu64
			", \"queue_mismatch\": %" PRIu64 ", \"tx_backlog_drop\": %" PRIu64
			", \"nombuf\": %" PRIu64 ", \"stash_overflow\": %" PRIu64 ", \"arp_tx\": %" PRIu64 ", \"arp_rx\": %" PRIu64
			", \"queues\": %u, \"ops\": %u, \"concurrency\": %u, \"link_up\": %s"
			", \"tsc_hz\": %" PRIu64,
			g.sessions, g.ok, failed, g.started, g.started - g.ok - g.failed_sessions,
			g.mismatches, g.bytes_verified, elapsed,
			elapsed > 0 ? (double)g.ok / elapsed : 0.0, g.frames_tx, g.frames_rx,
			g.timeouts, g.rst_rx, g.unmatched, g.route_errors, g.bad_ack, g.bad_csum,
			g.out_of_order, g.dup_rx, g.stray, g.queue_mismatch, g.tx_backlog_drop, g.nombuf,
			g.stash_overflow,
			g.arp_tx, g.arp_rx, g.nq, g.ops, g.conc, link_up ? "true" : "false", g.hz);
	printf(", \"rx_per_queue\": [");
	for (q = 0; q < g.nq; q++)
		printf("%s%" PRIu64, q ? ", " : "", g.rxq_frames[q]);
	printf("], \"tx_per_queue\": [");
	for (q = 0; q < g.nq; q++)
		printf("%s%" PRIu64, q ? ", " : "", g.txq_frames[q]);
	printf("]}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t now, start = 0, last_slow = 0, last_arp = 0, last_scan = 0, t_setup, end_tsc = 0;
	bool link_up = false, running = false, finished = false;
	double elapsed = 0;
	int n, rc = 2;
	uint16_t q, i;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "pe_loadgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n) < 0)
		goto out_eal;
	signal(SIGUSR1, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (setup() < 0)
		goto out_eal;
	t_setup = rte_rdtsc();
	g.t0 = t_setup;
	fprintf(stderr, "pe_loadgen: port %u, %u queue(s), waiting for the memif peer\n", g.port,
			g.nq);

	while (!finished) {
		now = rte_rdtsc();
		g.now_ms = (uint32_t)((now - g.t0) / g.tsc_per_ms);
		/* drain first (a few bursts per queue): the engine drops what its ring cannot hold */
		for (q = 0; q < g.nq; q++) {
			unsigned int round = 0;
			uint16_t k;

			do {
				k = rte_eth_rx_burst(g.port, q, pkts, BURST);
				for (i = 0; i < k; i++) {
					if (i + 1 < k)
						rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
					frame_input(pkts[i], q);
				}
				if (k > 0)
					rte_pktmbuf_free_bulk(pkts, k);
				ack_flush();
			} while (k == BURST && ++round < RX_ROUNDS);
		}
		if (running) {
			unsigned int burst = 0;

			while (g.n_free > 0 && g.started < g.sessions && burst < BURST) {
				sess_start();
				burst++;
			}
			if (g.started == g.sessions && g.active == 0) {
				end_tsc = now;
				finished = true;
			} else if ((double)(now - start) / (double)g.hz >= g.time_limit) {
				fprintf(stderr, "pe_loadgen: time limit: %" PRIu64 " sessions active, %" PRIu64
						" not started\n", g.active, g.sessions - g.started);
				end_tsc = now;
				finished = true;
			}
		}
		tx_flush();
		if (stop_signal) {
			fprintf(stderr, "pe_loadgen: stopped by a signal\n");
			end_tsc = now;
			break;
		}
		if (now - last_scan > 10 * g.tsc_per_ms) {
			last_scan = now;
			if (running)
				check_timeouts(now);
		}
		if (!running && now - last_slow > g.tsc_per_ms) {
			struct rte_eth_link link;

			last_slow = now;
			if (!link_up && rte_eth_link_get_nowait(g.port, &link) == 0 &&
					link.link_status == RTE_ETH_LINK_UP) {
				link_up = true;
				fprintf(stderr, "pe_loadgen: link up\n");
			}
			if (link_up && !g.peer_known && now - last_arp > 100 * g.tsc_per_ms) {
				last_arp = now;
				arp_send(RTE_ARP_OP_REQUEST, NULL, CLIENT_NET + 1, VIP);
			}
			if (link_up && g.peer_known && (!g.wait_signal || go_signal)) {
				running = true;
				start = now;
				fprintf(stderr, "pe_loadgen: engine MAC " RTE_ETHER_ADDR_PRT_FMT
						", starting %" PRIu64 " sessions, concurrency %u, %u op(s)\n",
						RTE_ETHER_ADDR_BYTES(&g.peer_mac), g.sessions, g.conc, g.ops);
			}
			if ((double)(now - t_setup) / (double)g.hz > g.link_timeout) {
				fprintf(stderr, "pe_loadgen: not started within %.0f s (link %s, engine "
						"MAC %s, start signal %s)\n", g.link_timeout,
						link_up ? "up" : "down", g.peer_known ? "known" : "unknown",
						go_signal ? "received" : "not received");
				break;
			}
		}
	}
	if (running)
		elapsed = (double)(end_tsc - start) / (double)g.hz;
	/* unfinished sessions count as failed */
	report(elapsed, link_up);
	rc = (g.ok == g.sessions) ? 0 : 1;
	if (!link_up || !running)
		rc = 2;
	rte_eth_dev_stop(g.port);
	rte_eth_dev_close(g.port);
out_eal:
	rte_eal_cleanup();
	return rc;
}
