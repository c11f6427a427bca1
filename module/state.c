// SPDX-License-Identifier: GPL-2.0
/*
 * TCP state: capture on one node, rebuild or apply on another.
 *
 * The passive node builds its socket through the kernel's own repair path
 * (TCP_REPAIR and friends, as CRIU does), from process context.  The active
 * node cannot re-sequence its established socket through that API
 * (TCP_QUEUE_SEQ needs TCP_CLOSE), so dtcp_state_apply() moves the sequence
 * fields itself, mirroring what the repair code does for a closed socket,
 * while both queues are idle; the returned tail and the client's unread
 * bytes (kept by the active node, upload.h) go in through the repair send
 * and receive queues, the kernel's own code.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/inet_connection_sock.h>
#include <net/route.h>
#include <net/tcp.h>

#include "compat.h"
#include "conn.h"
#include "state.h"

bool dtcp_state_quiescent(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return sk->sk_state == TCP_ESTABLISHED &&
	       tp->snd_una == tp->write_seq && tp->snd_nxt == tp->write_seq &&
	       tcp_write_queue_empty(sk) && tcp_rtx_queue_empty(sk) &&
	       RB_EMPTY_ROOT(&tp->out_of_order_queue) && !tp->urg_data;
}

void dtcp_state_capture(const struct sock *sk, struct dtcp_state *st)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	memset(st, 0, sizeof(*st));
	st->snd_nxt = tp->snd_nxt;
	st->rcv_nxt = tp->rcv_nxt;
	st->snd_wl1 = tp->snd_wl1;
	st->snd_wnd = tp->snd_wnd;
	st->max_window = tp->max_window;
	st->rcv_wnd = tp->rcv_wnd;
	st->rcv_wup = tp->rcv_wup;
	st->mss = tp->rx_opt.mss_clamp;
	if (tp->rx_opt.tstamp_ok) {
		st->flags |= DTCP_ST_TSTAMP;
		/* Never below what the client has seen already. */
		st->tsval = dtcp_tcp_ts_now(tp);
		if (after(dtcp_tcp_ts_sent(tp), st->tsval))
			st->tsval = dtcp_tcp_ts_sent(tp);
		st->ts_recent = tp->rx_opt.ts_recent;
	}
	if (tp->rx_opt.sack_ok)
		st->flags |= DTCP_ST_SACK;
	if (tp->rx_opt.wscale_ok) {
		st->flags |= DTCP_ST_WSCALE;
		st->snd_wscale = tp->rx_opt.snd_wscale;
		st->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	st->snd_cwnd = tcp_snd_cwnd(tp);
	st->srtt_us = tp->srtt_us >> 3;
	if (inet_csk_ack_scheduled(sk))
		st->flags |= DTCP_ST_ACK_DUE;
}

/*
 * The acknowledgement the other socket owed the client (DTCP_ST_ACK_DUE),
 * owed by this one now, and delayed as the stack delays it: a response sent
 * meanwhile carries it, else the delayed-ACK timer sends it.  Without it a
 * request read just before a hand-off would go unacknowledged until the
 * passive application answers, and past the client's retransmission timeout
 * the client would send it again.  Socket locked.
 */
void dtcp_state_ack_due(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)
		return;
	inet_csk_schedule_ack(sk);
	icsk->icsk_ack.ato = TCP_ATO_MIN;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, TCP_ATO_MIN, TCP_DELACK_MAX);
}

static int dtcp_setopt(struct sock *sk, int opt, const void *val, unsigned int len)
{
	/* tcp_setsockopt() itself is not exported on every kernel; tcp_prot is. */
	return tcp_prot.setsockopt(sk, SOL_TCP, opt, KERNEL_SOCKPTR((void *)val), len);
}

static int dtcp_setopt_int(struct sock *sk, int opt, int val)
{
	return dtcp_setopt(sk, opt, &val, sizeof(val));
}

/*
 * A send buffer for the congestion window the connection brought along.  The
 * stack sized it for the initial window when the socket connected (and only
 * grows it as ACKs come in), so a response of more than that would wait for
 * ACKs to free room while the window allows more in flight.  The sizing is
 * the stack's own: twice the window (or what the congestion control asks),
 * counting each segment as a separately allocated one.
 */
static void dtcp_state_fit_sndbuf(struct sock *sk)
{
	const struct tcp_congestion_ops *ca = inet_csk(sk)->icsk_ca_ops;
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 per_seg, segs, factor;
	u64 want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	per_seg = max_t(u32, tp->rx_opt.mss_clamp, tp->mss_cache) + MAX_TCP_HEADER +
		  SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	per_seg = roundup_pow_of_two(per_seg) + SKB_DATA_ALIGN(sizeof(struct sk_buff));
	segs = max_t(u32, max_t(u32, TCP_INIT_CWND, tcp_snd_cwnd(tp)), tp->reordering + 1);
	factor = ca->sndbuf_expand ? ca->sndbuf_expand(sk) : 2;
	want = min_t(u64, (u64)factor * segs * per_seg,
		     READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_wmem[2]));
	if (sk->sk_sndbuf < want)
		WRITE_ONCE(sk->sk_sndbuf, (int)want);
}

/* As tcp_rtt_estimator() does for a first sample of @rtt_us. */
static void dtcp_state_set_rtt(struct sock *sk, u32 rtt_us)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 rto;

	tp->srtt_us = rtt_us << 3;
	tp->mdev_us = rtt_us << 1;
	tp->rttvar_us = max_t(u32, tp->mdev_us, jiffies_to_usecs(TCP_RTO_MIN));
	tp->mdev_max_us = tp->rttvar_us;
	rto = usecs_to_jiffies(rtt_us + tp->rttvar_us);
	inet_csk(sk)->icsk_rto = clamp_t(u32, rto, TCP_RTO_MIN, TCP_TIMEOUT_INIT);
}

int dtcp_state_build(struct net *net, const struct dtcp_tuple *t,
		     const struct dtcp_state *st, struct socket **res)
{
	struct tcp_repair_opt opts[4];
	struct tcp_repair_window win;
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct sockaddr_in peer = { .sin_family = AF_INET };
	struct socket *sock;
	struct sock *sk;
	int n = 0, ret;

	/* A user socket (kern = 0): it holds its namespace and becomes an fd. */
	ret = __sock_create(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock, 0);
	if (ret)
		return ret;
	sk = sock->sk;

	ret = dtcp_setopt_int(sk, TCP_REPAIR, TCP_REPAIR_ON);
	if (ret)
		goto err;
	ret = dtcp_setopt_int(sk, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!ret)
		ret = dtcp_setopt_int(sk, TCP_QUEUE_SEQ, st->snd_nxt);
	if (!ret)
		ret = dtcp_setopt_int(sk, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE);
	if (!ret)
		ret = dtcp_setopt_int(sk, TCP_QUEUE_SEQ, st->rcv_nxt);
	if (!ret)
		ret = dtcp_setopt_int(sk, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	if (!ret && (st->flags & DTCP_ST_TSTAMP))
		ret = dtcp_setopt_int(sk, TCP_TIMESTAMP, dtcp_repair_tsval(st->tsval));
	if (ret)
		goto err;

	/* Repair mode forces address reuse: the listener on the port is no obstacle. */
	local.sin_addr.s_addr = t->laddr;
	local.sin_port = t->lport;
	peer.sin_addr.s_addr = t->caddr;
	peer.sin_port = t->cport;
	ret = kernel_bind(sock, (struct sockaddr *)&local, sizeof(local));
	if (ret)
		goto err;
	/* connect() derives the segment size from the MSS clamp, which would
	 * be the default (536) until TCP_REPAIR_OPTIONS sets the client's,
	 * too late: nothing derives it again while the path's MTU stays the
	 * same, and the socket would send a third of what each segment can
	 * carry.  As a user MSS the client's clamps it from the start; the
	 * user setting is not kept (the application did not ask for it). */
	lock_sock(sk);
	tcp_sk(sk)->rx_opt.user_mss = st->mss;
	release_sock(sk);
	ret = kernel_connect(sock, (struct sockaddr *)&peer, sizeof(peer), 0);
	lock_sock(sk);
	tcp_sk(sk)->rx_opt.user_mss = 0;
	release_sock(sk);
	if (ret)
		goto err;

	opts[n].opt_code = TCPOPT_MSS;
	opts[n++].opt_val = st->mss;
	if (st->flags & DTCP_ST_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = st->snd_wscale | (st->rcv_wscale << 16);
	}
	if (st->flags & DTCP_ST_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (st->flags & DTCP_ST_TSTAMP) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	ret = dtcp_setopt(sk, TCP_REPAIR_OPTIONS, opts, n * sizeof(opts[0]));
	if (ret)
		goto err;

	win.snd_wl1 = st->snd_wl1;
	win.snd_wnd = st->snd_wnd;
	win.max_window = st->max_window;
	win.rcv_wnd = st->rcv_wnd;
	win.rcv_wup = st->rcv_wup;
	ret = dtcp_setopt(sk, TCP_REPAIR_WINDOW, &win, sizeof(win));
	if (ret)
		goto err;

	/* What the repair API does not carry: ts_recent, the congestion window
	 * and the RTT estimate (without it the first timeout would be 1 s). */
	lock_sock(sk);
	if (st->flags & DTCP_ST_TSTAMP) {
		tcp_sk(sk)->rx_opt.ts_recent = st->ts_recent;
		tcp_sk(sk)->rx_opt.ts_recent_stamp = ktime_get_seconds();
	}
	if (st->snd_cwnd > tcp_snd_cwnd(tcp_sk(sk)))
		tcp_snd_cwnd_set(tcp_sk(sk), min_t(u32, st->snd_cwnd, tcp_sk(sk)->snd_cwnd_clamp));
	dtcp_state_fit_sndbuf(sk);
	if (st->srtt_us)
		dtcp_state_set_rtt(sk, st->srtt_us);
	release_sock(sk);

	ret = dtcp_setopt_int(sk, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP);
	if (ret)
		goto err;
	if (st->flags & DTCP_ST_ACK_DUE) {
		lock_sock(sk);
		dtcp_state_ack_due(sk);
		release_sock(sk);
	}
	*res = sock;
	return 0;
err:
	/* Still in repair mode, or never connected: release sends nothing. */
	sock_release(sock);
	return ret;
}

/*
 * Move a frozen socket's sequence space to where the passive node left it.
 * Mirrors tcp_connect_init() after TCP_QUEUE_SEQ for a repaired socket: the
 * send side is idle (quiescent) and the receive side got nothing while the
 * connection was away (every client segment went to the passive node).
 */
static void dtcp_state_move(struct sock *sk, const struct dtcp_state *st, u32 tail_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 seq = st->snd_nxt - tail_len;	/* the tail is sent again below */

	WRITE_ONCE(tp->write_seq, seq);
	WRITE_ONCE(tp->snd_nxt, seq);
	tp->snd_una = seq;
	tp->snd_sml = seq;
	tp->snd_up = seq;
	tp->pushed_seq = seq;
	tp->high_seq = seq;
	tp->undo_marker = 0;
	tp->retrans_stamp = 0;
	tp->tlp_high_seq = 0;
	tp->rx_opt.num_sacks = 0;
	tp->rx_opt.dsack = 0;
	tp->snd_wl1 = st->snd_wl1;
	tp->snd_wnd = st->snd_wnd;
	tp->max_window = max(tp->max_window, st->max_window);
	if (st->snd_cwnd)
		tcp_snd_cwnd_set(tp, min_t(u32, st->snd_cwnd, tp->snd_cwnd_clamp));
	dtcp_state_fit_sndbuf(sk);
	tp->rcv_tstamp = tcp_jiffies32;
	tp->lsndtime = tcp_jiffies32;
	if (tp->rx_opt.tstamp_ok) {
		/* Continue from the passive node's clock: TSval never goes back. */
		WRITE_ONCE(tp->tsoffset, st->tsval + 1 - dtcp_tcp_ts_raw(tp));
		/* The socket's cached clock is from before the freeze: with the
		 * new offset it would date the next segment back by the time the
		 * connection was away.  Refreshed, as the stack does before sending. */
		tp->tcp_clock_cache = tcp_clock_ns();
		tp->tcp_mstamp = div_u64(tp->tcp_clock_cache, NSEC_PER_USEC);
		tp->rx_opt.ts_recent = st->ts_recent;
		tp->rx_opt.ts_recent_stamp = ktime_get_seconds();
	}
	/* A delayed ACK Sa had pending at the freeze, whose timer has not
	 * fired yet, is stale: the passive socket acknowledged the client
	 * since, and what it owed comes with the state (DTCP_ST_ACK_DUE,
	 * scheduled once Sa is home).  As if Sa had just sent it: the timer
	 * finds nothing pending. */
	inet_csk_clear_xmit_timer(sk, ICSK_TIME_DACK);
}

/*
 * Through the repair path's queue @queue (process context, repair mode on):
 * the receive queue takes the bytes as received, the send queue as sent and
 * not acknowledged (queued for retransmission, the timer armed, nothing
 * transmitted).  The kernel's own code: tcp_send_rcvq(), tcp_write_xmit().
 */
static int dtcp_state_repair_queue(struct sock *sk, int queue, const u8 *buf, u32 len)
{
	u32 done = 0;
	int ret;

	ret = dtcp_setopt_int(sk, TCP_REPAIR_QUEUE, queue);
	while (!ret && done < len) {
		struct kvec kv = {
			.iov_base = (void *)(buf + done),
			.iov_len = min_t(u32, len - done, 65536),
		};
		struct msghdr msg = {};
		int n;

		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &kv, 1, kv.iov_len);
		n = tcp_sendmsg(sk, &msg, kv.iov_len);
		if (n <= 0)
			ret = n ? n : -ENOMEM;
		else
			done += n;
	}
	return ret;
}

int dtcp_state_apply(struct sock *sk, const struct dtcp_state *st,
		     const u8 *unread, u32 unread_len, const u8 *tail, u32 tail_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned char reuse, shut;
	int ret = 0, rcvbuf;

	lock_sock(sk);
	if (!dtcp_state_quiescent(sk)) {
		release_sock(sk);
		return -ENOTCONN;
	}
	if (st->rcv_nxt - tp->rcv_nxt != unread_len) {
		/* The passive node lost or consumed client bytes. */
		release_sock(sk);
		return -EPROTO;
	}
	dtcp_state_move(sk, st, tail_len);
	reuse = sk->sk_reuse;
	/* A shutdown for writing made while away (its FIN is sent once the
	 * connection is home) would refuse the tail: lifted meanwhile. */
	shut = sk->sk_shutdown & SEND_SHUTDOWN;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown & ~SEND_SHUTDOWN);
	/* The passive socket acknowledged the unread bytes: Sa takes them
	 * all, even past a receive buffer the application locked smaller
	 * (an unlocked one the stack would grow itself).  The buffer's size
	 * is put back afterwards; the window stays shut until they are read. */
	rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	if (unread_len)
		WRITE_ONCE(sk->sk_rcvbuf,
			   max_t(int, rcvbuf, atomic_read(&sk->sk_rmem_alloc) + 2 * unread_len + 65536));
	release_sock(sk);

	/* The tail and the unread client bytes: through the repair queues. */
	if (unread_len || tail_len) {
		ret = dtcp_setopt_int(sk, TCP_REPAIR, TCP_REPAIR_ON);
		if (!ret && tail_len)
			ret = dtcp_state_repair_queue(sk, TCP_SEND_QUEUE, tail, tail_len);
		if (!ret && unread_len)
			ret = dtcp_state_repair_queue(sk, TCP_RECV_QUEUE, unread, unread_len);
		dtcp_setopt_int(sk, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
		dtcp_setopt_int(sk, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP);
	}

	lock_sock(sk);
	WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
	sk->sk_reuse = reuse;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | shut);
	if (!ret && (tp->rcv_nxt != st->rcv_nxt || tp->snd_nxt != st->snd_nxt ||
		     tp->write_seq != st->snd_nxt))
		ret = -EPROTO;
	if (!ret) {
		/* The window the client was last told, never less. */
		tp->rcv_wup = st->rcv_wup;
		tp->rcv_wnd = st->rcv_wnd;
	}
	release_sock(sk);
	return ret;
}

int dtcp_state_tail(const struct sock *sk, u8 *buf, u32 len)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 seq = tp->snd_nxt - len, got = 0;
	struct sk_buff *skb;

	if (!tcp_write_queue_empty(sk) || after(seq, tp->snd_nxt) || before(seq, tp->snd_una))
		return -EPROTO;
	/* In sequence order; the tail may start inside an skb. */
	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		u32 start = TCP_SKB_CB(skb)->seq, end = start + skb->len;
		u32 n;

		if (got == len)
			break;
		if (!after(end, seq))
			continue;
		if (after(start, seq))
			return -EPROTO;	/* a hole: cannot happen */
		n = min(end - seq, len - got);
		if (skb_copy_bits(skb, seq - start, buf + got, n))
			return -EFAULT;
		got += n;
		seq += n;
	}
	return got == len ? 0 : -EPROTO;
}

/*
 * The client's FIN reached the passive node, which acknowledged it; the
 * client will not send it again.  Give the active node's stack the same FIN
 * (a segment built from the connection's own state) so that its socket moves
 * to CLOSE_WAIT and the application reads EOF, as after any FIN.
 */
bool dtcp_state_inject_fin(struct sock *sk, int ifindex)
{
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	unsigned int optlen = tp->rx_opt.tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0;
	unsigned int len = sizeof(struct iphdr) + sizeof(struct tcphdr) + optlen;
	struct net_device *dev;
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	bool queued = false;

	dev = dev_get_by_index(sock_net(sk), ifindex);
	if (!dev)
		return false;
	skb = netdev_alloc_skb_ip_align(dev, len);
	if (!skb)
		goto out;
	skb_put(skb, len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, sizeof(*iph));
	iph = ip_hdr(skb);
	memset(iph, 0, len);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(len);
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = inet->inet_daddr;
	iph->daddr = inet->inet_rcv_saddr;
	ip_send_check(iph);
	th = tcp_hdr(skb);
	th->source = inet->inet_dport;
	th->dest = inet->inet_sport;
	th->seq = htonl(tp->rcv_nxt);
	th->ack_seq = htonl(tp->snd_nxt);
	th->doff = (sizeof(*th) + optlen) / 4;
	th->ack = 1;
	th->fin = 1;
	th->window = htons(min_t(u32, tp->snd_wnd >> tp->rx_opt.snd_wscale, 65535));
	if (optlen) {
		__be32 *opt = (__be32 *)(th + 1);

		/* The client's last TSval (never older than ts_recent: PAWS). */
		opt[0] = htonl(TCPOPT_NOP << 24 | TCPOPT_NOP << 16 |
			       TCPOPT_TIMESTAMP << 8 | TCPOLEN_TIMESTAMP);
		opt[1] = htonl(tp->rx_opt.ts_recent);
		opt[2] = htonl(dtcp_tcp_ts_now(tp));
	}
	th->check = tcp_v4_check(sizeof(*th) + optlen, iph->saddr, iph->daddr,
				 csum_partial(th, sizeof(*th) + optlen, 0));
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb_reset_mac_header(skb);
	queued = netif_rx(skb) == NET_RX_SUCCESS;
out:
	dev_put(dev);
	return queued;
}

/*
 * Send the client a bare segment from (@laddr, @lport), not through a
 * socket: a reset (@rst; a reset carries no timestamp, so PAWS does not
 * apply to it), or an ACK, with the timestamps @ts[0], @ts[1] if @ts.
 */
static int dtcp_state_send_bare(struct net *net, const struct dtcp_tuple *t, u32 seq, u32 ack,
				bool rst, const u32 *ts)
{
	unsigned int thlen = sizeof(struct tcphdr) + (ts ? TCPOLEN_TSTAMP_ALIGNED : 0);
	struct flowi4 fl4 = {};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	fl4.daddr = t->caddr;
	fl4.saddr = t->laddr;
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.fl4_sport = t->lport;
	fl4.fl4_dport = t->cport;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb = alloc_skb(MAX_TCP_HEADER, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	skb_reserve(skb, MAX_TCP_HEADER);
	th = skb_push(skb, thlen);
	skb_reset_transport_header(skb);
	memset(th, 0, thlen);
	th->source = t->lport;
	th->dest = t->cport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = thlen / 4;
	th->rst = rst;
	th->ack = 1;
	if (ts) {
		__be32 *opt = (__be32 *)(th + 1);

		opt[0] = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		opt[1] = htonl(ts[0]);
		opt[2] = htonl(ts[1]);
	}
	th->check = tcp_v4_check(thlen, t->laddr, t->caddr, csum_partial(th, thlen, 0));
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(skb->len);
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = t->laddr;
	iph->daddr = t->caddr;
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
	skb->ip_summed = CHECKSUM_NONE;
	skb_dst_set(skb, &rt->dst);
	return ip_local_out(net, NULL, skb);
}

/*
 * Send the client a reset with sequence number @seq: the client accepts it
 * when @seq is exactly what it expects next.  For a socket that cannot send
 * one itself (an orphan, or one whose sequence numbers are stale).
 */
int dtcp_state_send_reset(struct net *net, const struct dtcp_tuple *t, u32 seq, u32 ack)
{
	return dtcp_state_send_bare(net, t, seq, ack, true, NULL);
}

void dtcp_state_reset(struct sock *sk, const struct dtcp_tuple *t, u32 seq)
{
	local_bh_disable();
	bh_lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE) {
		const struct tcp_sock *tp = tcp_sk(sk);
		u32 ts[2] = { dtcp_tcp_ts_now(tp), tp->rx_opt.ts_recent };

		dtcp_state_send_reset(sock_net(sk), t, seq, tp->rcv_nxt);
		/* Should the client have received more than @seq says by the
		 * time the reset arrives (data queued on its way), it drops it
		 * unseen.  A segment before its window makes it say where it
		 * is (a duplicate ACK); with no socket for the tuple any more,
		 * the stack answers that with a reset exactly in sequence. */
		dtcp_state_send_bare(sock_net(sk), t, seq - 1, tp->rcv_nxt, false,
				     tp->rx_opt.tstamp_ok ? ts : NULL);
		if (!sock_flag(sk, SOCK_DEAD)) {
			WRITE_ONCE(sk->sk_err, ECONNRESET);
			sk_error_report(sk);
			tcp_done(sk);
		}
	}
	bh_unlock_sock(sk);
	local_bh_enable();
}
