/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONFIG_TYPES_H
#define PE_CONFIG_TYPES_H

#include <limits.h>
#include <stdint.h>

#define PE_MAX_BACKENDS 64
#define PE_NAME_MAX 32

/* One backend server. Addresses are IPv4 in network byte order, ports in host order. */
struct pe_backend_conf {
	char name[PE_NAME_MAX];
	uint32_t addr;
	uint16_t port;
};

/*
 * The whole engine configuration, as loaded from the config file.
 * Every field has been validated by pe_config_load(); consumers may trust it.
 */
struct pe_config {
	char path[PATH_MAX];

	/* engine { } */
	uint32_t vip;            /* virtual IP clients connect to */
	uint16_t vport;          /* TCP port on the VIP */
	uint32_t source_addr;    /* engine's own address toward backends */
	uint16_t source_port_min; /* local port range for backend connections */
	uint16_t source_port_max;
	uint32_t max_connections; /* connection table size per worker */

	/* backends ( { }, ... ) */
	unsigned int n_backends;
	struct pe_backend_conf backends[PE_MAX_BACKENDS];

	/* selection policy name, e.g. "round-robin" */
	char selection[PE_NAME_MAX];

	/* timeouts { } — all in milliseconds */
	uint32_t idle_timeout_ms;    /* established connection without traffic */
	uint32_t connect_timeout_ms; /* backend handshake, before giving up */
	uint32_t linger_ms;          /* entry kept after close to absorb late segments */
	uint32_t arp_reachable_ms;   /* ARP entry lifetime before re-resolution */
	uint32_t arp_retry_ms;       /* interval between ARP requests while resolving */
	uint32_t arp_retries;        /* requests sent before a resolution fails */
	uint32_t backend_holddown_ms; /* a failed backend is skipped this long */
};

#endif /* PE_CONFIG_TYPES_H */
