/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Active node: a copy of the client's bytes sent to the passive node while a
 * connection is away.  What the passive socket received and the passive
 * application did not read goes back into Sa's receive queue with the
 * return; every such byte passed through this node's hook on its way out,
 * so the return carries the sequence numbers, and the bytes come from here.
 */
#ifndef _DTCP_UPLOAD_H
#define _DTCP_UPLOAD_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct dtcp_conn;

/* Bytes kept per hand-off, from the sequence number Sa had received when it
 * was frozen: more than any receive buffer the passive socket can grow. */
#define DTCP_UPLOAD_MAX		(16U << 20)

/* Limit of kept bytes per namespace (module parameter upload_max_kb). */
extern unsigned int dtcp_upload_max_kb;

/* Process context, before the hooks divert: keep from @anchor on. */
void dtcp_upload_start(struct dtcp_conn *c, u32 anchor);
/* Softirq: keep the payload of the client packet @skb (an IPv4 packet of
 * @len bytes, checksum complete) before it goes to the passive node.  False:
 * it could not be kept (limit, no memory), so it must not go there (the
 * client sends it again). */
bool dtcp_upload_keep(struct dtcp_conn *c, const struct sk_buff *skb, u32 len);
/* Process context, once the connection is back: the @len bytes from @seq
 * (*buf: kvmalloc'ed, NULL if @len is 0).  -EPROTO if one was never kept. */
int dtcp_upload_copy(struct dtcp_conn *c, u32 seq, u32 len, u8 **buf);
/* Drop what is kept (process context). */
void dtcp_upload_free(struct dtcp_conn *c);

#endif /* _DTCP_UPLOAD_H */
