// SPDX-License-Identifier: GPL-2.0
/*
 * Liveness of hand-offs in progress (DESIGN 4.4).
 *
 * While a connection is handed out, each of its two nodes expects to hear
 * from the other about it: the active node from the passive one
 * (HANDOFF_ACK, RETURN, PONG), the passive node from the active one (the
 * client's segments, PONG).  After DTCP_PROBE_MS of silence a node asks: a
 * PING with the hand-off's id, which the other answers with a PONG only
 * while that hand-off is in progress there.  After DTCP_LOST_MS of silence,
 * or as soon as the peer is removed or marked down, the other node is
 * taken for dead: the client gets a reset and the entry ends.
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "dtcp.h"
#include "conn.h"
#include "handoff.h"
#include "netns.h"
#include "tunnel.h"

#define DTCP_PROBE_MS	1000
#define DTCP_LOST_MS	6000

void dtcp_conn_heard(struct dtcp_conn *c)
{
	if (READ_ONCE(c->heard) != jiffies)
		WRITE_ONCE(c->heard, jiffies);
}

void dtcp_liveness_arm(struct dtcp_net *dn)
{
	queue_delayed_work(dtcp_wq, &dn->probe_work, msecs_to_jiffies(DTCP_PROBE_MS));
}

static bool dtcp_in_progress(const struct dtcp_conn *c)
{
	return c->role == DTCP_ROLE_ACTIVE ? dtcp_active_in_progress(c)
					   : dtcp_passive_in_progress(c);
}

static void dtcp_probe_one(struct dtcp_net *dn, struct dtcp_conn *c)
{
	unsigned long heard = READ_ONCE(c->heard);
	struct dtcp_peer *p;
	bool up, lost;

	/* A FIN injected for Sa that never reached it: Sa must not stay mute. */
	if (c->role == DTCP_ROLE_ACTIVE && READ_ONCE(c->fin_pending) &&
	    time_after(jiffies, c->fin_at + HZ))
		WRITE_ONCE(c->fin_pending, false);
	if (!dtcp_in_progress(c) || READ_ONCE(c->lost))
		return;
	rcu_read_lock();
	p = dtcp_peer_find(dn, c->peer);
	up = p && p->up;
	rcu_read_unlock();
	if (!up || time_after(jiffies, heard + msecs_to_jiffies(DTCP_LOST_MS))) {
		lost = c->role == DTCP_ROLE_ACTIVE ? dtcp_active_lost(c) : dtcp_passive_lost(c);
		if (lost) {
			dtcp_stat_inc(dn, DTCP_STAT_PEER_LOST);
			pr_warn_ratelimited("dtcp: node %u %s during hand-off %u/%u: connection reset\n",
					    c->peer, up ? "went silent" : "is down",
					    c->origin, c->hid);
		}
		return;
	}
	if (time_after_eq(jiffies, heard + msecs_to_jiffies(DTCP_PROBE_MS) - 1))
		dtcp_tunnel_send(dn, c->peer, DTCP_MSG_PING, c->origin, c->hid, NULL, 0);
}

static void dtcp_probe_work(struct work_struct *w)
{
	struct dtcp_net *dn = container_of(to_delayed_work(w), struct dtcp_net, probe_work);
	struct dtcp_conn *c;
	unsigned long key;

	/* Under RCU an entry found in the table still holds the table's
	 * reference (dropped a grace period after the unlink). */
	rcu_read_lock();
	xa_for_each(&dn->conns_by_id, key, c) {
		if (!refcount_inc_not_zero(&c->ref))
			continue;
		rcu_read_unlock();
		dtcp_probe_one(dn, c);
		dtcp_conn_put(c);
		cond_resched();
		rcu_read_lock();
	}
	rcu_read_unlock();
	if (atomic_read(&dn->n_conns))
		dtcp_liveness_arm(dn);
}

void dtcp_liveness_rcv(struct dtcp_net *dn, const struct dtcp_msg *m)
{
	struct dtcp_conn *c;

	if (!m->hid) {
		/* A node-level probe. */
		if (m->type == DTCP_MSG_PING)
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_PONG, m->origin, 0, NULL, 0);
		return;
	}
	c = dtcp_conn_by_key(dn, m->origin, m->hid);
	if (!c)
		return;	/* not (or no longer) in progress here: no answer */
	if (m->sender == c->peer && dtcp_in_progress(c)) {
		dtcp_conn_heard(c);
		if (m->type == DTCP_MSG_PING)
			dtcp_tunnel_send(dn, m->sender, DTCP_MSG_PONG, m->origin, m->hid, NULL, 0);
	}
	dtcp_conn_put(c);
}

void dtcp_liveness_init(struct dtcp_net *dn)
{
	INIT_DELAYED_WORK(&dn->probe_work, dtcp_probe_work);
}

void dtcp_liveness_stop(struct dtcp_net *dn)
{
	cancel_delayed_work_sync(&dn->probe_work);
}
