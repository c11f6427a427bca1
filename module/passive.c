// SPDX-License-Identifier: GPL-2.0
/*
 * Passive node (P): serve a handed-off connection for one response.
 *
 * HANDOFF (softirq) -> build worker: Sp through the repair path, queued for
 * the application, HANDOFF_ACK.  Client segments forwarded by A are
 * injected into this namespace's stack, so Sp is a complete TCP endpoint.
 * The application's close is intercepted: no FIN; Sp drains until the
 * client acknowledged every byte, then its final state (and the tail of
 * response bytes not acknowledged yet, if any) goes back in RETURN and Sp is
 * discarded silently.  The client's bytes Sp received and the application
 * did not read are not sent back: the active node kept them (upload.h).
 */
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/tcp.h>

#include "dtcp.h"
#include "conn.h"
#include "handoff.h"
#include "hooks.h"
#include "netns.h"
#include "state.h"
#include "tunnel.h"

#define DTCP_DRAIN_POLL_NS	(200 * NSEC_PER_USEC)
#define DTCP_DRAIN_MAX_S	30	/* give up on the client's ACK after this */
#define DTCP_RETURN_TRIES	12
/*
 * After its socket is gone an entry stays this long (state RETURNED): client
 * segments injected just before may still wait in the receive backlog, and
 * with no entry to silence the tuple the listener would answer them with a
 * reset.  A new hand-off of the same connection cuts it short.
 */
#define DTCP_LINGER_MS		1000
/*
 * The HANDOFF_ACK waits this long after the socket is built: a RETURN sent
 * before then acknowledges the HANDOFF as well, and most responses are
 * served in less, so that a hand-off usually takes three tunnel messages,
 * not four.  Below the active node's first retransmission of the HANDOFF
 * (20 ms); a retransmitted HANDOFF is answered at once.
 */
#define DTCP_ACK_DEFER_NS	(5 * NSEC_PER_MSEC)

static unsigned int dtcp_return_tail_max = 4096;
module_param_named(return_tail_max, dtcp_return_tail_max, uint, 0644);
MODULE_PARM_DESC(return_tail_max, "bytes the passive node may return a connection with before the client "
		 "acknowledged them (the active node sends them again if they were lost); 0: wait for every "
		 "acknowledgement; at most 65535");

/* Whether @tail unacknowledged response bytes may go back with a RETURN. */
static bool dtcp_tail_may_go_back(u32 tail)
{
	return tail <= min(READ_ONCE(dtcp_return_tail_max), 0xffffU);
}

static struct proto dtcp_prot_passive;
static void dtcp_passive_expedite(struct dtcp_conn *c);
static void dtcp_passive_rtx(struct work_struct *w);
static enum hrtimer_restart dtcp_drain_poll(struct hrtimer *t);
static enum hrtimer_restart dtcp_passive_ack_late(struct hrtimer *t);

/*
 * The finish runs on the CPU where the application closed Sp (or, should
 * that CPU be gone, on another), not where the ACK that ends the drain
 * arrived: that softirq runs in whatever task was interrupted, which the
 * finish would then preempt.
 */
static void dtcp_passive_queue_finish(struct dtcp_conn *c)
{
	queue_work_on(c->finish_cpu, dtcp_wq, &c->finish_work);
}

static void dtcp_send_code(struct dtcp_net *dn, u32 peer, u8 type, u32 origin, u32 hid, int code)
{
	__be32 v = htonl(code);
	struct dtcp_part p = { &v, 4 };

	dtcp_tunnel_send(dn, peer, type, origin, hid, &p, 1);
}

/* Refuse the hand-off (origin, hid) of @peer with errno @code. */
static void dtcp_passive_refuse(struct dtcp_net *dn, u32 peer, u32 origin, u32 hid, int code)
{
	dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_REFUSED);
	dtcp_send_code(dn, peer, DTCP_MSG_NACK, origin, hid, code);
}

static void dtcp_inject(struct dtcp_net *dn, struct sk_buff *skb)
{
	dtcp_stat_inc(dn, DTCP_STAT_SEG_INJECTED);
	dtcp_tunnel_inject(dn->net, skb);
}

/* Unlink an entry and drop the hooks' interest in it (process context). */
static void dtcp_passive_unlink(struct dtcp_conn *c)
{
	dtcp_tomb_add(c->dn, c->origin, c->hid);
	if (dtcp_conn_unlink(c))
		dtcp_hooks_need(false);
}

static void dtcp_passive_build(struct work_struct *w)
{
	struct dtcp_conn *c = container_of(w, struct dtcp_conn, work);
	struct dtcp_net *dn = c->dn;
	struct dtcp_conn *old;
	struct socket *sock;
	struct sk_buff *skb;
	int ret, tries;

	for (tries = 0;; tries++) {
		/* Another copy of this HANDOFF was refused meanwhile. */
		if (dtcp_tomb_find(dn, c->origin, c->hid)) {
			atomic_dec(&dn->n_building);
			dtcp_conn_put(c);
			return;
		}
		ret = dtcp_conn_insert(c, GFP_KERNEL);
		if (ret != -EEXIST)
			break;
		old = dtcp_conn_by_key(dn, c->origin, c->hid);
		if (old) {
			/* A duplicate HANDOFF raced with the first: that one answers. */
			atomic_dec(&dn->n_building);
			dtcp_conn_put(old);
			dtcp_conn_put(c);
			return;
		}
		if (tries >= 200)
			break;
		/* The same connection's previous visit here, still waiting for its
		 * RETURN_ACK or lingering: a new HANDOFF means the active node
		 * has it back.  Take its place in one step (the tuple is never
		 * without an entry that silences the stack), then end it.  One
		 * taken back by an ABORT whose socket the application still has
		 * is waited for: its close must find it, and its rtx work holds
		 * no reference before the finish. */
		old = dtcp_conn_by_tuple(dn, &c->tuple);
		if (old && old->role == DTCP_ROLE_PASSIVE && READ_ONCE(old->finished)) {
			ret = dtcp_conn_replace(old, c);
			if (!ret) {
				dtcp_tomb_add(dn, old->origin, old->hid);
				dtcp_hooks_need(false);	/* the old entry's share */
				dtcp_passive_expedite(old);
				dtcp_conn_put(old);
				break;
			}
		}
		if (old)
			dtcp_conn_put(old);
		usleep_range(500, 1000);
	}
	atomic_dec(&dn->n_building);
	/* The limit, for the HANDOFFs the receive path let through while
	 * others were being built: one in the tables now is no copy. */
	if (!ret && atomic_read(&dn->conns_by_tuple.nelems) > READ_ONCE(dtcp_max_conns)) {
		dtcp_tomb_add(dn, c->origin, c->hid);
		dtcp_conn_unlink(c);
		ret = -EBUSY;
	}
	if (ret) {
		/* Refused for good: first the tombstone (no copy is built from
		 * now on), then one that made it in just before answers. */
		dtcp_tomb_add(dn, c->origin, c->hid);
		old = dtcp_conn_by_key(dn, c->origin, c->hid);
		if (old)
			dtcp_conn_put(old);
		else
			dtcp_passive_refuse(dn, c->peer, c->origin, c->hid, EBUSY);
		dtcp_conn_put(c);
		return;
	}
	dtcp_hooks_need(true);
	if (dtcp_tomb_find(dn, c->origin, c->hid)) {
		/* A copy was refused while this one went in: it must not serve. */
		dtcp_passive_unlink(c);
		dtcp_conn_put(c);
		return;
	}
	ret = dtcp_state_build(dn->net, &c->tuple, &c->st, &sock);
	if (!ret && !try_module_get(THIS_MODULE)) {
		sock_release(sock);
		ret = -ENODEV;
	}
	if (ret) {
		pr_warn_ratelimited("dtcp: cannot build a socket for hand-off %u/%u: %d\n",
				    c->origin, c->hid, ret);
		dtcp_passive_refuse(dn, c->peer, c->origin, c->hid,
				    ret == -EADDRINUSE ? EBUSY : ECONNREFUSED);
		dtcp_passive_unlink(c);
		dtcp_conn_put(c);
		return;
	}
	lock_sock(sock->sk);
	WRITE_ONCE(sock->sk->sk_prot, &dtcp_prot_passive);
	release_sock(sock->sk);
	sock_hold(sock->sk);
	c->sk = sock->sk;
	c->captured_snd_nxt = c->st.snd_nxt;

	spin_lock_bh(&c->lock);
	c->sock = sock;
	if (!c->aborted)
		WRITE_ONCE(c->state, DTCP_CONN_QUEUED);
	spin_unlock_bh(&c->lock);
	while ((skb = skb_dequeue(&c->early)))
		dtcp_inject(dn, skb);

	spin_lock_bh(&dn->accept_lock);
	dtcp_conn_get(c);
	list_add_tail(&c->accept_node, &dn->accept_queue);
	spin_unlock_bh(&dn->accept_lock);
	wake_up_interruptible_poll(&dn->accept_wait, EPOLLIN | EPOLLRDNORM);

	/* The work's reference goes to the timer (started once: by the only
	 * build of this entry). */
	hrtimer_start(&c->ack_timer, ns_to_ktime(DTCP_ACK_DEFER_NS), HRTIMER_MODE_REL_SOFT);
	dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_SERVED);
	dtcp_liveness_arm(dn);
}

/* The HANDOFF_ACK, unless the RETURN (or an ABORT) has gone out already. */
static enum hrtimer_restart dtcp_passive_ack_late(struct hrtimer *t)
{
	struct dtcp_conn *c = container_of(t, struct dtcp_conn, ack_timer);
	u8 st = READ_ONCE(c->state);

	if (!READ_ONCE(c->aborted) && !READ_ONCE(c->lost) && !READ_ONCE(c->finished) &&
	    (st == DTCP_CONN_QUEUED || st == DTCP_CONN_SERVING || st == DTCP_CONN_DRAINING))
		dtcp_tunnel_send(c->dn, c->peer, DTCP_MSG_HANDOFF_ACK, c->origin, c->hid, NULL, 0);
	dtcp_conn_put(c);
	return HRTIMER_NORESTART;
}

static void dtcp_passive_handoff(struct dtcp_net *dn, const struct dtcp_msg *m)
{
	struct dtcp_conn *c = dtcp_conn_by_key(dn, m->origin, m->hid);
	int refuse = 0;

	if (c) {
		/* A retransmission: answer again once the first is built. */
		if (m->sender == c->peer)
			dtcp_conn_heard(c);
		if (READ_ONCE(c->state) != DTCP_CONN_BUILDING)
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_HANDOFF_ACK, m->origin, m->hid, NULL, 0);
		dtcp_conn_put(c);
		return;
	}
	if (dtcp_tomb_find(dn, m->origin, m->hid)) {
		/* A late copy of a hand-off that is over: serving it again would
		 * put a stale socket on the wire. */
		dtcp_stat_inc(dn, DTCP_STAT_DROP_STALE);
		return;
	}
	if (m->origin != m->sender || m->laddr != READ_ONCE(dn->vip))
		refuse = EINVAL;
	else if (!READ_ONCE(dn->n_listeners))
		refuse = ECONNREFUSED;
	else if (atomic_read(&dn->n_conns) - atomic_read(&dn->n_building) >=
		 READ_ONCE(dtcp_max_conns))
		/* Not those being built: one may be this HANDOFF's first copy
		 * (the build checks the limit again). */
		refuse = EBUSY;
	if (refuse) {
		dtcp_tomb_add(dn, m->origin, m->hid);	/* a later copy is no better */
		dtcp_passive_refuse(dn, m->sender, m->origin, m->hid, refuse);
		return;
	}
	c = dtcp_conn_alloc(dn, DTCP_ROLE_PASSIVE, dtcp_passive_build, GFP_ATOMIC);
	if (!c)
		return;	/* A retransmits */
	/* Initialised once: an entry can be RETURNED (aborted) before it
	 * is ever queued, and the flush cancels it then. */
	INIT_DELAYED_WORK(&c->rtx, dtcp_passive_rtx);
	hrtimer_init(&c->ack_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	c->ack_timer.function = dtcp_passive_ack_late;
	/* Here, not at the close: the tunnel's receive path may look at it
	 * as soon as the entry is DRAINING. */
	hrtimer_init(&c->drain, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	c->drain.function = dtcp_drain_poll;
	c->tuple.caddr = m->caddr;
	c->tuple.cport = m->cport;
	c->tuple.laddr = m->laddr;
	c->tuple.lport = m->lport;
	c->origin = m->origin;
	c->hid = m->hid;
	c->peer = m->sender;
	c->st = m->state;
	c->state = DTCP_CONN_BUILDING;
	c->heard = jiffies;
	if (m->data_len) {
		c->data = kmemdup(m->data, m->data_len, GFP_ATOMIC);
		if (!c->data) {
			dtcp_conn_put(c);
			return;
		}
		c->data_len = m->data_len;
	}
	atomic_inc(&dn->n_building);
	queue_work(dtcp_wq, &c->work);
}

/* Client segments that reach an entry after its RETURN went out (counted):
 * whether they go back to the active node. */
static bool dtcp_passive_sends_back(struct dtcp_net *dn, struct dtcp_conn *c)
{
	if (READ_ONCE(c->state) != DTCP_CONN_RETURNED || READ_ONCE(c->aborted) ||
	    READ_ONCE(c->lost) || READ_ONCE(c->failed))
		return false;
	dtcp_stat_inc(dn, DTCP_STAT_SEG_RETURNED);
	return true;
}

void dtcp_passive_send_back(struct dtcp_net *dn, struct dtcp_conn *c, struct sk_buff *skb)
{
	if (dtcp_passive_sends_back(dn, c))
		dtcp_tunnel_forward(dn, c, skb);
}

/*
 * A client segment just injected into a draining Sp: if its ACK leaves no
 * more unacknowledged than may go back, end the drain right after Sp has
 * processed it, not at the next poll.  The client's last ACK of a response
 * of several segments is a pure ACK, which no socket callback reports (Sp is
 * an orphan by now).  The segment waits in this CPU's receive backlog, which
 * this softirq runs before the finish's worker can run here; if it has not
 * (the backlog left to ksoftirqd), the finish polls on.
 */
static void dtcp_passive_drain_soon(struct dtcp_conn *c, const struct dtcp_msg *m)
{
	const u8 *d = m->data;
	struct tcphdr th;
	u32 hlen;

	if (m->data_len < sizeof(struct iphdr))
		return;
	hlen = (d[0] & 0xf) * 4;	/* the client's IP header */
	if (hlen < sizeof(struct iphdr) || m->data_len < hlen + sizeof(th))
		return;
	memcpy(&th, d + hlen, sizeof(th));	/* no alignment in a tunnel message */
	if (!th.ack || th.rst)
		return;
	if (!dtcp_tail_may_go_back(READ_ONCE(tcp_sk(c->sk)->write_seq) - ntohl(th.ack_seq)))
		return;
	/* Queued: the timer's reference is ours, for the finish.  Running, or
	 * fired already: the finish is on its way. */
	if (hrtimer_try_to_cancel(&c->drain) == 1) {
		WRITE_ONCE(c->drain_acked, true);
		dtcp_passive_queue_finish(c);
	}
}

static void dtcp_passive_segment(struct dtcp_net *dn, const struct dtcp_msg *m,
				 struct sk_buff *tunnel_skb)
{
	struct dtcp_conn *c = dtcp_conn_by_key(dn, m->origin, m->hid);
	struct sk_buff *skb;
	u8 st;

	if (!c) {
		dtcp_stat_inc(dn, DTCP_STAT_DROP_NO_CONN);
		return;
	}
	st = READ_ONCE(c->state);
	if (m->sender == c->peer)
		dtcp_conn_heard(c);
	if (st == DTCP_CONN_BUILDING || st == DTCP_CONN_QUEUED ||
	    st == DTCP_CONN_SERVING || st == DTCP_CONN_DRAINING) {
		skb = dtcp_tunnel_segment_skb(m, tunnel_skb->dev);
		if (skb) {
			spin_lock(&c->lock);
			if (READ_ONCE(c->state) == DTCP_CONN_BUILDING) {
				if (skb_queue_len(&c->early) < DTCP_EARLY_MAX) {
					dtcp_tunnel_park(skb);
					__skb_queue_tail(&c->early, skb);
				} else
					kfree_skb(skb);
				skb = NULL;
			}
			spin_unlock(&c->lock);
			if (skb) {
				dtcp_inject(dn, skb);
				if (st == DTCP_CONN_DRAINING)
					dtcp_passive_drain_soon(c, m);
			}
		}
	} else if (dtcp_passive_sends_back(dn, c)) {
		/* Forwarded by the active node before our RETURN reached it: it
		 * is not in what we returned.  Dropped, the client would have to
		 * send it again (after at least 200 ms); the active node keeps it
		 * until the connection is home and gives it to Sa. */
		struct dtcp_part p = { m->data, m->data_len };

		dtcp_tunnel_send(dn, c->peer, DTCP_MSG_SEGMENT, c->origin, c->hid, &p, 1);
	}
	dtcp_conn_put(c);
}

/* The RETURN, or the ABORT that replaces it when serving failed. */
static void dtcp_send_return(struct dtcp_net *dn, struct dtcp_conn *c)
{
	struct dtcp_wire_state ws;
	__be32 flags = htonl((c->served ? DTCP_RETURN_SERVED : 0) |
			     (c->client_fin ? DTCP_RETURN_FIN : 0) |
			     c->data_len << DTCP_RETURN_TAIL_SHIFT);	/* all tail */
	__be32 pos[2];
	u32 off = 0;

	if (c->failed) {
		dtcp_send_code(dn, c->peer, DTCP_MSG_ABORT, c->origin, c->hid, c->failed);
		return;
	}
	dtcp_wire_put_state(&ws, &c->st);
	do {
		u32 n = min_t(u32, c->data_len - off, DTCP_WIRE_CHUNK);
		struct dtcp_part parts[] = {
			{ &flags, 4 }, { &ws, sizeof(ws) }, { pos, sizeof(pos) },
			{ c->data + off, n },
		};

		pos[0] = htonl(c->data_len);
		pos[1] = htonl(off);
		dtcp_tunnel_send(dn, c->peer, DTCP_MSG_RETURN, c->origin, c->hid,
				 parts, ARRAY_SIZE(parts));
		off += n;
	} while (off < c->data_len);
}

/* No more RETURNs: the entry lingers, then goes (the rtx work, after @delay).
 * Called with c->lock held. */
static void dtcp_passive_linger(struct dtcp_conn *c, unsigned long delay)
{
	c->rtx_done = true;
	c->lingering = true;
	mod_delayed_work(dtcp_wq, &c->rtx, delay);
}

/*
 * RETURN retransmission until RETURN_ACK, then the linger, then the entry
 * goes.  This work owns a reference from the moment the entry is RETURNED.
 */
static void dtcp_passive_rtx(struct work_struct *w)
{
	struct dtcp_conn *c = container_of(to_delayed_work(w), struct dtcp_conn, rtx);
	struct dtcp_net *dn = c->dn;

	if (READ_ONCE(c->lingering)) {
		/* Whoever queues this work does it under the lock, and not once
		 * retired: after the cancel nothing of it is left pending. */
		spin_lock_bh(&c->lock);
		c->retired = true;
		spin_unlock_bh(&c->lock);
		cancel_delayed_work(&c->rtx);
		dtcp_passive_unlink(c);
		dtcp_conn_put(c);	/* the rtx reference */
		return;
	}
	if (READ_ONCE(c->result) == 1 || c->rtx_count >= DTCP_RETURN_TRIES) {
		if (READ_ONCE(c->result) != 1)
			pr_warn_ratelimited("dtcp: node %u never acknowledged hand-off %u's return\n",
					    c->origin, c->hid);
		/* Once: a late RETURN_ACK must not queue this work again. */
		spin_lock_bh(&c->lock);
		c->rtx_done = true;
		if (!c->lingering)	/* else cut short already */
			dtcp_passive_linger(c, msecs_to_jiffies(DTCP_LINGER_MS));
		spin_unlock_bh(&c->lock);
		return;
	}
	c->rtx_count++;
	dtcp_stat_inc(dn, DTCP_STAT_RETRANSMITS);
	dtcp_send_return(dn, c);
	queue_delayed_work(dtcp_wq, &c->rtx, msecs_to_jiffies(20) << min(c->rtx_count, 6u));
}

/*
 * Before the capture: client segments injected into Sp but not through the
 * stack yet (in the receive backlog, or past the hook on another CPU) would
 * be lost with the socket, and the client would send them again only after
 * its retransmission timeout.  From RETURNED on, the hooks send every such
 * segment back to the active node instead; those past the hook already reach
 * Sp within a grace period.  Out-of-order data that came meanwhile was never
 * acknowledged (the hooks drop what Sp sends from RETURNED on): dropped, the
 * client sends it again.  Called and returns with Sp locked.
 */
static void dtcp_passive_stop_feeding(struct dtcp_conn *c, struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool stop;

	spin_lock_bh(&c->lock);
	stop = !c->aborted;
	if (stop)
		WRITE_ONCE(c->state, DTCP_CONN_RETURNED);
	spin_unlock_bh(&c->lock);
	if (!stop)
		return;
	release_sock(sk);
	dtcp_hooks_sync();
	lock_sock(sk);
	while (READ_ONCE(sk->sk_backlog.tail)) {
		release_sock(sk);
		lock_sock(sk);
	}
	if (!RB_EMPTY_ROOT(&tp->out_of_order_queue)) {
		struct rb_node *n = rb_first(&tp->out_of_order_queue);

		while (n) {
			struct sk_buff *skb = rb_to_skb(n);

			n = rb_next(n);
			rb_erase(&skb->rbnode, &tp->out_of_order_queue);
			kfree_skb(skb);	/* its destructor uncharges Sp */
		}
		tp->ooo_last_skb = NULL;
		if (tp->rx_opt.sack_ok)
			tcp_sack_reset(&tp->rx_opt);
	}
}

/*
 * Sp may go back (lockless here; the finish checks again with Sp locked):
 * every byte sent and at most return_tail_max of them not acknowledged yet
 * (the client delays its ACK of a response's last segment until its next
 * request; the tail goes back with the connection and the request does not
 * wait for the return), and no hole in what was received (out-of-order
 * data would be lost with the socket).  The client's bytes Sp received do
 * not go back: the active node kept them as it sent them (upload.h), so
 * their amount is not limited here.
 */
static bool dtcp_passive_drained(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 tail = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);

	if (tail && (!dtcp_tail_may_go_back(tail) ||
		     READ_ONCE(tp->snd_nxt) != READ_ONCE(tp->write_seq) ||
		     !tcp_write_queue_empty(sk)))
		return false;
	return RB_EMPTY_ROOT(&tp->out_of_order_queue);
}

/* The same with Sp locked, and its state one that can go back. */
static bool dtcp_passive_ready(const struct sock *sk)
{
	return (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	       !tcp_sk(sk)->urg_data && dtcp_passive_drained(sk);
}

/*
 * Client data reached the draining Sp (softirq, Sp locked).  The segment's
 * ACK was processed first: if it was the last one missing, end the drain now
 * rather than at the next poll.  The client's last ACK usually rides on its
 * next request, so this is on that request's critical path.  Pure ACKs wake
 * no one here; the poll catches those.
 */
static void dtcp_passive_data_ready(struct sock *sk)
{
	struct dtcp_conn *c = sk->sk_user_data;

	c->orig_data_ready(sk);
	if (READ_ONCE(c->state) != DTCP_CONN_DRAINING || !dtcp_passive_drained(sk))
		return;
	/* Cancelled while queued: its reference is ours to pass to the work.
	 * Running or done already: it ends the drain itself. */
	if (hrtimer_try_to_cancel(&c->drain) == 1)
		dtcp_passive_queue_finish(c);
}

/* Called with Sp locked (so that no callback runs meanwhile). */
static void dtcp_passive_unhook_data_ready(struct dtcp_conn *c, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_data_ready == dtcp_passive_data_ready) {
		sk->sk_data_ready = c->orig_data_ready;
		sk->sk_user_data = NULL;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/* Worker: Sp drained (or gave up): capture, return, discard silently. */
static void dtcp_passive_finish(struct work_struct *w)
{
	struct dtcp_conn *c = container_of(w, struct dtcp_conn, finish_work);
	struct dtcp_net *dn = c->dn;
	struct sock *sk = c->sk;
	u8 *tail_buf = NULL;
	u32 tail = 0;
	bool aborted;
	int ret = 0;

	lock_sock(sk);
	if (READ_ONCE(c->aborted) || READ_ONCE(c->lost))
		goto discard;
	if (!dtcp_passive_ready(sk) &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	    time_before(jiffies, c->drain_deadline)) {
		/* Raced with a new segment (a hole being filled): poll again. */
		release_sock(sk);
		hrtimer_start(&c->drain, ns_to_ktime(DTCP_DRAIN_POLL_NS), HRTIMER_MODE_REL_SOFT);
		return;
	}
	if (dtcp_passive_ready(sk)) {
		/* Counted once per drain that an ACK ended (the finish may
		 * have polled again since). */
		if (READ_ONCE(c->drain_acked)) {
			WRITE_ONCE(c->drain_acked, false);
			dtcp_stat_inc(dn, DTCP_STAT_DRAIN_ACKED);
		}
		dtcp_passive_stop_feeding(c, sk);
		if (READ_ONCE(c->aborted) || READ_ONCE(c->lost))
			goto discard;
	}
	if (!dtcp_passive_ready(sk))
		ret = sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT ?
		      -ETIMEDOUT : -ECONNRESET;
	else if (tcp_sk(sk)->copied_seq != c->st.rcv_nxt)
		ret = -EPROTO;	/* the application read client bytes */
	if (!ret) {
		/* Still locked since the check: nothing was acknowledged or
		 * sent meanwhile (segments wait in the backlog, and the hooks
		 * drop what Sp sends from RETURNED on). */
		tail = tcp_sk(sk)->write_seq - tcp_sk(sk)->snd_una;
		if (tail) {
			tail_buf = kvmalloc(tail, GFP_KERNEL);
			ret = tail_buf ? dtcp_state_tail(sk, tail_buf, tail) : -ENOMEM;
		}
	}
	if (!ret) {
		c->served = tcp_sk(sk)->snd_nxt != c->captured_snd_nxt;
		c->client_fin = sk->sk_state == TCP_CLOSE_WAIT;
		dtcp_state_capture(sk, &c->st);
		if (tail)
			dtcp_stat_inc(dn, DTCP_STAT_TAIL_RETURNED);
	}
discard:
	/* The work's own reference, taken before the RETURN goes out: from
	 * then on a RETURN_ACK or a new hand-off of the connection may queue
	 * it (nothing can before: the active node does not have it back). */
	c->rtx_count = 0;
	dtcp_conn_get(c);
	/* Under the lock: an ABORT changes nothing once the entry is RETURNED. */
	spin_lock_bh(&c->lock);
	/* Lost: the active node is gone; the client had its reset. */
	aborted = c->aborted || c->lost;
	if (aborted) {
		c->rtx_done = true;	/* nothing to return */
		c->lingering = true;
	}
	/* From here the hooks drop anything still addressed from this tuple. */
	WRITE_ONCE(c->state, DTCP_CONN_RETURNED);
	WRITE_ONCE(c->finished, true);
	spin_unlock_bh(&c->lock);
	dtcp_passive_unhook_data_ready(c, sk);
	/* An orphan that died on its own (reset, retransmissions exhausted)
	 * is destroyed already: tcp_done() once more would free it twice. */
	if (sk->sk_state != TCP_CLOSE) {
		local_bh_disable();
		bh_lock_sock(sk);
		tcp_done(sk);
		bh_unlock_sock(sk);
		local_bh_enable();
	}
	release_sock(sk);

	if (aborted) {
		/* The active node took the connection back: nothing to return. */
		kvfree(tail_buf);
		spin_lock_bh(&c->lock);
		if (!c->retired)
			queue_delayed_work(dtcp_wq, &c->rtx, msecs_to_jiffies(DTCP_LINGER_MS));
		spin_unlock_bh(&c->lock);
		dtcp_conn_put(c);	/* the close reference */
		return;
	}
	if (ret) {
		/* Failed: the connection cannot go back.  The ABORT saying so is
		 * retransmitted like a RETURN until acknowledged: the active
		 * node must not wait for it forever. */
		pr_warn_ratelimited("dtcp: hand-off %u/%u failed on the passive node: %d (state %d, error %d)\n",
				    c->origin, c->hid, ret, sk->sk_state, sk->sk_err);
		c->failed = -ret;
	}
	kvfree(c->data);	/* the request */
	c->data = tail_buf;
	c->data_len = tail;
	/* It may run (on a fast RETURN_ACK) before the first RETURN is out. */
	spin_lock_bh(&c->lock);
	if (!c->lingering)
		queue_delayed_work(dtcp_wq, &c->rtx, msecs_to_jiffies(20));
	spin_unlock_bh(&c->lock);
	dtcp_send_return(dn, c);
	dtcp_conn_put(c);	/* the close reference */
}

static enum hrtimer_restart dtcp_drain_poll(struct hrtimer *t)
{
	struct dtcp_conn *c = container_of(t, struct dtcp_conn, drain);
	bool drained = dtcp_passive_drained(c->sk);

	if (!drained && !READ_ONCE(c->aborted) && !READ_ONCE(c->lost) &&
	    (READ_ONCE(c->sk->sk_state) == TCP_ESTABLISHED ||
	     READ_ONCE(c->sk->sk_state) == TCP_CLOSE_WAIT) &&
	    time_before(jiffies, c->drain_deadline)) {
		hrtimer_forward_now(t, ns_to_ktime(DTCP_DRAIN_POLL_NS));
		return HRTIMER_RESTART;
	}
	dtcp_passive_queue_finish(c);	/* takes over the timer's reference */
	return HRTIMER_NORESTART;
}

/*
 * shutdown() of a served socket (Sp locked, marked by inet_shutdown(): its
 * writes fail with EPIPE from now on).  The connection is not this node's
 * to end: a shutdown for writing sends no FIN (the response ends where the
 * application stopped writing, as at its close); the active node's
 * application decides what becomes of the connection once it is back.
 */
static void dtcp_passive_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		tcp_prot.shutdown(sk, how);
}

/* The application closed Sp: no FIN; drain, then return the connection. */
static void dtcp_passive_close(struct sock *sk, long timeout)
{
	struct dtcp_net *dn = dtcp_net(sock_net(sk));
	const struct inet_sock *inet = inet_sk(sk);
	struct dtcp_tuple t = {
		.caddr = inet->inet_daddr, .cport = inet->inet_dport,
		.laddr = inet->inet_rcv_saddr, .lport = inet->inet_sport,
	};
	struct dtcp_conn *c = dtcp_conn_by_tuple(dn, &t);

	lock_sock(sk);
	WRITE_ONCE(sk->sk_prot, &tcp_prot);
	if (!c || c->role != DTCP_ROLE_PASSIVE || c->sk != sk) {
		release_sock(sk);
		if (c)
			dtcp_conn_put(c);
		tcp_close(sk, timeout);
		module_put(THIS_MODULE);
		return;
	}
	if (sk->sk_state == TCP_CLOSE) {
		/* Died while served (reset by the client, ...): the stack's own
		 * close destroys it; the worker reports the failure. */
		release_sock(sk);
		tcp_close(sk, 0);
	} else {
		/* Like tcp_close(): the protocol owns the orphan from now on. */
		sock_orphan(sk);
		this_cpu_inc(*sk->sk_prot->orphan_count);
		if (!c->aborted)
			WRITE_ONCE(c->state, DTCP_CONN_DRAINING);
		release_sock(sk);
	}

	c->drain_deadline = jiffies + DTCP_DRAIN_MAX_S * HZ;
	c->finish_cpu = raw_smp_processor_id();
	INIT_WORK(&c->finish_work, dtcp_passive_finish);
	/* The socket's module reference goes to the entry: the timer and the
	 * works below run module code until the entry is freed. */
	c->holds_module = true;
	if (READ_ONCE(c->state) == DTCP_CONN_DRAINING) {
		lock_sock(sk);
		write_lock_bh(&sk->sk_callback_lock);
		c->orig_data_ready = sk->sk_data_ready;
		sk->sk_user_data = c;
		sk->sk_data_ready = dtcp_passive_data_ready;
		write_unlock_bh(&sk->sk_callback_lock);
		release_sock(sk);
	}
	hrtimer_start(&c->drain, 0, HRTIMER_MODE_REL_SOFT);	/* keeps our reference */
}

/*
 * A new hand-off of the same connection needs the tuple: no linger.  Only
 * for an entry whose socket is gone (finished, which implies RETURNED): one
 * taken back by an ABORT is RETURNED too, but its Sp is still the
 * application's, and its rtx work holds no reference yet.
 */
static void dtcp_passive_expedite(struct dtcp_conn *c)
{
	spin_lock_bh(&c->lock);
	if (c->finished && !c->retired)
		dtcp_passive_linger(c, 0);
	spin_unlock_bh(&c->lock);
}

/*
 * The active node has the connection back: no more RETURNs, the linger
 * starts now (what the rtx work would do on its next run, without waking
 * it for that).  A retransmission running meanwhile finds its work pending
 * and queues nothing.
 */
static void dtcp_passive_returned(struct dtcp_conn *c)
{
	spin_lock_bh(&c->lock);
	if (READ_ONCE(c->state) == DTCP_CONN_RETURNED && !c->aborted && !c->rtx_done &&
	    !c->lingering && READ_ONCE(c->result) != 1) {
		WRITE_ONCE(c->result, 1);
		dtcp_passive_linger(c, msecs_to_jiffies(DTCP_LINGER_MS));
	}
	spin_unlock_bh(&c->lock);
}

static void dtcp_passive_return_ack(struct dtcp_net *dn, const struct dtcp_msg *m)
{
	struct dtcp_conn *c = dtcp_conn_by_key(dn, m->origin, m->hid);

	if (!c)
		return;
	if (m->sender == c->peer)
		dtcp_passive_returned(c);
	dtcp_conn_put(c);
}

/*
 * The active node gave up waiting for our answer and took the connection
 * back: whatever Sp does from now on must not reach the client.  The hooks
 * silence it (state RETURNED); it is discarded without a RETURN when the
 * application closes it (or at once if nobody accepted it).
 */
static void dtcp_passive_abort(struct dtcp_net *dn, const struct dtcp_msg *m)
{
	struct dtcp_conn *c = dtcp_conn_by_key(dn, m->origin, m->hid);
	u8 st;

	if (!c) {
		/* Before the HANDOFF itself (or after it was refused): a copy
		 * still on its way must not be served. */
		if (m->sender == m->origin)
			dtcp_tomb_add(dn, m->origin, m->hid);
		return;
	}
	spin_lock(&c->lock);
	st = READ_ONCE(c->state);
	if (m->sender == c->peer && !c->aborted && st != DTCP_CONN_RETURNED) {
		c->aborted = true;
		WRITE_ONCE(c->state, DTCP_CONN_RETURNED);
	}
	spin_unlock(&c->lock);
	dtcp_conn_put(c);
}

bool dtcp_passive_in_progress(const struct dtcp_conn *c)
{
	u8 st = READ_ONCE(c->state);

	return st == DTCP_CONN_BUILDING || st == DTCP_CONN_QUEUED ||
	       st == DTCP_CONN_SERVING || st == DTCP_CONN_DRAINING ||
	       (st == DTCP_CONN_RETURNED && !READ_ONCE(c->lingering));
}

/*
 * The active node is gone: nobody will take the connection back.  Sp resets
 * the client (an orphan cannot send one itself: the reset is made from its
 * state) and dies; the application's writes fail with ECONNRESET, and its
 * close (or the drain, if it closed already) ends the entry.
 */
bool dtcp_passive_lost(struct dtcp_conn *c)
{
	struct sock *sk = c->sk;
	bool lost = false;
	u8 st;

	if (!sk)
		return false;	/* still being built */
	lock_sock(sk);
	spin_lock_bh(&c->lock);
	st = READ_ONCE(c->state);
	if (!c->lost && !c->aborted && (st == DTCP_CONN_QUEUED || st == DTCP_CONN_SERVING ||
					 st == DTCP_CONN_DRAINING)) {
		c->lost = true;
		lost = true;
	}
	spin_unlock_bh(&c->lock);
	/* (An orphan is left to the drain, which stops on c->lost and
	 * discards it.) */
	if (lost)
		dtcp_state_reset(sk, &c->tuple, tcp_sk(sk)->snd_nxt);
	release_sock(sk);
	return lost;
}

void dtcp_passive_rcv(struct dtcp_net *dn, const struct dtcp_msg *m, struct sk_buff *skb)
{
	if (m->origin == dn->node_id)
		return;
	switch (m->type) {
	case DTCP_MSG_HANDOFF:
		dtcp_passive_handoff(dn, m);
		break;
	case DTCP_MSG_SEGMENT:
		dtcp_passive_segment(dn, m, skb);
		break;
	case DTCP_MSG_RETURN_ACK:
		dtcp_passive_return_ack(dn, m);
		break;
	case DTCP_MSG_ABORT:
		dtcp_passive_abort(dn, m);
		break;
	default:
		break;
	}
}

/* The next queued hand-off, taken off the queue, or NULL. */
static struct dtcp_conn *dtcp_accept_pop(struct dtcp_net *dn, u32 cap, u32 *need)
{
	struct dtcp_conn *c;

	spin_lock_bh(&dn->accept_lock);
	c = list_first_entry_or_null(&dn->accept_queue, struct dtcp_conn, accept_node);
	if (c && c->data_len > cap) {
		*need = c->data_len;
		c = ERR_PTR(-EMSGSIZE);
	} else if (c) {
		list_del_init(&c->accept_node);
	}
	spin_unlock_bh(&dn->accept_lock);
	return c;
}

/*
 * A blocked accept leaves with hand-offs still queued (it took one, had no
 * room for one, or was interrupted): the wake-up it may have consumed goes
 * to the next blocked one.
 */
static void dtcp_accept_pass_on(struct dtcp_net *dn)
{
	/* Unlocked, like poll's check: a hand-off queued just after it wakes
	 * a waiter itself, and a spurious wake-up costs only a recheck. */
	if (!list_empty_careful(&dn->accept_queue))
		wake_up_interruptible_poll(&dn->accept_wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Take the next queued hand-off: the request is copied to @buf and the
 * socket's file returned in *@filep with a reserved descriptor in acc->fd,
 * not installed yet: the caller installs it once the answer has reached
 * the application, or else releases both (the connection goes back
 * unserved).
 */
long dtcp_passive_accept(struct net *net, struct dtcp_ioc_accept *acc, void __user *buf,
			 struct file **filep)
{
	struct dtcp_net *dn = dtcp_net(net);
	struct dtcp_conn *c;
	struct socket *sock;
	struct file *file;
	u32 need = 0;
	int fd, ret;

	for (;;) {
		c = dtcp_accept_pop(dn, acc->request_cap, &need);
		if (IS_ERR(c)) {
			acc->request_len = need;
			dtcp_accept_pass_on(dn);
			return PTR_ERR(c);
		}
		if (c)
			break;
		if (acc->flags & DTCP_ACCEPT_NONBLOCK)
			return -EAGAIN;
		/* Exclusive: one hand-off wakes one blocked accept, not all. */
		if (wait_event_interruptible_exclusive(dn->accept_wait,
						       !list_empty(&dn->accept_queue))) {
			dtcp_accept_pass_on(dn);
			return -ERESTARTSYS;
		}
	}
	dtcp_accept_pass_on(dn);
	spin_lock_bh(&c->lock);
	sock = c->sock;
	c->sock = NULL;
	if (!c->aborted)
		WRITE_ONCE(c->state, DTCP_CONN_SERVING);
	spin_unlock_bh(&c->lock);
	if (c->aborted) {
		/* Taken back by the active node meanwhile: discard, next one. */
		sock_release(sock);
		dtcp_conn_put(c);
		return dtcp_passive_accept(net, acc, buf, filep);
	}

	ret = -EFAULT;
	if (c->data_len && copy_to_user(buf, c->data, c->data_len))
		goto err_sock;
	fd = get_unused_fd_flags(acc->flags & DTCP_ACCEPT_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_sock;
	}
	file = sock_alloc_file(sock, 0, NULL);	/* releases sock on failure */
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		dtcp_conn_put(c);
		return PTR_ERR(file);
	}
	acc->fd = fd;
	acc->request_len = c->data_len;
	acc->origin_node = c->origin;
	*filep = file;
	dtcp_conn_put(c);	/* the queue's reference */
	return 0;

err_sock:
	sock_release(sock);	/* closes unserved: the connection goes back */
	dtcp_conn_put(c);
	return ret;
}

void dtcp_passive_drop_queue(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);
	struct dtcp_conn *c;
	struct socket *sock;

	for (;;) {
		c = dtcp_accept_pop(dn, U32_MAX, NULL);
		if (IS_ERR_OR_NULL(c))
			return;
		spin_lock_bh(&c->lock);
		sock = c->sock;
		c->sock = NULL;
		if (!c->aborted)
			WRITE_ONCE(c->state, DTCP_CONN_SERVING);
		spin_unlock_bh(&c->lock);
		if (sock)
			sock_release(sock);	/* returns it unserved */
		dtcp_conn_put(c);
	}
}

__poll_t dtcp_passive_poll_mask(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);

	return list_empty_careful(&dn->accept_queue) ? 0 : EPOLLIN | EPOLLRDNORM;
}

void dtcp_passive_flush_one(struct dtcp_conn *c)
{
	if (hrtimer_cancel(&c->ack_timer))
		dtcp_conn_put(c);	/* else it ran: its own put */
	/* Only entries waiting for RETURN_ACK can outlive their socket here. */
	if (READ_ONCE(c->state) == DTCP_CONN_RETURNED && cancel_delayed_work_sync(&c->rtx)) {
		dtcp_passive_unlink(c);
		dtcp_conn_put(c);
	}
}

int __init dtcp_passive_init(void)
{
	dtcp_prot_passive = tcp_prot;
	dtcp_prot_passive.close = dtcp_passive_close;
	dtcp_prot_passive.shutdown = dtcp_passive_shutdown;
	return 0;
}
