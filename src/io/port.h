/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PORT_H
#define PE_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mempool;
struct rte_ether_addr;
struct pe_rss;

#define PE_RX_DESC 1024
#define PE_TX_DESC 1024

/* How pe_port_start() set the port up (for logs and `--check`). */
struct pe_port_setup {
	char driver[32];         /* PMD name, e.g. net_tap */
	uint16_t nb_queues;      /* rx/tx queue pairs */
	uint16_t nb_rxd, nb_txd; /* descriptors per queue, after the PMD's adjustment */
	bool rx_csum;            /* IPv4 and TCP rx checksum offload both on */
	bool rss;                /* RSS over the rx queues (only with nb_queues > 1) */
	bool peer_rss;           /* ... done by the port's peer, not the device */
	uint64_t rss_hf;         /* RTE_ETH_RSS_* hashed on, when rss */
	uint16_t reta_size;      /* RETA entries, when rss */
};

/*
 * Configure and start the engine's port (whatever PMD the profile gave):
 * @nb_queues rx/tx queue pairs, rx checksum offload where the PMD has it.
 *
 * With more than one queue, RSS spreads received flows over the queues on
 * the IPv4/TCP 4-tuple with pe_rss_default_key, and the RETA is set to
 * entry i -> queue i % @nb_queues (where the device refuses, its own RETA is
 * read back and used). @rss (not NULL then) is filled with what the device
 * does, for the workers' source port choice (net/rss.h). A device without
 * RSS cannot run more than one queue (-ENOTSUP), unless @peer_rss: then its
 * peer spreads frames with that key over a 128-entry RETA (net_memif and
 * the load generator). With one queue RSS is left off and @rss unused.
 *
 * Fills @mac and, when not NULL, @setup. 0 or -errno, with the reason logged;
 * on failure the port is not started.
 */
int pe_port_start(uint16_t port_id, uint16_t nb_queues, bool peer_rss, struct rte_mempool *pool,
		struct rte_ether_addr *mac, struct pe_rss *rss, struct pe_port_setup *setup);
void pe_port_stop(uint16_t port_id);

#endif /* PE_PORT_H */
