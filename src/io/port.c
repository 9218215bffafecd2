/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "core/engine.h"
#include "core/log.h"
#include "io/port.h"
#include "net/rss.h"

RTE_LOG_REGISTER_SUFFIX(pe_logtype_port, port, INFO);

/* What RSS hashes on when the engine runs several queues: IPv4 addresses and TCP ports. */
#define PE_RSS_HF (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP)
#define PE_RSS_KEY_MAX 64       /* longest device key we pad ours to */

/*
 * The key and hash types the device uses, read back: a PMD that kept its own
 * key would send backend replies to other workers than the engine computes.
 */
static int
rss_check_key(uint16_t port_id, const struct rte_eth_dev_info *info)
{
	uint8_t key[PE_RSS_KEY_MAX] = { 0 };
	struct rte_eth_rss_conf rc = { .rss_key = key, .rss_key_len = sizeof(key) };
	int ret = rte_eth_dev_rss_hash_conf_get(port_id, &rc);

	if (ret == -ENOTSUP) {
		PE_LOG(WARNING, port, "port %u (%s): RSS key cannot be read back; assuming it is "
				"the one the engine set", port_id, info->driver_name);
		return 0;
	}
	if (ret < 0) {
		PE_LOG(ERR, port, "port %u (%s): RSS configuration unreadable: %s", port_id,
				info->driver_name, strerror(-ret));
		return ret;
	}
	/* an IPv4/TCP hash reads the first 16 bytes (12 of input, 4 of window) */
	if (memcmp(key, pe_rss_default_key, 16) != 0 ||
			(rc.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0) {
		PE_LOG(ERR, port, "port %u (%s): RSS does not use the engine's key and IPv4/TCP hash "
				"(rss_hf 0x%" PRIx64 "): backend replies would reach other workers", port_id,
				info->driver_name, rc.rss_hf);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * The device's RETA set to entry i -> queue i % nb_queues, or, where it
 * refuses, read back as it is; either way @rss learns what the device does.
 */
static int
rss_setup_reta(uint16_t port_id, const struct rte_eth_dev_info *info, uint16_t nb_queues,
		struct pe_rss *rss)
{
	struct rte_eth_rss_reta_entry64 conf[PE_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t reta[PE_RSS_RETA_MAX], size = info->reta_size, i;
	int rc;

	if (size == 0 || size > PE_RSS_RETA_MAX || (size & (size - 1u)) != 0) {
		PE_LOG(ERR, port, "port %u (%s): RETA of %u entries: the engine needs a power of "
				"two up to %u", port_id, info->driver_name, size, PE_RSS_RETA_MAX);
		return -ENOTSUP;
	}
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % nb_queues;
	}
	rc = rte_eth_dev_rss_reta_update(port_id, conf, size);
	if (rc < 0) {
		PE_LOG(WARNING, port, "port %u (%s): RETA not settable (%s); using the device's own",
				port_id, info->driver_name, strerror(-rc));
		rc = rte_eth_dev_rss_reta_query(port_id, conf, size);
		if (rc < 0) {
			PE_LOG(ERR, port, "port %u (%s): RETA neither settable nor readable: %s: "
					"backend replies could land on the wrong worker", port_id,
					info->driver_name, strerror(-rc));
			return rc;
		}
	}
	for (i = 0; i < size; i++)
		reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	rc = pe_rss_init(rss, pe_rss_default_key, reta, size, nb_queues);
	if (rc < 0)
		PE_LOG(ERR, port, "port %u (%s): the device's RETA names a queue beyond %u",
				port_id, info->driver_name, nb_queues);
	return rc;
}

int
pe_port_start(uint16_t port_id, uint16_t nb_queues, bool peer_rss, struct rte_mempool *pool,
		struct rte_ether_addr *mac, struct pe_rss *rss, struct pe_port_setup *setup)
{
	uint8_t key[PE_RSS_KEY_MAX] = { 0 };
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
	if (nb_queues > 1 && !peer_rss) {
		/* several workers: the NIC must spread flows, or all land on queue 0 */
		/* addresses alone would put all of a backend's replies on one queue */
		if ((info.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP) == 0) {
			PE_LOG(ERR, port, "port %u (%s): %u queues need RSS on IPv4/TCP, the device "
					"has none (flow_type_rss_offloads 0x%" PRIx64 ")", port_id,
					info.driver_name, nb_queues, info.flow_type_rss_offloads);
			return -ENOTSUP;
		}
		/*
		 * Our key, zero-padded to the device's length: an IPv4/TCP hash
		 * reads only the key's first 16 bytes, so the padding changes nothing.
		 */
		if (info.hash_key_size > PE_RSS_KEY_MAX ||
				(info.hash_key_size != 0 && info.hash_key_size < PE_RSS_KEY_LEN)) {
			PE_LOG(ERR, port, "port %u (%s): RSS key of %u bytes not supported (%u..%u)",
					port_id, info.driver_name, info.hash_key_size, PE_RSS_KEY_LEN,
					PE_RSS_KEY_MAX);
			return -ENOTSUP;
		}
		memcpy(key, pe_rss_default_key, PE_RSS_KEY_LEN);
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size != 0 ?
				info.hash_key_size : PE_RSS_KEY_LEN;
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
	if (nb_queues > 1 && !peer_rss) {
		rc = rss_check_key(port_id, &info);
		/* the RETA size may change with the configuration */
		if (rc == 0)
			rc = rte_eth_dev_info_get(port_id, &info);
		if (rc == 0)
			rc = rss_setup_reta(port_id, &info, nb_queues, rss);
	}
	else if (nb_queues > 1)
		rc = pe_rss_init(rss, pe_rss_default_key, NULL, PE_RSS_PEER_RETA_SIZE, nb_queues);
	if (rc < 0)
		goto fail_stop;
	rc = rte_eth_macaddr_get(port_id, mac);
	if (rc < 0)
		goto fail_stop;
	PE_LOG(INFO, port, "port %u (%s) up: %u queue(s), %u rx / %u tx descriptors, "
			"MAC " RTE_ETHER_ADDR_PRT_FMT ", rx checksum offload %s, RSS %s",
			port_id, info.driver_name, nb_queues, nb_rxd, nb_txd, RTE_ETHER_ADDR_BYTES(mac),
			(conf.rxmode.offloads & want_rx) == want_rx ? "on" : "off",
			nb_queues == 1 ? "off (one queue)" :
			peer_rss ? "by the peer (engine.peer_rss)" : "on");
	if (setup != NULL) {
		memset(setup, 0, sizeof(*setup));
		snprintf(setup->driver, sizeof(setup->driver), "%s", info.driver_name);
		setup->nb_queues = nb_queues;
		setup->nb_rxd = nb_rxd;
		setup->nb_txd = nb_txd;
		setup->rx_csum = (conf.rxmode.offloads & want_rx) == want_rx;
		setup->rss = nb_queues > 1;
		setup->peer_rss = nb_queues > 1 && peer_rss;
		setup->rss_hf = peer_rss ? PE_RSS_HF : conf.rx_adv_conf.rss_conf.rss_hf;
		setup->reta_size = nb_queues > 1 ? rss->reta_size : 0;
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
