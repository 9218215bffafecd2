/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_bridge: the other end of the engine's virtio_user port in the
 * testbed. A small DPDK program with exactly two ports, given as EAL
 * arguments, that forwards every frame from each port to the other:
 *
 *   build/vhost_bridge --file-prefix=pe-vhost -l 0 --no-huge -m 256 --no-pci \
 *       --vdev=net_vhost0,iface=/tmp/pe-vhost.sock,queues=1 \
 *       --vdev=net_tap0,iface=pe-vtap0
 *
 *   proxyengine (net_virtio_user0) <-vhost-user socket-> net_vhost0
 *                                        vhost_bridge
 *                                        net_tap0 = pe-vtap0 <-> Linux bridge pe-br0
 *
 * It prints one line on stdout when both ports are started
 * ("vhost_bridge: ready: port 0 (net_vhost) <-> port 1 (net_tap) ..."),
 * forwards until SIGTERM or SIGINT, then prints its frame counts and exits 0.
 * Exit 1 when EAL, the mempool or a port cannot be set up, 2 when EAL does not
 * provide exactly two ports.
 *
 * net_vhost is the vhost-user server: it creates the socket and waits for the
 * frontend; until one is connected its rx returns nothing and its tx refuses
 * every frame (they are freed and counted as dropped), so the bridge may be
 * started first and the engine restarted under it.
 *
 * Test tooling, not fast path: no offloads are asked of either port (the engine
 * computes its checksums itself), frames are copied by neither side beyond what
 * the PMDs do, and the loop naps when both ports are idle so that it does not
 * take a core from the testbed's clients and servers.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#define VB_N_PORTS 2
#define VB_BURST 32
#define VB_DESC 1024
/* both rings full in both directions, plus the mempool cache and a burst in flight */
#define VB_MBUFS (4 * VB_DESC + 2 * 256 + VB_BURST - 1)
#define VB_MBUF_CACHE 256
#define VB_SPIN_POLLS 256     /* empty rounds before napping */
#define VB_NAP_MAX_US 200u    /* longest nap: bounds the latency the bridge adds */

static volatile sig_atomic_t vb_quit;

struct vb_stats {
	uint64_t fwd;   /* frames handed to the other port */
	uint64_t drop;  /* frames the other port refused (freed here) */
};

static void
vb_on_signal(int sig)
{
	RTE_SET_USED(sig);
	vb_quit = 1;
}

static int
vb_port_setup(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rx = VB_DESC, nb_tx = VB_DESC;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
	if (rc != 0)
		return rc;
	rc = rte_eth_rx_queue_setup(port, 0, nb_rx, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc != 0)
		return rc;
	rc = rte_eth_tx_queue_setup(port, 0, nb_tx, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0)
		return rc;
	/*
	 * A bridge must pass frames for any MAC: the engine's MAC is not the
	 * tap's, and the tap's kernel side gets its own MAC on the Linux bridge.
	 * Not every PMD has a promiscuous switch (net_vhost has none): ignore that.
	 */
	rte_eth_promiscuous_enable(port);
	return rte_eth_dev_start(port);
}

/* One burst from rx_port to tx_port; returns the number of frames received. */
static uint16_t
vb_forward(uint16_t rx_port, uint16_t tx_port, struct vb_stats *st)
{
	struct rte_mbuf *pkts[VB_BURST];
	uint16_t n, sent;

	n = rte_eth_rx_burst(rx_port, 0, pkts, VB_BURST);
	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(tx_port, 0, pkts, n);
	st->fwd += sent;
	if (unlikely(sent < n)) {
		/* the peer is not connected or its ring is full: never hold frames */
		st->drop += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
	return n;
}

static void
vb_nap(unsigned int *empty)
{
	unsigned int n = ++*empty;
	struct timespec ts = { 0, 0 };

	if (n < VB_SPIN_POLLS) {
		rte_pause();
		return;
	}
	ts.tv_nsec = 1000L * RTE_MIN((n - VB_SPIN_POLLS + 1) * 10u, VB_NAP_MAX_US);
	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	struct vb_stats st[VB_N_PORTS] = { { 0, 0 }, { 0, 0 } };
	char names[VB_N_PORTS][RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev_info info[VB_N_PORTS];
	uint16_t ports[VB_N_PORTS], port, n = 0;
	struct rte_mempool *pool;
	unsigned int empty = 0;
	int rc, i, status = 1;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "vhost_bridge: EAL initialisation failed: %s\n",
				rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGTERM, vb_on_signal);
	signal(SIGINT, vb_on_signal);

	RTE_ETH_FOREACH_DEV(port) {
		if (n < VB_N_PORTS)
			ports[n] = port;
		n++;
	}
	if (n != VB_N_PORTS) {
		fprintf(stderr, "vhost_bridge: need exactly 2 ports (--vdev net_vhost0,... "
				"--vdev net_tap0,...), EAL has %u\n", n);
		status = 2;
		goto fail_eal;
	}
	pool = rte_pktmbuf_pool_create("vb_mbuf", VB_MBUFS, VB_MBUF_CACHE, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "vhost_bridge: mbuf pool of %u: %s\n", VB_MBUFS,
				rte_strerror(rte_errno));
		goto fail_eal;
	}
	for (i = 0; i < VB_N_PORTS; i++) {
		rc = vb_port_setup(ports[i], pool);
		if (rc != 0) {
			fprintf(stderr, "vhost_bridge: port %u: setup failed: %s\n", ports[i],
					rte_strerror(-rc));
			goto fail_ports;
		}
		rte_eth_dev_get_name_by_port(ports[i], names[i]);
		rte_eth_dev_info_get(ports[i], &info[i]);
	}
	printf("vhost_bridge: ready: port %u (%s, %s) <-> port %u (%s, %s)\n",
			ports[0], names[0], info[0].driver_name,
			ports[1], names[1], info[1].driver_name);
	fflush(stdout);

	while (!vb_quit) {
		uint16_t got = vb_forward(ports[0], ports[1], &st[0]) +
				vb_forward(ports[1], ports[0], &st[1]);

		if (got != 0)
			empty = 0;
		else
			vb_nap(&empty);
	}
	printf("vhost_bridge: stopped: %s->%s %" PRIu64 " forwarded %" PRIu64 " dropped, "
			"%s->%s %" PRIu64 " forwarded %" PRIu64 " dropped\n",
			names[0], names[1], st[0].fwd, st[0].drop,
			names[1], names[0], st[1].fwd, st[1].drop);
	fflush(stdout);
	status = 0;
	i = VB_N_PORTS;
fail_ports:
	/* close what was set up (and the failed one): a tap disappears with its port */
	while (i >= 0) {
		if (i < VB_N_PORTS) {
			rte_eth_dev_stop(ports[i]);
			rte_eth_dev_close(ports[i]);
		}
		i--;
	}
	rte_mempool_free(pool);
fail_eal:
	rte_eal_cleanup();
	return status;
}
