/* SPDX-License-Identifier: GPL-2.0 */
/* The hand-off protocol: active side (active.c) and passive side (passive.c). */
#ifndef _DTCP_HANDOFF_H
#define _DTCP_HANDOFF_H

#include <linux/net.h>
#include <uapi/linux/dtcp.h>

struct dtcp_net;
struct dtcp_conn;

/* DTCP_IOC_HANDOFF on behalf of the calling process. */
long dtcp_active_handoff(struct net *net, const struct dtcp_ioc_handoff *req,
			 const void __user *request);
/* DTCP_IOC_ACCEPT. */
long dtcp_passive_accept(struct net *net, struct dtcp_ioc_accept *acc, void __user *buf);
/* The last listener of @net went away: return what is queued, unserved. */
void dtcp_passive_drop_queue(struct net *net);
__poll_t dtcp_passive_poll_mask(struct net *net);


void dtcp_active_flush_one(struct dtcp_conn *c);
void dtcp_passive_flush_one(struct dtcp_conn *c);
int dtcp_active_init(void);
int dtcp_passive_init(void);

#endif /* _DTCP_HANDOFF_H */
