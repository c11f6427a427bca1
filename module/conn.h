/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connection entries.  On the active node (A) one entry per connection that
 * has been handed out at least once, for as long as the socket lives; on the
 * passive node (P) one entry per hand-off being served.  Found by 4-tuple
 * (netfilter hooks, socket callbacks) and by (origin node, hand-off id)
 * (tunnel messages).  Reference counted; freed from process context, the
 * memory a grace period later (lookups run under RCU).
 */
#ifndef _DTCP_CONN_H
#define _DTCP_CONN_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <dtcp/wire.h>

#include "netns.h"

struct dtcp_tuple {
	__be32 caddr, laddr;
	__be16 cport, lport;
};

/* Client segments an entry keeps until a socket can take them. */
#define DTCP_EARLY_MAX		64

struct dtcp_conn {
	struct rhash_head node;		/* dn->conns_by_tuple */
	struct dtcp_tuple tuple;
	struct dtcp_net *dn;
	refcount_t ref;
	spinlock_t lock;
	u8 role;			/* enum dtcp_conn_role */
	u8 state;			/* enum dtcp_conn_state, 0: at home (A) */
	bool in_table;
	u32 origin;			/* active node id */
	u32 hid;			/* current hand-off id (key with origin) */
	u32 peer;			/* A: serving node; P: origin */
	struct sock *sk;		/* Sa or Sp, referenced */
	struct socket *sock;		/* P: Sp until accepted */
	struct proto *orig_prot;	/* A: Sa's own proto */

	struct dtcp_state st;		/* captured / received state */
	u32 captured_snd_nxt;		/* A: snd_nxt when handed out */
	u32 captured_rcv_nxt;		/* A: rcv_nxt when handed out */
	int result;			/* A: outcome of the current hand-off */
	wait_queue_head_t wait;		/* A: the hand-off caller */
	u32 handoffs;
	u64 bytes;

	/* HANDOFF request (P); the RETURN's data, the tail of response bytes
	 * sent and not acknowledged yet (A: being received; P: to send). */
	u8 *data;
	u32 data_len;
	u64 chunks_done;		/* bitmap of chunks received (A) */
	bool served;			/* P: the application wrote a response */
	bool aborted;			/* A: the passive node gave the connection up */
	bool client_fin;		/* the client's FIN came with the return */
	bool rtx_done;			/* P: the RETURN exchange is over */
	bool lingering;			/* P: over; the tuple stays silenced a while */
	bool retired;			/* P: unlinked; c->rtx is never queued again */
	bool finished;			/* P: Sp discarded (state RETURNED for good); c->rtx owns a reference */
	int failed;			/* P: errno sent in ABORT instead of a RETURN */
	bool holds_module;		/* P: pins the module until freed (timers, works) */
	bool drain_acked;		/* P: a client ACK brought the drain's check forward */
	int finish_cpu;			/* P: where the application closed Sp */
	int in_ifindex;			/* A: device the client's segments arrive on */
	/* Liveness (liveness.c): when the other node last spoke of this
	 * hand-off; lost: it was taken for dead and the client reset. */
	unsigned long heard;
	bool lost;
	/* A: the highest acknowledgement the client sent while handed out,
	 * i.e. how far it has received (for a reset it accepts). */
	bool client_acked;
	bool reset_sent;		/* A: the client was reset: no diverting */
	u32 client_ack;
	/* A: the application closed the socket while it was away; the close
	 * is completed when the connection is back. */
	bool close_pending;
	/* A: the hand-off's caller waits and applies a complete RETURN in
	 * its own context (apply_ready: there is one, with a reference, for
	 * it); else the worker does.  Both under lock. */
	bool applier;
	bool apply_ready;
	/* A: the client's FIN that came with the return is on its way to
	 * the stack; Sa sends nothing before it arrives (its acknowledgement
	 * would be one short of what the passive node already acknowledged). */
	bool fin_pending;
	unsigned long fin_at;		/* when (the liveness work clears a lost one) */

	/* A: the client's bytes sent to the passive node (upload.c), from
	 * upload_anchor on, while upload_on (both under lock). */
	struct xarray upload;
	u32 upload_anchor;
	bool upload_on;

	struct sk_buff_head early;	/* P: segments before Sp exists; A: segments
					 * the passive node sent back */
	struct list_head accept_node;	/* P: in dn->accept_queue */
	struct work_struct work;	/* A: apply a return; P: build the socket */
	struct work_struct finish_work;	/* P: drained: capture and return */
	struct delayed_work rtx;	/* P: RETURN retransmission */
	struct hrtimer ack_timer;	/* P: the deferred HANDOFF_ACK; holds a reference while queued */
	unsigned int rtx_count;
	struct hrtimer drain;		/* P: poll for the client's last ACK */
	void (*orig_data_ready)(struct sock *sk);	/* P: Sp's, while draining */
	unsigned long drain_deadline;
	struct work_struct free_work;
	struct rcu_head rcu;
};

extern const struct rhashtable_params dtcp_conn_params;
/* Limit of entries per namespace (module parameter max_conns). */
extern unsigned int dtcp_max_conns;

static inline u64 dtcp_conn_key(u32 origin, u32 hid)
{
	return (u64)origin << 32 | hid;
}

/* @fn: what conn->work does (A: apply a return; P: build). */
struct dtcp_conn *dtcp_conn_alloc(struct dtcp_net *dn, u8 role, work_func_t fn, gfp_t gfp);
/* Insert into both tables; -EEXIST if the tuple or key is taken. */
int dtcp_conn_insert(struct dtcp_conn *c, gfp_t gfp);
/* Re-key by a new hand-off id (A, process context). */
int dtcp_conn_rekey(struct dtcp_conn *c, u32 hid);
/* Remove from both tables and drop the tables' reference (after an RCU
 * grace period); false if it was not in them. */
bool dtcp_conn_unlink(struct dtcp_conn *c);
/* Put @c in the tables in the place of @old, which has the same tuple, with
 * no moment in between where the tuple has no entry; -EAGAIN if @old left
 * the tables meanwhile, -EEXIST if @c's key is taken. */
int dtcp_conn_replace(struct dtcp_conn *old, struct dtcp_conn *c);
/* Lookups take a reference (caller puts), or return NULL. */
struct dtcp_conn *dtcp_conn_by_tuple(struct dtcp_net *dn, const struct dtcp_tuple *t);
struct dtcp_conn *dtcp_conn_by_key(struct dtcp_net *dn, u32 origin, u32 hid);
void dtcp_conn_get(struct dtcp_conn *c);
void dtcp_conn_put(struct dtcp_conn *c);
/*
 * Tombstones (passive side): a hand-off that is over (returned, aborted or
 * refused) keeps its (origin, id) for DTCP_TOMB_SECS, so that a duplicate or
 * late HANDOFF of it is ignored instead of served a second time.
 */
#define DTCP_TOMB_SECS	10
#define DTCP_TOMB_MAX	65536
void dtcp_tomb_add(struct dtcp_net *dn, u32 origin, u32 hid);
bool dtcp_tomb_find(struct dtcp_net *dn, u32 origin, u32 hid);
void dtcp_tomb_gc(struct work_struct *w);
void dtcp_tomb_flush(struct dtcp_net *dn);
/* Unlink every entry of @dn (namespace exit, module unload). */
void dtcp_conn_flush(struct dtcp_net *dn);

int dtcp_conn_init(void);
void dtcp_conn_exit(void);
extern struct workqueue_struct *dtcp_wq;

/* Active side: handed out, or on its way out (after the capture) or back. */
static inline bool dtcp_active_busy(u8 st)
{
	return st == DTCP_CONN_HANDING || st == DTCP_CONN_HANDED_OUT ||
	       st == DTCP_CONN_RETURNING;
}

#endif /* _DTCP_CONN_H */
