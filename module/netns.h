/* SPDX-License-Identifier: GPL-2.0 */
/* Per-network-namespace state: each namespace is one DTCP node. */
#ifndef _DTCP_NETNS_H
#define _DTCP_NETNS_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <uapi/linux/dtcp.h>

struct dtcp_net {
	struct net *net;
	struct mutex lock;		/* serialises configuration changes */
	u32 node_id;			/* 0: unset */
	u16 tunnel_port;		/* 0: unset */
	bool key_set;
	u8 key[DTCP_KEY_LEN];
};

struct dtcp_net *dtcp_net(const struct net *net);

int dtcp_netns_init(void);
void dtcp_netns_exit(void);

#endif /* _DTCP_NETNS_H */
