/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PORT_H
#define PE_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mempool;
struct rte_ether_addr;

#define PE_RX_DESC 1024
#define PE_TX_DESC 1024

/* How pe_port_start() set the port up (for logs and `--check`). */
struct pe_port_setup {
	char driver[32];         /* PMD name, e.g. net_tap */
	uint16_t nb_queues;      /* rx/tx queue pairs */
	uint16_t nb_rxd, nb_txd; /* descriptors per queue, after the PMD's adjustment */
	bool rx_csum;            /* IPv4 and TCP rx checksum offload both on */
	bool rss;                /* RSS over the rx queues (only with nb_queues > 1) */
	uint64_t rss_hf;         /* RTE_ETH_RSS_* hashed on, when rss */
};

/*
 * Configure and start the engine's port (whatever PMD the profile gave):
 * @nb_queues rx/tx queue pairs, rx checksum offload where the PMD has it.
 * With more than one queue, RSS spreads received flows over the queues
 * (IPv4 and TCP 4-tuple hash, the PMD's default key); a device without RSS
 * cannot run more than one queue (-ENOTSUP). With one queue RSS is left off:
 * every frame goes to queue 0 whatever the hash.
 * Fills @mac and, when not NULL, @setup. 0 or -errno, with the reason logged;
 * on failure the port is not started.
 */
int pe_port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *pool,
		struct rte_ether_addr *mac, struct pe_port_setup *setup);
void pe_port_stop(uint16_t port_id);

#endif /* PE_PORT_H */
