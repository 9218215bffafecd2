/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONFIG_TYPES_H
#define PE_CONFIG_TYPES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define PE_MAX_BACKENDS 64
#define PE_NAME_MAX 32

/*
 * Fault injection on one direction of the port (rx: frames the engine
 * receives, tx: frames it sends). Probabilities in parts per million.
 */
struct pe_fault_dir {
	uint32_t loss_ppm;       /* frame dropped */
	uint32_t duplicate_ppm;  /* frame sent twice */
	uint32_t reorder_ppm;    /* frame held back by reorder_us, so later frames overtake it */
	uint32_t reorder_us;
	uint32_t delay_us;       /* every frame delayed this long (0: not at all) */
};

struct pe_fault_conf {
	bool enabled;            /* a fault_injection section was given */
	uint64_t seed;           /* same seed, same input: same faults */
	struct pe_fault_dir dir[2]; /* [0] rx, [1] tx */
};

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
	uint32_t backend_tries;  /* backends tried per connection before the client gets a RST */

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

	/* tcp { } — what the engine offers in its SYN-ACK and SYN, and its own sending */
	uint16_t tcp_mss;            /* MSS offered to clients, cap of the one offered to backends */
	uint8_t tcp_wscale;          /* window scale shift offered to clients (0..14) */
	bool tcp_window_scaling;     /* offer window scaling at all */
	bool tcp_sack;               /* offer SACK-permitted */
	bool tcp_timestamps;         /* offer timestamps (needed to keep wscale/SACK with cookies) */
	uint32_t tcp_rto_ms;         /* first retransmission timeout of what the engine sends */
	uint32_t tcp_retries;        /* retransmissions of held data before the connection is reset */
	uint32_t hold_max_bytes;     /* client bytes held while the backend connects */
	uint32_t cookie_period_s;    /* SYN-cookie secret rotation period; a cookie lives 2 periods */
	bool has_cookie_secret;      /* cookie_secret given (shared by engines behind one VIP) */
	uint8_t cookie_secret[16];   /* master secret, from 32 hex digits */

	/* fault_injection { } — see io/fault.h */
	struct pe_fault_conf fault;
};

#endif /* PE_CONFIG_TYPES_H */
