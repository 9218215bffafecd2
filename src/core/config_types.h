/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PE_CONFIG_TYPES_H
#define PE_CONFIG_TYPES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define PE_MAX_BACKENDS 64
#define PE_MAX_WORKERS 16      /* engine.workers */
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

#define PE_MAX_POOLS 16
#define PE_MAX_ROUTES 32
#define PE_DN_MAX 256

/* A named group of backends a route may send connections to. */
struct pe_pool_conf {
	char name[PE_NAME_MAX];
	uint64_t members;        /* bit i: backends[i] */
};

/* inspect { } — see src/inspect/inspect.h */
struct pe_inspect_conf {
	bool enabled;            /* an inspect section was given */
	char protocol[PE_NAME_MAX];
	uint32_t max_message_bytes; /* a longer message gets on_limit */
	uint32_t hold_ms;        /* a message not complete this long after its first byte gets on_limit */
	bool on_limit_pass;      /* on_limit = "pass" (else "reset") */
};

/* What an LDAP route matches on the first message of a connection. */
enum pe_route_match {
	PE_ROUTE_BIND_DN,        /* the bind DN equals dn */
	PE_ROUTE_BIND_DN_SUFFIX, /* the bind DN ends with the RDNs of dn */
	PE_ROUTE_BIND_DN_REGEX,  /* POSIX ERE dn matches the bind DN, ignoring case */
	PE_ROUTE_OPERATIONS,     /* the first operation is one of ops */
};

struct pe_route_conf {
	uint8_t match;           /* enum pe_route_match */
	uint8_t pool;            /* index into pools */
	uint32_t ops;            /* PE_ROUTE_OPERATIONS: bit per enum pe_ldap_op */
	char dn[PE_DN_MAX];
};

/* ldap { } — the LDAP inspector's policy (src/inspect/inspect_ldap.c) */
struct pe_ldap_conf {
	unsigned int n_routes;
	struct pe_route_conf routes[PE_MAX_ROUTES];
	int default_pool;        /* pool when no route matches; -1: any backend */
	bool refuse_anonymous;   /* anonymous and unauthenticated simple binds */
	uint32_t allow_ops;      /* bit per enum pe_ldap_op: requests let through */
	bool rewrite;            /* rewrite { } given */
	char client_suffix[PE_DN_MAX];
	char backend_suffix[PE_DN_MAX];
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
	uint16_t workers;        /* worker lcores, one rx/tx queue each */
	bool peer_rss;           /* the port's peer spreads frames over the queues (net/rss.h) */

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

	/* pools ( { }, ... ), inspect { }, ldap { } */
	unsigned int n_pools;
	struct pe_pool_conf pools[PE_MAX_POOLS];
	struct pe_inspect_conf inspect;
	struct pe_ldap_conf ldap;
};

#endif /* PE_CONFIG_TYPES_H */
