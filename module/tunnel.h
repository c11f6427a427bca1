/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tunnel between back-ends: one in-kernel UDP socket per namespace,
 * carrying control messages and forwarded client segments.
 */
#ifndef _DTCP_TUNNEL_H
#define _DTCP_TUNNEL_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct dtcp_mac;
struct dtcp_net;
struct dtcp_conn;
struct dtcp_msg;

struct dtcp_part {
	const void *data;
	u32 len;
};

int dtcp_tunnel_open(struct dtcp_net *dn, u16 port);
void dtcp_tunnel_close(struct dtcp_net *dn);
/* Messages are signed and checked with AES-256-CMAC under @key (DTCP_KEY_LEN
 * bytes), or not at all (NULL).  Process context, dn->lock held. */
int dtcp_tunnel_set_key(struct dtcp_net *dn, const u8 *key);
/* The same in two steps, so that a caller can set the key up before it
 * changes anything and install it last: dtcp_mac_new() (mac.h), then its
 * use from now on (NULL: none).  Process context, dn->lock held. */
void dtcp_tunnel_set_mac(struct dtcp_net *dn, struct dtcp_mac *mac);

/* Send a message of @type about (origin, hid) to @peer_id; any context. */
int dtcp_tunnel_send(struct dtcp_net *dn, u32 peer_id, u8 type, u32 origin, u32 hid,
		     const struct dtcp_part *parts, unsigned int n_parts);

/* Forward the client's IPv4 packet in @skb as a SEGMENT of @c; any context. */
void dtcp_tunnel_forward(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb);
/* A copy of each client segment in @skb to dtcp_active_keep() (@skb stays
 * the caller's). */
void dtcp_tunnel_keep(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb);
/* The client packet a SEGMENT carries, as a fresh skb (NULL: no memory). */
struct sk_buff *dtcp_tunnel_segment_skb(const struct dtcp_msg *m, struct net_device *dev);
/*
 * A client packet kept in a queue does not pin its device (which may go
 * meanwhile): dtcp_tunnel_park() keeps only the device's index, and
 * dtcp_tunnel_inject() finds it again (or drops the packet).
 */
void dtcp_tunnel_park(struct sk_buff *skb);
/* Hand one client packet to @net's IPv4 stack. */
void dtcp_tunnel_inject(struct net *net, struct sk_buff *skb);

/* Receive handlers (softirq), in active.c and passive.c. */
void dtcp_active_rcv(struct dtcp_net *dn, const struct dtcp_msg *m, struct sk_buff *skb);
/* Active node: keep a client packet (a fresh skb) until the connection is home. */
void dtcp_active_keep(struct dtcp_conn *c, struct sk_buff *skb);
void dtcp_passive_rcv(struct dtcp_net *dn, const struct dtcp_msg *m, struct sk_buff *skb);

#endif /* _DTCP_TUNNEL_H */
