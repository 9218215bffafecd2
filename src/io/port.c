/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "core/engine.h"
#include "core/log.h"
#include "io/port.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_port, port, INFO);

/* What RSS hashes on when the engine runs several queues: IPv4 addresses and TCP ports. */
#define PE_RSS_HF (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP)

int
pe_port_start(uint16_t port_id, uint16_t nb_queues, struct rte_mempool *pool,
		struct rte_ether_addr *mac, struct pe_port_setup *setup)
{
	const uint64_t want_rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = PE_RX_DESC, nb_txd = PE_TX_DESC, q;
	int socket = rte_eth_dev_socket_id(port_id), rc;

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc < 0) {
		PE_LOG(ERR, port, "port %u: cannot get device info: %s", port_id, strerror(-rc));
		return rc;
	}
	if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
		PE_LOG(ERR, port, "port %u (%s): %u queues wanted, device has %u rx / %u tx",
				port_id, info.driver_name, nb_queues, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = info.rx_offload_capa & want_rx;
	/* the clock is the frames' timestamps: asked for where the PMD offers it */
	if (pe_eng.deterministic)
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if (nb_queues > 1) {
		/* several workers: the NIC must spread flows, or all land on queue 0 */
		if ((info.flow_type_rss_offloads & PE_RSS_HF) == 0) {
			PE_LOG(ERR, port, "port %u (%s): %u queues need RSS on IPv4/TCP, the device "
					"has none (flow_type_rss_offloads 0x%" PRIx64 ")", port_id,
					info.driver_name, nb_queues, info.flow_type_rss_offloads);
			return -ENOTSUP;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = NULL;   /* the PMD's default key */
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & PE_RSS_HF;
	}

	rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &conf);
	if (rc < 0) {
		PE_LOG(ERR, port, "port %u (%s): configure: %s", port_id, info.driver_name, strerror(-rc));
		goto fail_close;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc < 0)
		goto fail_close;
	for (q = 0; q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket, NULL, pool);
		if (rc < 0) {
			PE_LOG(ERR, port, "port %u: rx queue %u: %s", port_id, q, strerror(-rc));
			goto fail_close;
		}
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket, NULL);
		if (rc < 0) {
			PE_LOG(ERR, port, "port %u: tx queue %u: %s", port_id, q, strerror(-rc));
			goto fail_close;
		}
	}
	rc = rte_eth_dev_start(port_id);
	if (rc < 0) {
		PE_LOG(ERR, port, "port %u: start: %s", port_id, strerror(-rc));
		goto fail_close;
	}
	rc = rte_eth_macaddr_get(port_id, mac);
	if (rc < 0)
		goto fail_stop;
	PE_LOG(INFO, port, "port %u (%s) up: %u queue(s), %u rx / %u tx descriptors, "
			"MAC " RTE_ETHER_ADDR_PRT_FMT ", rx checksum offload %s, RSS %s",
			port_id, info.driver_name, nb_queues, nb_rxd, nb_txd, RTE_ETHER_ADDR_BYTES(mac),
			(conf.rxmode.offloads & want_rx) == want_rx ? "on" : "off",
			conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "on" : "off (one queue)");
	if (setup != NULL) {
		memset(setup, 0, sizeof(*setup));
		snprintf(setup->driver, sizeof(setup->driver), "%s", info.driver_name);
		setup->nb_queues = nb_queues;
		setup->nb_rxd = nb_rxd;
		setup->nb_txd = nb_txd;
		setup->rx_csum = (conf.rxmode.offloads & want_rx) == want_rx;
		setup->rss = conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS;
		setup->rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	}
	return 0;

fail_stop:
	rte_eth_dev_stop(port_id);
fail_close:
	rte_eth_dev_close(port_id);
	return rc;
}

void
pe_port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
