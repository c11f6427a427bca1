// SPDX-License-Identifier: GPL-2.0
/* Per-network-namespace state: identity, peers, tables. */
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>
#include <net/netns/generic.h>

#include "dtcp.h"
#include "conn.h"
#include "handoff.h"
#include "hooks.h"
#include "netns.h"
#include "tunnel.h"

static unsigned int dtcp_net_id __read_mostly;

struct dtcp_net *dtcp_net(const struct net *net)
{
	return net_generic(net, dtcp_net_id);
}

struct dtcp_peer *dtcp_peer_find(struct dtcp_net *dn, u32 id)
{
	return xa_load(&dn->peers, id);
}

int dtcp_peer_set(struct dtcp_net *dn, u32 id, __be32 addr, u16 port, int up,
		  struct netlink_ext_ack *extack)
{
	struct dtcp_peer *old, *p;
	int ret;

	lockdep_assert_held(&dn->lock);
	if (id == dn->node_id) {
		NL_SET_ERR_MSG(extack, "a node cannot be its own peer");
		return -EINVAL;
	}
	old = xa_load(&dn->peers, id);
	if (!old && dn->n_peers >= DTCP_MAX_PEERS) {
		NL_SET_ERR_MSG(extack, "too many peers");
		return -ENOSPC;
	}
	if (!old && !addr) {
		NL_SET_ERR_MSG(extack, "a new peer needs an address");
		return -EINVAL;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->id = id;
	p->addr = addr ? addr : old->addr;
	p->port = port ? port : old ? old->port : (dn->tunnel_port ? dn->tunnel_port : DTCP_DEFAULT_PORT);
	p->up = up >= 0 ? up : old ? old->up : true;
	atomic64_set(&p->tx, old ? atomic64_read(&old->tx) : 0);
	atomic64_set(&p->rx, old ? atomic64_read(&old->rx) : 0);
	spin_lock_init(&p->rx_lock);
	if (old) {
		spin_lock_bh(&old->rx_lock);
		p->rx_max = old->rx_max;
		bitmap_copy(p->rx_seen, old->rx_seen, DTCP_REPLAY_WINDOW);
		spin_unlock_bh(&old->rx_lock);
	}
	ret = xa_err(xa_store(&dn->peers, id, p, GFP_KERNEL));
	if (ret) {
		kfree(p);
		return ret;
	}
	if (old) {
		kfree_rcu(old, rcu);
	} else {
		dn->n_peers++;
		dtcp_live_inc(DTCP_CNT_PEERS);
	}
	return 0;
}

int dtcp_peer_del(struct dtcp_net *dn, u32 id)
{
	struct dtcp_peer *p;

	lockdep_assert_held(&dn->lock);
	p = xa_erase(&dn->peers, id);
	if (!p)
		return -ENOENT;
	dn->n_peers--;
	dtcp_live_dec(DTCP_CNT_PEERS);
	kfree_rcu(p, rcu);
	return 0;
}

static int __net_init dtcp_net_init(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);
	int ret;

	dn->net = net;
	mutex_init(&dn->lock);
	xa_init(&dn->peers);
	xa_init(&dn->conns_by_id);
	atomic64_set(&dn->tx_seq, (u64)(u32)ktime_get_real_seconds() << 32);
	xa_init_flags(&dn->tombs, XA_FLAGS_LOCK_BH);
	INIT_DELAYED_WORK(&dn->tomb_gc, dtcp_tomb_gc);
	dtcp_liveness_init(dn);
	spin_lock_init(&dn->accept_lock);
	INIT_LIST_HEAD(&dn->accept_queue);
	init_waitqueue_head(&dn->accept_wait);
	ret = rhashtable_init(&dn->conns_by_tuple, &dtcp_conn_params);
	if (ret)
		return ret;
	return 0;
}

/* Release every connection entry of @dn (no socket remains ours). */
static void dtcp_net_flush_conns(struct dtcp_net *dn)
{
	struct dtcp_conn *c;
	unsigned long key;

	xa_for_each(&dn->conns_by_id, key, c) {
		if (!refcount_inc_not_zero(&c->ref))
			continue;
		if (c->role == DTCP_ROLE_ACTIVE)
			dtcp_active_flush_one(c);
		else
			dtcp_passive_flush_one(c);
		dtcp_conn_put(c);
	}
	rcu_barrier();	/* the tables' references go after a grace period */
	flush_workqueue(dtcp_wq);
}

static void __net_exit dtcp_net_exit(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);
	struct dtcp_peer *p;
	unsigned long id;

	mutex_lock(&dn->lock);
	dtcp_hooks_unregister(dn);
	dtcp_tunnel_close(dn);
	dtcp_tunnel_set_key(dn, NULL);
	mutex_unlock(&dn->lock);
	dtcp_net_flush_conns(dn);
	dtcp_liveness_stop(dn);
	WARN_ON(atomic_read(&dn->n_conns));
	rhashtable_destroy(&dn->conns_by_tuple);
	xa_destroy(&dn->conns_by_id);
	dtcp_tomb_flush(dn);
	mutex_lock(&dn->lock);
	xa_for_each(&dn->peers, id, p)
		dtcp_peer_del(dn, id);
	mutex_unlock(&dn->lock);
	xa_destroy(&dn->peers);
	memzero_explicit(dn->key, sizeof(dn->key));
	mutex_destroy(&dn->lock);
}

static struct pernet_operations dtcp_net_ops = {
	.init = dtcp_net_init,
	.exit = dtcp_net_exit,
	.id = &dtcp_net_id,
	.size = sizeof(struct dtcp_net),
};

int __init dtcp_netns_init(void)
{
	return register_pernet_subsys(&dtcp_net_ops);
}

void dtcp_netns_exit(void)
{
	unregister_pernet_subsys(&dtcp_net_ops);
	rcu_barrier();	/* kfree_rcu of peers */
}
