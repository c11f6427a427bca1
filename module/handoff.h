/* SPDX-License-Identifier: GPL-2.0 */
/* The hand-off protocol: active side (active.c) and passive side (passive.c). */
#ifndef _DTCP_HANDOFF_H
#define _DTCP_HANDOFF_H

#include <linux/net.h>
#include <uapi/linux/dtcp.h>

struct dtcp_net;
struct dtcp_conn;
struct file;

/* DTCP_IOC_HANDOFF on behalf of the calling process. */
long dtcp_active_handoff(struct net *net, const struct dtcp_ioc_handoff *req,
			 const void __user *request);
/* DTCP_IOC_ACCEPT. */
long dtcp_passive_accept(struct net *net, struct dtcp_ioc_accept *acc, void __user *buf,
			 struct file **filep);
/* The last listener of @net went away: return what is queued, unserved. */
void dtcp_passive_drop_queue(struct net *net);
__poll_t dtcp_passive_poll_mask(struct net *net);

/*
 * Liveness (liveness.c).  A hand-off in progress whose other node went
 * silent or down: reset the client and let the entry end; false if the
 * entry is past the point where that applies (or was lost already).
 */
bool dtcp_active_lost(struct dtcp_conn *c);
bool dtcp_passive_lost(struct dtcp_conn *c);
/* The states in which each side expects to hear from the other. */
bool dtcp_active_in_progress(const struct dtcp_conn *c);
/* A client segment diverted while the HANDOFF waits for its answer
 * acknowledges @ack (softirq): past what Sa had sent, it answers it. */
void dtcp_active_client_ahead(struct dtcp_conn *c, u32 ack);
bool dtcp_passive_in_progress(const struct dtcp_conn *c);
/* A client segment injected into Sp too late, met by the hook: back to the
 * active node (unless the hand-off failed). */
void dtcp_passive_send_back(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb);
/* Look after @dn's hand-offs in progress (armed when one starts). */
void dtcp_liveness_arm(struct dtcp_net *dn);
void dtcp_liveness_init(struct dtcp_net *dn);
void dtcp_liveness_stop(struct dtcp_net *dn);
/* PING and PONG received (tunnel.c). */
struct dtcp_msg;
void dtcp_liveness_rcv(struct dtcp_net *dn, const struct dtcp_msg *m);
/* Something arrived from @c's other node about @c. */
void dtcp_conn_heard(struct dtcp_conn *c);

void dtcp_active_flush_one(struct dtcp_conn *c);
void dtcp_passive_flush_one(struct dtcp_conn *c);
int dtcp_active_init(void);
int dtcp_passive_init(void);

#endif /* _DTCP_HANDOFF_H */
