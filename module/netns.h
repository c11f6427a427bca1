/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-network-namespace state: each namespace is one DTCP node, with its
 * identity, peers, tunnel socket, connection table and statistics.
 */
#ifndef _DTCP_NETNS_H
#define _DTCP_NETNS_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <uapi/linux/dtcp.h>

struct dtcp_mac;
struct socket;
struct netlink_ext_ack;

/*
 * Replay window: the highest sequence number accepted and, for each of the
 * DTCP_REPLAY_WINDOW numbers up to it, whether it was accepted (a ring: the
 * bit of number s is s % DTCP_REPLAY_WINDOW).  Wide enough for a burst of
 * forwarded client segments reordered on the back-end LAN; 64 was not,
 * under the soak's jitter.
 */
#define DTCP_REPLAY_WINDOW	1024

struct dtcp_peer {
	u32 id;
	__be32 addr;
	u16 port;
	bool up;
	atomic64_t tx;			/* messages sent to it */
	atomic64_t rx;			/* messages accepted from it */
	spinlock_t rx_lock;
	u64 rx_max;			/* replay window */
	DECLARE_BITMAP(rx_seen, DTCP_REPLAY_WINDOW);
	struct rcu_head rcu;
};

struct dtcp_net {
	struct net *net;
	struct mutex lock;		/* serialises configuration changes */
	u32 node_id;			/* 0: unset */
	u16 tunnel_port;		/* 0: unset */
	__be32 vip;			/* 0: unset */
	bool key_set;
	u8 key[DTCP_KEY_LEN];
	/* AES-256-CMAC keyed with the cluster key, while one is set. */
	struct dtcp_mac __rcu *mac;
	u32 daemon_portid;		/* netlink port of the registered daemon, 0: none */
	struct xarray peers;		/* id -> struct dtcp_peer, RCU readers */
	unsigned int n_peers;
	struct socket __rcu *tunnel;	/* UDP tunnel socket, while a port is set */
	/* Sequence number of the last message sent (to any peer): the node's
	 * start time in seconds in the high half, so that a restarted node is
	 * not taken for a replay; never rewound by peer changes. */
	atomic64_t tx_seq;
	bool hooks_registered;
	struct nf_hook_ops hook_ops[2];

	/* Connections: by 4-tuple (hooks) and by (origin, id) (tunnel). */
	struct rhashtable conns_by_tuple;
	struct xarray conns_by_id;
	atomic_t next_conn_id;
	atomic_t n_conns;
	/* Passive side: HANDOFFs received and not yet in the tables (their
	 * build is queued): a retransmitted copy of one is among them. */
	atomic_t n_building;
	/* Active side: pages of client bytes kept for connections away. */
	atomic_t upload_pages;
	/* Passive side: hand-offs that are over, (origin, id) -> jiffies, so
	 * that a late duplicate HANDOFF is not served again. */
	struct xarray tombs;
	atomic_t n_tombs;
	struct delayed_work tomb_gc;
	/* Liveness of hand-offs in progress (liveness.c). */
	struct delayed_work probe_work;

	/* Passive side: hand-offs waiting for the application. */
	spinlock_t accept_lock;
	struct list_head accept_queue;
	wait_queue_head_t accept_wait;
	unsigned int n_listeners;

	atomic64_t stats[__DTCP_STAT_MAX];
};

struct dtcp_net *dtcp_net(const struct net *net);

static inline void dtcp_stat_inc(struct dtcp_net *dn, enum dtcp_stat_attr s)
{
	atomic64_inc(&dn->stats[s]);
}

/* Peers: readers under rcu_read_lock(); writers hold dn->lock. */
struct dtcp_peer *dtcp_peer_find(struct dtcp_net *dn, u32 id);
int dtcp_peer_set(struct dtcp_net *dn, u32 id, __be32 addr, u16 port, int up,
		  struct netlink_ext_ack *extack);
int dtcp_peer_del(struct dtcp_net *dn, u32 id);

int dtcp_netns_init(void);
void dtcp_netns_exit(void);

#endif /* _DTCP_NETNS_H */
