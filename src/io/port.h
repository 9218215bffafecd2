/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_PORT_H
#define PE_PORT_H

#include <stdint.h>

struct rte_mempool;
struct rte_ether_addr;

#define PE_RX_DESC 1024
#define PE_TX_DESC 1024

/*
 * Configure and start the engine's port (whatever PMD the profile gave):
 * @nb_queues rx/tx queue pairs, rx checksum offload where the PMD has it.
 * Fills @mac. 0 or -errno, with the reason logged.
 */
int pe_port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *pool,
		struct rte_ether_addr *mac);
void pe_port_stop(uint16_t port_id);

#endif /* PE_PORT_H */
