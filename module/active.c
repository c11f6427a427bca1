// SPDX-License-Identifier: GPL-2.0
/*
 * Active node (A): hand a connection out and take it back.
 *
 * dtcp_active_handoff() runs in the application's thread: it waits for the
 * socket to be quiescent, freezes it (the hooks divert the client's
 * segments and silence the socket), captures its state, sends HANDOFF and
 * waits for the answer, then for the RETURN, which it applies itself (a
 * worker applies a take-back, and a RETURN whose caller gave up waiting).
 */
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/tcp.h>

#include "dtcp.h"
#include "compat.h"
#include "conn.h"
#include "handoff.h"
#include "hooks.h"
#include "netlink.h"
#include "netns.h"
#include "state.h"
#include "tunnel.h"
#include "upload.h"

#define DTCP_QUIESCE_MS		2000	/* how long to wait for the last ACK */
#define DTCP_ANSWER_MS		3000	/* default wait for HANDOFF_ACK/NACK */
#define DTCP_RTO_MIN_MS		20
/* Shorter answer timeouts count as this: the passive node answers a
 * HANDOFF up to 5 ms late (passive.c, DTCP_ACK_DEFER_NS). */
#define DTCP_ANSWER_MIN_MS	20

static struct proto dtcp_prot_active;
static void dtcp_active_apply(struct work_struct *w);
static void dtcp_active_apply_conn(struct dtcp_conn *c);

/* Answers to a HANDOFF, kept in conn->result while state is HANDING. */
#define DTCP_ANSWER_NONE	1

static void dtcp_tuple_of(const struct sock *sk, struct dtcp_tuple *t)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(t, 0, sizeof(*t));
	t->caddr = inet->inet_daddr;
	t->cport = inet->inet_dport;
	t->laddr = inet->inet_rcv_saddr;
	t->lport = inet->inet_sport;
}

static struct dtcp_conn *dtcp_conn_of_sock(const struct sock *sk)
{
	struct dtcp_tuple t;

	dtcp_tuple_of(sk, &t);
	return dtcp_conn_by_tuple(dtcp_net(sock_net(sk)), &t);
}

static bool dtcp_away(const struct dtcp_conn *c)
{
	return READ_ONCE(c->state) != 0;
}

/* Writes wait while the connection is away (or fail with EAGAIN). */
static int dtcp_wait_home(struct sock *sk, int flags)
{
	struct dtcp_conn *c = dtcp_conn_of_sock(sk);
	int ret = 0;

	if (!c)
		return 0;
	if (dtcp_away(c)) {
		if (!sock_sndtimeo(sk, flags & MSG_DONTWAIT))
			ret = -EAGAIN;
		else if (wait_event_interruptible(c->wait, !dtcp_away(c)))
			ret = -ERESTARTSYS;
	}
	dtcp_conn_put(c);
	return ret;
}

static int dtcp_active_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int ret = dtcp_wait_home(sk, msg->msg_flags);

	return ret ? ret : tcp_prot.sendmsg(sk, msg, size);
}

#ifdef DTCP_HAVE_SENDPAGE
static int dtcp_active_sendpage(struct sock *sk, struct page *page, int offset,
				size_t size, int flags)
{
	int ret = dtcp_wait_home(sk, flags);

	return ret ? ret : tcp_prot.sendpage(sk, page, offset, size, flags);
}
#endif

/*
 * Keepalive while away.  Sa hears nothing from the client while the passive
 * node serves it: its keepalive timer would probe (the hooks drop the
 * probes as a frozen socket's) and, its probes unanswered, end the
 * connection under the passive node.  The timer stops at the capture and
 * starts again once the connection is home, which counts as hearing from
 * the client; an application that turns keepalive on, or sets TCP_KEEPIDLE,
 * meanwhile gets its timer from the return on.  Stop: with Sa locked.
 */
static void dtcp_keepalive_stop(struct sock *sk)
{
	if (sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_delete_keepalive_timer(sk);
}

/*
 * Back home, after the unfreeze (it locks Sa): what the application asked
 * for while the connection was away, and what its setsockopt() or
 * shutdown() in between (which saw the connection away) left undone.  The
 * keepalive timer starts again if it was stopped (@keepalive); the
 * acknowledgement the passive socket owed the client is owed here (@ack_due);
 * a shutdown for writing sends its FIN now, after whatever the passive node
 * sent.
 */
static void dtcp_active_home(struct sock *sk, bool keepalive, bool ack_due)
{
	lock_sock(sk);
	if (ack_due)
		dtcp_state_ack_due(sk);
	if (keepalive) {
		inet_csk(sk)->icsk_probes_out = 0;
		if (sock_flag(sk, SOCK_KEEPOPEN) && sk->sk_state == TCP_ESTABLISHED)
			inet_csk_reset_keepalive_timer(sk, keepalive_time_when(tcp_sk(sk)));
	}
	/* Only a deferred shutdown leaves an established socket so marked. */
	if ((sk->sk_shutdown & SEND_SHUTDOWN) && sk->sk_state == TCP_ESTABLISHED)
		tcp_prot.shutdown(sk, SEND_SHUTDOWN);
	release_sock(sk);
}

static bool dtcp_sock_away(struct sock *sk)
{
	struct dtcp_conn *c = dtcp_conn_of_sock(sk);
	bool away = c && dtcp_away(c);

	if (c)
		dtcp_conn_put(c);
	return away;
}

/* SO_KEEPALIVE (Sa locked): while away, the flag only. */
static void dtcp_active_keepalive(struct sock *sk, int val)
{
	if (val && dtcp_sock_away(sk))
		return;
	tcp_prot.keepalive(sk, val);
}

/*
 * shutdown() (Sa locked, by inet_shutdown(), which has marked the socket:
 * later writes fail with EPIPE).  While away, a FIN would be dropped and the
 * socket would leave the state the return needs: it waits for
 * dtcp_active_home().
 */
static void dtcp_active_shutdown(struct sock *sk, int how)
{
	if ((how & SEND_SHUTDOWN) && dtcp_sock_away(sk))
		return;
	tcp_prot.shutdown(sk, how);
}

/* TCP_KEEPIDLE arms the keepalive timer: not while away. */
static int dtcp_active_setsockopt(struct sock *sk, int level, int optname,
				  sockptr_t optval, unsigned int optlen)
{
	int ret = tcp_prot.setsockopt(sk, level, optname, optval, optlen);

	if (!ret && level == SOL_TCP && optname == TCP_KEEPIDLE) {
		lock_sock(sk);
		if (dtcp_sock_away(sk))
			dtcp_keepalive_stop(sk);
		release_sock(sk);
	}
	return ret;
}

/* Give the socket back its own proto; the entry goes with it. */
static void dtcp_active_release(struct dtcp_conn *c)
{
	struct sock *sk = c->sk;
	bool had;

	lock_sock(sk);
	had = c->orig_prot != NULL;
	if (had) {
		WRITE_ONCE(sk->sk_prot, c->orig_prot);
		c->orig_prot = NULL;
	}
	release_sock(sk);
	dtcp_conn_unlink(c);
	if (had)
		module_put(THIS_MODULE);
}

static void dtcp_active_close(struct sock *sk, long timeout)
{
	struct dtcp_conn *c = dtcp_conn_of_sock(sk);
	bool deferred = false;

	if (c) {
		if (c->role == DTCP_ROLE_ACTIVE) {
			spin_lock_bh(&c->lock);
			if (dtcp_away(c))
				deferred = c->close_pending = true;
			spin_unlock_bh(&c->lock);
			if (deferred) {
				/* The file goes now; the connection is served
				 * elsewhere and closed when it is back (the
				 * apply worker finishes this close). */
				lock_sock(sk);
				sock_orphan(sk);
				release_sock(sk);
			} else {
				dtcp_active_release(c);
			}
		}
		dtcp_conn_put(c);
		if (deferred)
			return;
	}
	/* The proto is tcp_prot again (or was never ours). */
	tcp_prot.close(sk, timeout);
}

/* Back home: the hooks stop diverting, writers and the caller wake up. */
static void dtcp_unfreeze(struct dtcp_conn *c)
{
	WRITE_ONCE(c->state, 0);
	dtcp_upload_free(c);
	dtcp_hooks_need(false);
	dtcp_live_dec(DTCP_CNT_HANDOFFS);
	wake_up_all(&c->wait);
}

/* The segments dtcp_active_segment() kept: to Sa if @home, else dropped.
 * After the unfreeze: from then on none is queued. */
static void dtcp_active_flush_early(struct dtcp_conn *c, bool home)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	spin_lock_bh(&c->lock);
	skb_queue_splice_init(&c->early, &q);
	spin_unlock_bh(&c->lock);
	while ((skb = __skb_dequeue(&q))) {
		if (home)
			dtcp_tunnel_inject(c->dn->net, skb);
		else
			kfree_skb(skb);
	}
}

static int dtcp_wait_quiescent(struct sock *sk, unsigned long deadline)
{
	for (;;) {
		bool q;

		lock_sock(sk);
		q = dtcp_state_quiescent(sk);
		release_sock(sk);
		if (q)
			return 0;
		if (sk->sk_state != TCP_ESTABLISHED)
			return -ENOTCONN;
		if (time_after(jiffies, deadline))
			return -EBUSY;
		if (signal_pending(current))
			return -EINTR;
		usleep_range(200, 500);
	}
}

static int dtcp_send_handoff(struct dtcp_net *dn, struct dtcp_conn *c,
			     const void *request, u32 len)
{
	struct dtcp_wire_tuple wt = {
		.caddr = c->tuple.caddr, .laddr = c->tuple.laddr,
		.cport = c->tuple.cport, .lport = c->tuple.lport,
	};
	struct dtcp_wire_state ws;
	__be32 rlen = htonl(len);
	struct dtcp_part parts[] = {
		{ &wt, sizeof(wt) }, { &ws, sizeof(ws) }, { &rlen, 4 }, { request, len },
	};

	dtcp_wire_put_state(&ws, &c->st);
	return dtcp_tunnel_send(dn, c->peer, DTCP_MSG_HANDOFF, c->origin, c->hid,
				parts, ARRAY_SIZE(parts));
}

/*
 * The waiting caller's side of a RETURN's hand-over (dtcp_active_return()):
 * one handed to it is applied in its own context, no worker to wake on the
 * return's path; true if there was one.  @leaving: it stops waiting, so
 * from now on the worker applies a RETURN, also one handed over as it gave
 * up (a fatal signal, a timeout).
 */
static bool dtcp_active_take_return(struct dtcp_conn *c, bool leaving)
{
	bool ready;

	spin_lock_bh(&c->lock);
	ready = c->apply_ready;
	c->apply_ready = false;
	if (leaving)
		c->applier = false;
	spin_unlock_bh(&c->lock);
	if (!ready)
		return false;
	if (!leaving)
		dtcp_active_apply_conn(c);
	else if (!queue_work(dtcp_wq, &c->work))
		dtcp_conn_put(c);
	return true;
}

/*
 * One attempt.  *@again: the socket stopped being quiescent between the
 * wait and the freeze; nothing was sent, the connection is as it was, and
 * the caller starts over (the wait ends at @quiet_by).
 */
static long dtcp_do_handoff(struct dtcp_net *dn, struct sock *sk, u32 node,
			    const void *request, u32 len, unsigned int answer_ms,
			    unsigned long quiet_by, bool *again)
{
	struct dtcp_conn *c;
	unsigned long deadline, rto;
	struct dtcp_tuple t;
	bool fresh = false, captured = false;
	long ret;
	u32 hid;

	ret = dtcp_wait_quiescent(sk, quiet_by);
	if (ret)
		return ret;

	dtcp_tuple_of(sk, &t);
	c = dtcp_conn_by_tuple(dn, &t);
	if (c && (c->role != DTCP_ROLE_ACTIVE || dtcp_away(c))) {
		dtcp_conn_put(c);
		return -EBUSY;
	}
	do {
		hid = atomic_inc_return(&dn->next_conn_id);
	} while (!hid);
	if (!c) {
		if (atomic_read(&dn->n_conns) >= READ_ONCE(dtcp_max_conns))
			return -EBUSY;	/* the table is full */
		c = dtcp_conn_alloc(dn, DTCP_ROLE_ACTIVE, dtcp_active_apply, GFP_KERNEL);
		if (!c)
			return -ENOMEM;
		c->tuple = t;
		c->origin = dn->node_id;
		c->hid = hid;
		sock_hold(sk);
		c->sk = sk;
		fresh = true;
	}
	c->peer = node;
	c->result = DTCP_ANSWER_NONE;
	/* Silence is counted from this hand-off on, not from the last message
	 * of an earlier one (or never, for a new entry): else the liveness
	 * work could take back a hand-off whose peer has just answered. */
	WRITE_ONCE(c->heard, jiffies);
	c->lost = false;
	c->client_acked = false;
	c->reset_sent = false;
	/* Sa has received up to here at least (the hooks may still pass it a
	 * segment until the sync below): the client's bytes from here on are
	 * kept as they go to the passive node. */
	dtcp_upload_start(c, READ_ONCE(tcp_sk(sk)->rcv_nxt));
	/* From here on the hooks divert the client's segments and drop Sa's. */
	WRITE_ONCE(c->state, DTCP_CONN_FREEZING);
	dtcp_hooks_need(true);
	dtcp_live_inc(DTCP_CNT_HANDOFFS);
	ret = fresh ? dtcp_conn_insert(c, GFP_KERNEL) : dtcp_conn_rekey(c, hid);
	if (ret) {
		dtcp_unfreeze(c);
		if (!fresh)	/* ours since an earlier hand-off: shutdown() deferred */
			dtcp_active_home(sk, false, false);
		if (fresh) {
			c->sk = NULL;
			sock_put(sk);
		}
		dtcp_conn_put(c);
		return ret == -EEXIST ? -EBUSY : ret;
	}
	if (!c->orig_prot) {
		if (!try_module_get(THIS_MODULE)) {
			ret = -ENODEV;
			goto unfreeze;
		}
		lock_sock(sk);
		c->orig_prot = sk->sk_prot;
		WRITE_ONCE(sk->sk_prot, &dtcp_prot_active);
		release_sock(sk);
	}
	/* Segments that passed the hook before the freeze are done with Sa now
	 * (expedited where it waits: this is on every hand-off's critical path). */
	dtcp_hooks_sync();

	lock_sock(sk);
	if (!dtcp_state_quiescent(sk)) {
		release_sock(sk);
		/* A client segment that had passed the hook before the freeze
		 * reached Sa since the wait: out of order (a hole before it) or
		 * urgent.  Not a failure: the caller waits for quiescence again. */
		ret = sk->sk_state == TCP_ESTABLISHED ? -EBUSY : -ENOTCONN;
		*again = ret == -EBUSY;
		goto unfreeze;
	}
	dtcp_state_capture(sk, &c->st);
	dtcp_keepalive_stop(sk);
	captured = true;
	WRITE_ONCE(c->state, DTCP_CONN_HANDING);
	release_sock(sk);
	spin_lock_bh(&c->lock);
	c->applier = true;
	spin_unlock_bh(&c->lock);

	dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_STARTED);
	deadline = jiffies + msecs_to_jiffies(answer_ms);
	rto = msecs_to_jiffies(DTCP_RTO_MIN_MS);
	for (;;) {
		ret = dtcp_send_handoff(dn, c, request, len);
		if (ret && ret != -ENOBUFS && ret != -ENOMEM) {
			/* No route to the peer (unreachable, blackhole, ...):
			 * one errno for the application, the cause logged. */
			pr_warn_ratelimited("dtcp: cannot send hand-off %u/%u to node %u: %ld\n",
					    c->origin, c->hid, node, ret);
			ret = -EHOSTUNREACH;
			goto abort;
		}
		/* Killable: a dying caller must not wait out its timeout.  The
		 * state too: the passive node sends no HANDOFF_ACK when its
		 * RETURN comes first (the worker applies it meanwhile). */
		wait_event_killable_timeout(c->wait, READ_ONCE(c->result) != DTCP_ANSWER_NONE ||
					    READ_ONCE(c->state) != DTCP_CONN_HANDING,
					    min(rto, deadline - jiffies + 1));
		/* The state too: a HANDOFF_ACK sets it before the result, and
		 * a timeout in between must not unfreeze a connection that
		 * the passive node has. */
		if (READ_ONCE(c->result) != DTCP_ANSWER_NONE ||
		    READ_ONCE(c->state) != DTCP_CONN_HANDING)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;	/* aborted like a timeout */
			goto abort;
		}
		if (time_after_eq(jiffies, deadline)) {
			ret = -ETIMEDOUT;
			goto abort;
		}
		rto = min(rto * 2, (unsigned long)HZ / 4);
		dtcp_stat_inc(dn, DTCP_STAT_RETRANSMITS);
	}
	ret = READ_ONCE(c->result);
	/* NACK: the passive node built nothing.  Only while still HANDING: a
	 * RETURN that overtook the HANDOFF_ACK, or a take-back after it, may
	 * have been applied already (result is then the apply's, and the
	 * connection unfrozen), before this thread ran. */
	if (ret < 0 && READ_ONCE(c->state) == DTCP_CONN_HANDING)
		goto unfreeze;

	/* Handed out: wait for the RETURN and apply it (or, should the passive
	 * node be lost, for the worker to reset the connection: liveness.c). */
	dtcp_liveness_arm(dn);
	do {
		wait_event_killable(c->wait, !dtcp_away(c) || READ_ONCE(c->apply_ready));
	} while (dtcp_active_take_return(c, false));
	dtcp_active_take_return(c, true);
	if (dtcp_away(c)) {
		/* Fatal signal: the worker finishes without us. */
		dtcp_conn_put(c);
		return -EINTR;
	}
	ret = READ_ONCE(c->result);
	dtcp_stat_inc(dn, ret ? DTCP_STAT_HANDOFF_FAILED : DTCP_STAT_HANDOFF_DONE);
	dtcp_conn_put(c);
	return ret;

abort:
	/* No answer: tell the passive node to drop whatever it built.  Nothing
	 * acknowledges an ABORT (the peer may be gone): a few copies make its
	 * loss unlikely; the passive node ignores the extra ones. */
	{
		__be32 code = htonl(ETIMEDOUT);
		struct dtcp_part p = { &code, 4 };
		int i;

		if (ret == -ETIMEDOUT) {
			dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_TIMEOUT);
			pr_warn_ratelimited("dtcp: node %u did not answer hand-off %u/%u in %u ms\n",
					    node, c->origin, c->hid, answer_ms);
		}
		for (i = 0; i < 3; i++)
			dtcp_tunnel_send(dn, node, DTCP_MSG_ABORT, c->origin, c->hid, &p, 1);
	}
unfreeze:
	dtcp_active_take_return(c, true);
	if (!*again)
		dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_FAILED);
	dtcp_unfreeze(c);
	/* Before the capture too: a shutdown since the freeze waits for this. */
	dtcp_active_home(sk, captured, false);
	dtcp_active_flush_early(c, false);
	/* Never handed out: the socket is left exactly as it was found. */
	if (!c->handoffs)
		dtcp_active_release(c);
	dtcp_conn_put(c);
	return ret;
}

long dtcp_active_handoff(struct net *net, const struct dtcp_ioc_handoff *req,
			 const void __user *request)
{
	struct dtcp_net *dn = dtcp_net(net);
	struct dtcp_peer *peer;
	struct socket *sock;
	unsigned long quiet_by;
	struct sock *sk;
	void *buf = NULL;
	bool up;
	long ret;
	int err;

	if (req->request_len > DTCP_MAX_REQUEST)
		return -EMSGSIZE;
	if (req->timeout_ms > DTCP_MAX_ANSWER_MS)
		return -EINVAL;
	if (!req->node_id || req->node_id > DTCP_NODE_ID_MAX)
		return -EINVAL;
	if (!READ_ONCE(dn->node_id) || !READ_ONCE(dn->vip) ||
	    !rcu_access_pointer(dn->tunnel))
		return -EADDRNOTAVAIL;
	if (req->node_id == READ_ONCE(dn->node_id))
		return -EINVAL;
	rcu_read_lock();
	peer = dtcp_peer_find(dn, req->node_id);
	up = peer && peer->up;
	rcu_read_unlock();
	if (!up)
		return -ENOENT;

	sock = sockfd_lookup(req->sockfd, &err);
	if (!sock)
		return err == -ENOTSOCK ? -EINVAL : err;
	sk = sock->sk;
	ret = -EINVAL;
	if (!sk || sk->sk_family != AF_INET || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP || !net_eq(sock_net(sk), net))
		goto out;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	ret = -ENOTCONN;
	if (sk->sk_state != TCP_ESTABLISHED)
		goto out;
	/* Only connections to the virtual IP can be served by another node. */
	ret = -EINVAL;
	if (inet_sk(sk)->inet_rcv_saddr != READ_ONCE(dn->vip))
		goto out;
	if (sk->sk_prot != &tcp_prot && sk->sk_prot != &dtcp_prot_active)
		goto out;	/* TLS, MPTCP, ...: not a plain TCP socket */

	if (req->request_len) {
		buf = memdup_user(request, req->request_len);
		if (IS_ERR(buf)) {
			ret = PTR_ERR(buf);
			buf = NULL;
			goto out;
		}
	}
	quiet_by = jiffies + msecs_to_jiffies(DTCP_QUIESCE_MS);
	for (;;) {
		bool again = false;

		ret = dtcp_do_handoff(dn, sk, req->node_id, buf, req->request_len,
				      req->timeout_ms ? max_t(u32, req->timeout_ms, DTCP_ANSWER_MIN_MS) :
				      DTCP_ANSWER_MS, quiet_by, &again);
		if (!again)
			break;
		dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_AGAIN);
		/* ret is -EBUSY.  The wait checks its limits only while the socket
		 * is busy: checked here too, so restarts stop at them. */
		if (signal_pending(current))
			ret = -EINTR;
		else if (!time_after(jiffies, quiet_by))
			continue;
		dtcp_stat_inc(dn, DTCP_STAT_HANDOFF_FAILED);
		break;
	}
out:
	kfree(buf);
	sockfd_put(sock);
	return ret;
}

/*
 * Reset a connection that cannot come back (as tcp_abort() does, but with
 * the client's sequence number).  If the application closed the socket
 * meanwhile, the deferred close finishes it: made abortive here, so that it
 * resets rather than sends a FIN.
 */
static void dtcp_active_reset(struct dtcp_conn *c)
{
	struct sock *sk = c->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	WRITE_ONCE(c->reset_sent, true);
	if (sock_flag(sk, SOCK_DEAD)) {
		sock_set_flag(sk, SOCK_LINGER);
		WRITE_ONCE(sk->sk_lingertime, 0);
	}
	dtcp_state_reset(sk, &c->tuple, c->client_acked ? c->client_ack : tp->snd_nxt);
	release_sock(sk);
}

/* Apply a complete RETURN to Sa and bring it home; drops the reference
 * taken for it.  The worker's, or the waiting caller's. */
static void dtcp_active_apply_conn(struct dtcp_conn *c)
{
	struct dtcp_net *dn = c->dn;
	/* This hand-off's, for its RETURN_ACK: once unfrozen, the application
	 * may hand the connection out again (a new id and peer). */
	u32 peer = c->peer, origin = c->origin, hid = c->hid;
	u32 unread_len = 0;
	u8 *unread = NULL;
	bool closing;
	int ret;

	if (c->client_fin)
		c->st.rcv_nxt--;	/* the FIN is handed to the stack below */
	ret = c->aborted ? -ECONNRESET : 0;
	/* What the passive socket received and left unread: kept here as it
	 * went there (the RETURN's data is the tail only). */
	if (!ret) {
		unread_len = c->st.rcv_nxt - c->captured_rcv_nxt;
		ret = dtcp_upload_copy(c, c->captured_rcv_nxt, unread_len, &unread);
	}
	if (!ret)
		ret = dtcp_state_apply(c->sk, &c->st, unread, unread_len, c->data, c->data_len);
	kvfree(unread);
	c->aborted = false;
	if (ret) {
		if (!c->lost)
			pr_warn_ratelimited("dtcp: could not take connection %u back (%d); resetting it\n",
					    c->hid, ret);
		/* Unfrozen first so that the resets are not swallowed by the
		 * hooks.  Sa's own reset carries the sequence number of the
		 * hand-off; the client has received more since, as far as its
		 * last acknowledgement says: a reset from there is the one it
		 * accepts.  Its next segment meets no socket and gets one too. */
		WRITE_ONCE(c->state, 0);
		dtcp_active_reset(c);
		WRITE_ONCE(c->state, DTCP_CONN_RETURNING);
		ret = -ECONNRESET;
	} else {
		if (unread_len)
			dtcp_stat_inc(dn, DTCP_STAT_UPLOAD_RESTORED);
		c->handoffs++;
		c->bytes += c->st.snd_nxt - c->captured_snd_nxt;
		ret = c->served ? 0 : -ECONNABORTED;
	}
	kvfree(c->data);
	c->data = NULL;
	c->data_len = 0;
	c->chunks_done = 0;
	WRITE_ONCE(c->result, ret);
	if ((!ret || ret == -ECONNABORTED) && c->client_fin) {
		c->fin_at = jiffies;
		WRITE_ONCE(c->fin_pending, true);
	}
	dtcp_unfreeze(c);
	if (ret != -ECONNRESET)
		dtcp_active_home(c->sk, true, c->st.flags & DTCP_ST_ACK_DUE);
	if (READ_ONCE(c->fin_pending) &&
	    !dtcp_state_inject_fin(c->sk, READ_ONCE(c->in_ifindex)))
		WRITE_ONCE(c->fin_pending, false);
	c->client_fin = false;
	dtcp_active_flush_early(c, ret != -ECONNRESET);
	/* After the wake-up: the application's next request does not wait for
	 * it.  A RETURN repeated meanwhile finds the connection home and is
	 * acknowledged again (dtcp_active_return()). */
	dtcp_tunnel_send(dn, peer, DTCP_MSG_RETURN_ACK, origin, hid, NULL, 0);
	/* The application closed the socket while it was away (after the
	 * unfreeze: from then on its close does not defer). */
	spin_lock_bh(&c->lock);
	closing = c->close_pending;
	c->close_pending = false;
	spin_unlock_bh(&c->lock);
	if (closing) {
		struct sock *sk = c->sk;

		dtcp_active_release(c);
		tcp_close(sk, 0);	/* the file's reference */
	}
	dtcp_conn_put(c);	/* the apply's reference */
}

static void dtcp_active_apply(struct work_struct *w)
{
	dtcp_active_apply_conn(container_of(w, struct dtcp_conn, work));
}

/* A RETURN chunk (softirq): collect; when complete, queue the apply. */
static void dtcp_active_return(struct dtcp_net *dn, struct dtcp_conn *c,
			       const struct dtcp_msg *m)
{
	u32 nchunks = DIV_ROUND_UP(m->total, DTCP_WIRE_CHUNK);
	u64 all = nchunks >= 64 ? ~0ULL : (1ULL << nchunks) - 1;
	bool complete = false, mine = false;
	u8 st;

	spin_lock(&c->lock);
	st = READ_ONCE(c->state);
	if (st == 0 || st == DTCP_CONN_RETURNING) {
		spin_unlock(&c->lock);
		/* Already applied (our ACK was lost) or being applied. */
		if (st == 0)
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_RETURN_ACK, m->origin, m->hid, NULL, 0);
		return;
	}
	if (st != DTCP_CONN_HANDING && st != DTCP_CONN_HANDED_OUT)
		goto out;
	if (m->sender != c->peer)
		goto out;
	if (!c->data && m->total) {
		c->data = kvmalloc(m->total, GFP_ATOMIC);
		if (!c->data)
			goto out;	/* the passive node sends it again */
		c->data_len = m->total;
		c->chunks_done = 0;
	}
	/* The decoder has checked that the data is the tail (total == tail_len). */
	if (m->total != c->data_len)
		goto out;
	if (m->data_len) {
		memcpy(c->data + m->offset, m->data, m->data_len);
		c->chunks_done |= 1ULL << (m->offset / DTCP_WIRE_CHUNK);
	}
	if (!m->total || (c->chunks_done & all) == all) {
		c->captured_snd_nxt = c->st.snd_nxt;
		c->captured_rcv_nxt = c->st.rcv_nxt;
		c->st = m->state;
		c->served = m->code & DTCP_RETURN_SERVED;
		c->client_fin = m->code & DTCP_RETURN_FIN;
		WRITE_ONCE(c->state, DTCP_CONN_RETURNING);
		complete = true;
		dtcp_conn_get(c);	/* the apply's */
		mine = c->applier;
		if (mine)
			WRITE_ONCE(c->apply_ready, true);
	}
out:
	spin_unlock(&c->lock);
	if (complete && mine)
		wake_up_all(&c->wait);
	else if (complete && !queue_work(dtcp_wq, &c->work))
		dtcp_conn_put(c);
}

/*
 * A client segment to keep until the connection is home, then give to Sa
 * (dtcp_active_flush_early()); softirq.  Either one the passive node
 * received after it had returned the connection (forwarded before the
 * RETURN arrived here), sent back; or one that arrived here while a
 * complete RETURN waits to be applied: the passive node has let the
 * connection go, so forwarding it there would only bring it back a tunnel
 * round trip later.
 */
void dtcp_active_keep(struct dtcp_conn *c, struct sk_buff *skb)
{
	u8 st;

	spin_lock(&c->lock);
	/* Read once: the unfreeze writes it without the lock (its flush takes
	 * the lock afterwards, so what is queued here still goes to Sa). */
	st = READ_ONCE(c->state);
	if (dtcp_active_busy(st) && skb_queue_len(&c->early) < DTCP_EARLY_MAX) {
		dtcp_tunnel_park(skb);
		__skb_queue_tail(&c->early, skb);
		skb = NULL;
	}
	spin_unlock(&c->lock);
	if (skb && st == 0)
		dtcp_tunnel_inject(c->dn->net, skb);	/* home already */
	else if (skb)
		kfree_skb(skb);
}

static void dtcp_active_segment(struct dtcp_conn *c, const struct dtcp_msg *m,
				struct sk_buff *tunnel_skb)
{
	struct sk_buff *skb = dtcp_tunnel_segment_skb(m, tunnel_skb->dev);

	if (skb)
		dtcp_active_keep(c, skb);
}

/* Handed out, but it cannot come back: the worker resets it.  @lost: the
 * passive node is gone (else it said so in an ABORT). */
static bool dtcp_active_take_back(struct dtcp_conn *c, bool lost)
{
	bool taken = false;

	spin_lock_bh(&c->lock);
	if (READ_ONCE(c->state) == DTCP_CONN_HANDED_OUT) {
		WRITE_ONCE(c->state, DTCP_CONN_RETURNING);
		c->aborted = true;
		c->lost = lost;
		taken = true;
		dtcp_conn_get(c);
		if (!queue_work(dtcp_wq, &c->work))
			dtcp_conn_put(c);
	}
	spin_unlock_bh(&c->lock);
	return taken;
}

bool dtcp_active_lost(struct dtcp_conn *c)
{
	struct dtcp_net *dn = c->dn;
	__be32 code = htonl(ECONNRESET);
	struct dtcp_part p = { &code, 4 };
	int i;

	if (!dtcp_active_take_back(c, true))
		return false;
	/* Should it only be cut off, the passive node must not go on serving:
	 * it silences its socket on an ABORT. */
	for (i = 0; i < 3; i++)
		dtcp_tunnel_send(dn, c->peer, DTCP_MSG_ABORT, c->origin, c->hid, &p, 1);
	return true;
}

bool dtcp_active_in_progress(const struct dtcp_conn *c)
{
	return dtcp_active_busy(READ_ONCE(c->state));
}

/*
 * The passive node has the connection (softirq): HANDING -> HANDED_OUT,
 * under the lock, which a RETURN's collection holds when it moves the
 * state on: an answer overtaken by the RETURN changes nothing.
 */
static void dtcp_active_handed_out(struct dtcp_conn *c)
{
	spin_lock_bh(&c->lock);
	if (READ_ONCE(c->state) == DTCP_CONN_HANDING) {
		WRITE_ONCE(c->state, DTCP_CONN_HANDED_OUT);
		WRITE_ONCE(c->result, 0);
		wake_up_all(&c->wait);
	}
	spin_unlock_bh(&c->lock);
}

/*
 * The client acknowledged bytes Sa never sent: the passive node is serving
 * the connection, so it has it.  As good as its HANDOFF_ACK, which it sends
 * only 5 ms after building the socket (or not at all when the RETURN comes
 * first): once the passive node has sent anything, the hand-off must not
 * time out and be served here again, should that answer be slow or lost.
 */
void dtcp_active_client_ahead(struct dtcp_conn *c, u32 ack)
{
	if (after(ack, READ_ONCE(c->st.snd_nxt)))
		dtcp_active_handed_out(c);
}

void dtcp_active_rcv(struct dtcp_net *dn, const struct dtcp_msg *m, struct sk_buff *skb)
{
	struct dtcp_conn *c;

	if (m->origin != dn->node_id)
		return;
	c = dtcp_conn_by_key(dn, m->origin, m->hid);
	if (!c || c->role != DTCP_ROLE_ACTIVE) {
		dtcp_stat_inc(dn, DTCP_STAT_DROP_NO_CONN);
		/* A RETURN (or a passive node's ABORT) for a connection already
		 * home: acknowledge it again. */
		if (m->type == DTCP_MSG_RETURN || m->type == DTCP_MSG_ABORT)
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_RETURN_ACK, m->origin, m->hid, NULL, 0);
		if (c)
			dtcp_conn_put(c);
		return;
	}
	if (m->sender == c->peer)
		dtcp_conn_heard(c);
	switch (m->type) {
	case DTCP_MSG_HANDOFF_ACK:
		if (m->sender == c->peer)
			dtcp_active_handed_out(c);
		break;
	case DTCP_MSG_NACK:
	case DTCP_MSG_ABORT:
		if (READ_ONCE(c->state) == DTCP_CONN_HANDING && m->sender == c->peer) {
			WRITE_ONCE(c->result, m->code == EBUSY ? -EBUSY : -ECONNREFUSED);
			wake_up_all(&c->wait);
		} else if (m->type == DTCP_MSG_ABORT && m->sender == c->peer &&
			   READ_ONCE(c->state) == DTCP_CONN_HANDED_OUT) {
			/* The passive node lost the connection: it cannot come back. */
			dtcp_active_take_back(c, false);
		} else if (m->type == DTCP_MSG_ABORT && READ_ONCE(c->state) == 0) {
			/* Handled already (our RETURN_ACK was lost): again. */
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_RETURN_ACK, m->origin, m->hid, NULL, 0);
		}
		break;
	case DTCP_MSG_RETURN:
		dtcp_active_return(dn, c, m);
		break;
	case DTCP_MSG_SEGMENT:
		if (m->sender == c->peer)
			dtcp_active_segment(c, m, skb);
		break;
	}
	dtcp_conn_put(c);
}

/* Module unload / namespace exit: every socket gets its proto back. */
void dtcp_active_flush_one(struct dtcp_conn *c)
{
	dtcp_active_release(c);
}

int __init dtcp_active_init(void)
{
	dtcp_prot_active = tcp_prot;
	dtcp_prot_active.sendmsg = dtcp_active_sendmsg;
#ifdef DTCP_HAVE_SENDPAGE
	dtcp_prot_active.sendpage = dtcp_active_sendpage;
#endif
	dtcp_prot_active.close = dtcp_active_close;
	dtcp_prot_active.keepalive = dtcp_active_keepalive;
	dtcp_prot_active.setsockopt = dtcp_active_setsockopt;
	dtcp_prot_active.shutdown = dtcp_active_shutdown;
	return 0;
}
