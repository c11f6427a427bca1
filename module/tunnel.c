// SPDX-License-Identifier: GPL-2.0
/* The tunnel: one kernel UDP socket per namespace, send and receive. */
#include <crypto/algapi.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "dtcp.h"
#include "conn.h"
#include "handoff.h"
#include "mac.h"
#include "netns.h"
#include "tunnel.h"
#include "upload.h"

#define DTCP_TUNNEL_HEADROOM (LL_MAX_HEADER + sizeof(struct iphdr) + sizeof(struct udphdr))

static struct sk_buff *dtcp_tunnel_alloc(u32 len, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(DTCP_TUNNEL_HEADROOM + len, gfp);

	if (skb)
		skb_reserve(skb, DTCP_TUNNEL_HEADROOM);
	return skb;
}

void dtcp_tunnel_set_mac(struct dtcp_net *dn, struct dtcp_mac *mac)
{
	struct dtcp_mac *old;

	old = rcu_replace_pointer(dn->mac, mac, lockdep_is_held(&dn->lock) || !mac);
	if (old) {
		synchronize_rcu();
		dtcp_mac_free(old);
	}
}

int dtcp_tunnel_set_key(struct dtcp_net *dn, const u8 *key)
{
	struct dtcp_mac *mac = NULL;

	if (key) {
		mac = dtcp_mac_new(key);
		if (IS_ERR(mac))
			return PTR_ERR(mac);
	}
	dtcp_tunnel_set_mac(dn, mac);
	return 0;
}

/* Sign the message that fills @skb (caller holds rcu_read_lock). */
static int dtcp_sign(struct dtcp_net *dn, struct sk_buff *skb)
{
	struct dtcp_mac *mac = rcu_dereference(dn->mac);

	if (!mac)
		return 0;
	return dtcp_mac_compute(mac, skb->data, skb->len,
				((struct dtcp_wire_hdr *)skb->data)->mac);
}

static u64 dtcp_next_seq(struct dtcp_net *dn, struct dtcp_peer *peer)
{
	atomic64_inc(&peer->tx);
	return atomic64_inc_return(&dn->tx_seq);
}

/* Route and send @skb (payload at data) to @peer. Consumes @skb. */
static int dtcp_tunnel_xmit(struct dtcp_net *dn, const struct dtcp_peer *peer,
			    struct sk_buff *skb)
{
	struct socket *sock;
	struct flowi4 fl4;
	struct rtable *rt;
	int ret = 0;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(dn->tunnel);
	if (!sock) {
		ret = -ENOTCONN;
		goto drop;
	}
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = peer->addr;
	fl4.flowi4_proto = IPPROTO_UDP;
	fl4.fl4_sport = htons(dn->tunnel_port);
	fl4.fl4_dport = htons(peer->port);
	rt = ip_route_output_key(dn->net, &fl4);
	if (IS_ERR(rt)) {
		ret = PTR_ERR(rt);
		goto drop;
	}
	skb->ignore_df = 1;
	udp_tunnel_xmit_skb(rt, sock->sk, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, htons(dn->tunnel_port),
			    htons(peer->port), false, false);
	rcu_read_unlock_bh();
	return 0;
drop:
	rcu_read_unlock_bh();
	kfree_skb(skb);
	return ret;
}

int dtcp_tunnel_send(struct dtcp_net *dn, u32 peer_id, u8 type, u32 origin, u32 hid,
		     const struct dtcp_part *parts, unsigned int n_parts)
{
	struct dtcp_peer *peer;
	struct sk_buff *skb;
	u32 len = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n_parts; i++)
		len += parts[i].len;
	if (len > DTCP_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	skb = dtcp_tunnel_alloc(DTCP_WIRE_HDR_LEN + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	rcu_read_lock();
	peer = dtcp_peer_find(dn, peer_id);
	if (!peer) {
		rcu_read_unlock();
		kfree_skb(skb);
		return -ENOENT;
	}
	dtcp_wire_put_hdr(skb_put(skb, DTCP_WIRE_HDR_LEN), DTCP_WIRE_HDR_LEN, type,
			  dn->node_id, origin, hid, len, dtcp_next_seq(dn, peer));
	for (i = 0; i < n_parts; i++)
		skb_put_data(skb, parts[i].data, parts[i].len);
	ret = dtcp_sign(dn, skb);
	if (ret) {
		rcu_read_unlock();
		kfree_skb(skb);
		return ret;
	}
	ret = dtcp_tunnel_xmit(dn, peer, skb);
	rcu_read_unlock();
	if (!ret)
		dtcp_stat_inc(dn, DTCP_STAT_TX_MSGS);
	return ret;
}

/* One IPv4 packet (linear copy with a valid checksum) as a SEGMENT. */
/* A client packet's length, its own checksum complete (0: unusable). */
static u32 dtcp_segment_len(struct sk_buff *skb)
{
	u32 len;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return 0;
	len = ntohs(ip_hdr(skb)->tot_len);
	if (len < sizeof(struct iphdr) || len > skb->len - skb_network_offset(skb) ||
	    len > DTCP_WIRE_MAX_PAYLOAD)
		return 0;
	return len;
}

static void dtcp_forward_one(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb)
{
	struct dtcp_peer *peer;
	struct sk_buff *out;
	u32 len = dtcp_segment_len(skb);

	if (!len)
		return;
	/* The passive socket acknowledges only bytes kept here (upload.h). */
	if (c->role == DTCP_ROLE_ACTIVE && !dtcp_upload_keep(c, skb, len)) {
		dtcp_stat_inc(dn, DTCP_STAT_UPLOAD_DROPPED);
		return;
	}
	out = dtcp_tunnel_alloc(DTCP_WIRE_HDR_LEN + len, GFP_ATOMIC);
	if (!out)
		return;
	rcu_read_lock();
	peer = dtcp_peer_find(dn, READ_ONCE(c->peer));
	if (!peer) {
		rcu_read_unlock();
		kfree_skb(out);
		return;
	}
	dtcp_wire_put_hdr(skb_put(out, DTCP_WIRE_HDR_LEN), DTCP_WIRE_HDR_LEN, DTCP_MSG_SEGMENT,
			  dn->node_id, c->origin, READ_ONCE(c->hid), len,
			  dtcp_next_seq(dn, peer));
	if (skb_copy_bits(skb, skb_network_offset(skb), skb_put(out, len), len) ||
	    dtcp_sign(dn, out)) {
		rcu_read_unlock();
		kfree_skb(out);
		return;
	}
	if (!dtcp_tunnel_xmit(dn, peer, out)) {
		if (c->role == DTCP_ROLE_ACTIVE)	/* else sent back: SEG_RETURNED */
			dtcp_stat_inc(dn, DTCP_STAT_SEG_FORWARDED);
		dtcp_stat_inc(dn, DTCP_STAT_TX_MSGS);
	}
	rcu_read_unlock();
}

struct sk_buff *dtcp_tunnel_segment_skb(const struct dtcp_msg *m, struct net_device *dev)
{
	struct sk_buff *skb = netdev_alloc_skb_ip_align(dev, m->data_len);

	if (skb)
		skb_put_data(skb, m->data, m->data_len);
	return skb;
}

void dtcp_tunnel_park(struct sk_buff *skb)
{
	skb->skb_iif = skb->dev ? skb->dev->ifindex : 0;
	skb->dev = NULL;
}

void dtcp_tunnel_inject(struct net *net, struct sk_buff *skb)
{
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;	/* TCP checks the client's checksum */
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	/* Under RCU: a device going away waits for this section, then takes
	 * what it finds in the backlog with it. */
	rcu_read_lock();
	if (!skb->dev)
		skb->dev = dev_get_by_index_rcu(net, skb->skb_iif);
	if (skb->dev)
		netif_rx(skb);
	else
		kfree_skb(skb);
	rcu_read_unlock();
}

/* A copy of a client packet, ready for dtcp_tunnel_inject(). */
static void dtcp_copy_one(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb)
{
	u32 len = dtcp_segment_len(skb);
	struct sk_buff *copy;

	if (!len || !skb->dev)
		return;
	copy = netdev_alloc_skb_ip_align(skb->dev, len);
	if (!copy)
		return;
	if (skb_copy_bits(skb, skb_network_offset(skb), skb_put(copy, len), len)) {
		kfree_skb(copy);
		return;
	}
	dtcp_active_keep(c, copy);
}

/* @fn on each of the client's segments in @skb (a GRO aggregate is split). */
static void dtcp_each_segment(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb,
			      void (*fn)(struct dtcp_net *, struct dtcp_conn *, struct sk_buff *))
{
	struct sk_buff *segs, *seg, *next;

	if (!skb_is_gso(skb)) {
		fn(dn, c, skb);
		return;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs))
		return;
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		fn(dn, c, seg);
		kfree_skb(seg);
	}
}

void dtcp_tunnel_forward(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb)
{
	dtcp_each_segment(dn, c, skb, dtcp_forward_one);
}

void dtcp_tunnel_keep(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb)
{
	dtcp_each_segment(dn, c, skb, dtcp_copy_one);
}

/*
 * Accept each sequence number of a peer once: newer than any seen, or one of
 * the DTCP_REPLAY_WINDOW up to the newest, not seen yet (reordering).
 */
static bool dtcp_replay_ok(struct dtcp_peer *peer, u64 seq)
{
	const u64 w = DTCP_REPLAY_WINDOW;
	bool ok = true;

	spin_lock(&peer->rx_lock);
	if (seq > peer->rx_max) {
		/* The numbers skipped, up to and with this one, not seen yet. */
		u64 n = seq - peer->rx_max;
		unsigned int from = (peer->rx_max + 1) % w;

		if (n >= w) {
			bitmap_zero(peer->rx_seen, w);
		} else if (from + n <= w) {
			bitmap_clear(peer->rx_seen, from, n);
		} else {
			bitmap_clear(peer->rx_seen, from, w - from);
			bitmap_clear(peer->rx_seen, 0, from + n - w);
		}
		peer->rx_max = seq;
		__set_bit(seq % w, peer->rx_seen);
	} else if (peer->rx_max - seq >= w || __test_and_set_bit(seq % w, peer->rx_seen)) {
		ok = false;
	}
	spin_unlock(&peer->rx_lock);
	return ok;
}

static int dtcp_tunnel_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct dtcp_net *dn = rcu_dereference_sk_user_data(sk);
	u8 mac[DTCP_WIRE_MAC_LEN];
	struct dtcp_mac *key;
	const struct iphdr *iph;
	struct dtcp_peer *peer;
	struct dtcp_msg m;
	unsigned int off;
	int ret;

	if (!dn || skb_linearize(skb))
		goto drop;
	off = skb_transport_offset(skb) + sizeof(struct udphdr);
	if (skb->len < off)
		goto drop;
	iph = ip_hdr(skb);
	ret = dtcp_wire_decode(skb->data + off, skb->len - off, &m);
	if (ret) {
		dtcp_stat_inc(dn, DTCP_STAT_DROP_MALFORMED);
		goto drop;
	}
	rcu_read_lock();
	peer = dtcp_peer_find(dn, m.sender);
	if (!peer || peer->addr != iph->saddr || m.sender == dn->node_id) {
		rcu_read_unlock();
		dtcp_stat_inc(dn, DTCP_STAT_DROP_UNKNOWN_PEER);
		goto drop;
	}
	key = rcu_dereference(dn->mac);
	if (key && (dtcp_mac_compute(key, skb->data + off, skb->len - off, mac) ||
		    crypto_memneq(mac, m.mac, DTCP_WIRE_MAC_LEN))) {
		rcu_read_unlock();
		dtcp_stat_inc(dn, DTCP_STAT_DROP_BAD_MAC);
		goto drop;
	}
	if (!dtcp_replay_ok(peer, m.seq)) {
		rcu_read_unlock();
		dtcp_stat_inc(dn, DTCP_STAT_DROP_REPLAY);
		goto drop;
	}
	atomic64_inc(&peer->rx);
	rcu_read_unlock();
	dtcp_stat_inc(dn, DTCP_STAT_RX_MSGS);

	switch (m.type) {
	case DTCP_MSG_HANDOFF:
	case DTCP_MSG_RETURN_ACK:
		dtcp_passive_rcv(dn, &m, skb);
		break;
	case DTCP_MSG_HANDOFF_ACK:
	case DTCP_MSG_NACK:
	case DTCP_MSG_RETURN:
		dtcp_active_rcv(dn, &m, skb);
		break;
	case DTCP_MSG_SEGMENT:	/* to the passive node, or sent back from it */
	case DTCP_MSG_ABORT:
		if (m.origin == dn->node_id)
			dtcp_active_rcv(dn, &m, skb);
		else
			dtcp_passive_rcv(dn, &m, skb);
		break;
	case DTCP_MSG_PING:
	case DTCP_MSG_PONG:
		dtcp_liveness_rcv(dn, &m);
		break;
	default:
		break;
	}
drop:
	kfree_skb(skb);
	return 0;
}

int dtcp_tunnel_open(struct dtcp_net *dn, u16 port)
{
	struct udp_tunnel_sock_cfg cfg = {};
	struct udp_port_cfg pcfg = {};
	struct socket *sock;
	int ret;

	pcfg.family = AF_INET;
	pcfg.local_ip.s_addr = htonl(INADDR_ANY);
	pcfg.local_udp_port = htons(port);
	ret = udp_sock_create(dn->net, &pcfg, &sock);
	if (ret)
		return ret;
	cfg.sk_user_data = dn;
	cfg.encap_type = 1;
	cfg.encap_rcv = dtcp_tunnel_rcv;
	setup_udp_tunnel_sock(dn->net, sock, &cfg);
	rcu_assign_pointer(dn->tunnel, sock);
	return 0;
}

void dtcp_tunnel_close(struct dtcp_net *dn)
{
	struct socket *sock = rcu_dereference_protected(dn->tunnel, true);

	if (!sock)
		return;
	RCU_INIT_POINTER(dn->tunnel, NULL);
	synchronize_net();
	udp_tunnel_sock_release(sock);
}
