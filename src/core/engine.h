/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_ENGINE_H
#define PE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_lcore.h>

#include "core/config_types.h"
#include "tcp/tcp_cookie.h"

struct pe_worker;
struct pe_rss;
struct rte_ring;
struct pe_lb_ops;
struct pe_inspector;
struct rte_mempool;

/* Process-wide state, written during startup only; read-only for workers. */
struct pe_engine {
	struct pe_config cfg;
	struct rte_ether_addr mac;   /* the port's MAC: ARP answers and source of every frame */
	uint16_t port_id;
	struct rte_mempool *pool;
	uint64_t hz;                 /* timer cycles per second */
	uint64_t wall_offset_s;      /* wall-clock seconds minus timer seconds, at startup */
	struct pe_cookie_secret cookie_secret;
	const struct pe_lb_ops *lb;  /* selection policy */
	const struct pe_inspector *inspector; /* inspect.protocol; NULL: none */
	bool busy_poll;              /* never sleep when idle (benchmarks) */
	/*
	 * --deterministic: the worker's clock is the received frames' own
	 * timestamps (the PMD stamps them: net_pcap from the capture), time
	 * jumps to the next timer once input ends, and the engine stops when
	 * nothing is left to do. Nothing is drawn at random (the cookie secret
	 * comes from the config), so the same input gives the same output.
	 */
	bool deterministic;
	int rx_ts_off;               /* mbuf dynfield of the rx timestamp (microseconds) */
	void *record;                /* --record: libpcap dumper of what is sent (io/record.h) */
	uint64_t rx_ts_flag;
	unsigned int n_workers;
	struct pe_worker *workers[RTE_MAX_LCORE];   /* by lcore */
	/*
	 * Several workers (engine.workers > 1): what RSS does on the port, for
	 * the source port choice, and each worker's ring of frames another
	 * worker received for it (ARP news, ICMP about its connections); by queue.
	 */
	const struct pe_rss *rss;
	unsigned int pool_margin;    /* mbufs other workers' pool caches may hold (pe_pool_reserve) */
	struct rte_ring *xq[PE_MAX_WORKERS];
	volatile int quit;           /* set by SIGINT/SIGTERM */
};

extern struct pe_engine pe_eng;

/* Milliseconds to timer cycles, without overflow for any configurable duration. */
static inline uint64_t
pe_ms_to_tsc(uint64_t ms)
{
	return ms / 1000 * pe_eng.hz + ms % 1000 * pe_eng.hz / 1000;
}

#endif /* PE_ENGINE_H */
