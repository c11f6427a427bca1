// SPDX-License-Identifier: GPL-2.0
/* Connection entries: allocation, the two lookup tables, references. */
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "dtcp.h"
#include "conn.h"
#include "upload.h"

struct workqueue_struct *dtcp_wq;

unsigned int dtcp_max_conns = 4096;
module_param_named(max_conns, dtcp_max_conns, uint, 0644);
MODULE_PARM_DESC(max_conns, "connection entries per node (namespace); a hand-off beyond it is refused "
		 "with EBUSY (on the passive node by a NACK) and the application serves the request itself");
static struct kmem_cache *dtcp_conn_cache;

const struct rhashtable_params dtcp_conn_params = {
	.key_len = sizeof(struct dtcp_tuple),
	.key_offset = offsetof(struct dtcp_conn, tuple),
	.head_offset = offsetof(struct dtcp_conn, node),
	.automatic_shrinking = true,
};

static void dtcp_conn_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(dtcp_conn_cache, container_of(head, struct dtcp_conn, rcu));
}

static void dtcp_conn_free_work(struct work_struct *w)
{
	struct dtcp_conn *c = container_of(w, struct dtcp_conn, free_work);
	bool holds_module = c->holds_module;

	skb_queue_purge(&c->early);
	dtcp_upload_free(c);
	if (c->sock)
		sock_release(c->sock);	/* never accepted */
	if (c->sk)
		sock_put(c->sk);
	kvfree(c->data);
	atomic_dec(&c->dn->n_conns);
	dtcp_live_dec(DTCP_CNT_CONNS);
	/* A lookup may have found the entry just before it left a table (or
	 * between a failed insert's two steps) and be about to try a
	 * reference: the memory goes after a grace period.  (The head is
	 * free: the callback that dropped the tables' reference has run.) */
	call_rcu(&c->rcu, dtcp_conn_free_rcu);
	/* Safe from this work: module exit destroys dtcp_wq, waiting for it,
	 * then waits for the callback above. */
	if (holds_module)
		module_put(THIS_MODULE);
}

struct dtcp_conn *dtcp_conn_alloc(struct dtcp_net *dn, u8 role, work_func_t fn, gfp_t gfp)
{
	struct dtcp_conn *c;

	c = kmem_cache_zalloc(dtcp_conn_cache, gfp);
	if (!c)
		return NULL;
	c->dn = dn;
	c->role = role;
	refcount_set(&c->ref, 1);
	spin_lock_init(&c->lock);
	init_waitqueue_head(&c->wait);
	skb_queue_head_init(&c->early);
	xa_init(&c->upload);
	INIT_LIST_HEAD(&c->accept_node);
	INIT_WORK(&c->free_work, dtcp_conn_free_work);
	INIT_WORK(&c->work, fn);
	atomic_inc(&dn->n_conns);
	dtcp_live_inc(DTCP_CNT_CONNS);
	return c;
}

void dtcp_conn_get(struct dtcp_conn *c)
{
	refcount_inc(&c->ref);
}

void dtcp_conn_put(struct dtcp_conn *c)
{
	if (refcount_dec_and_test(&c->ref))
		queue_work(dtcp_wq, &c->free_work);
}

static void dtcp_conn_put_rcu(struct rcu_head *head)
{
	dtcp_conn_put(container_of(head, struct dtcp_conn, rcu));
}

int dtcp_conn_insert(struct dtcp_conn *c, gfp_t gfp)
{
	struct dtcp_net *dn = c->dn;
	int ret;

	might_sleep();
	ret = xa_insert(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid), c, gfp);
	if (ret)
		return ret == -EBUSY ? -EEXIST : ret;
	ret = rhashtable_lookup_insert_fast(&dn->conns_by_tuple, &c->node, dtcp_conn_params);
	if (ret) {
		xa_erase(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid));
		return ret;
	}
	dtcp_conn_get(c);	/* the tables' reference */
	c->in_table = true;
	return 0;
}

int dtcp_conn_rekey(struct dtcp_conn *c, u32 hid)
{
	struct dtcp_net *dn = c->dn;
	int ret;

	ret = xa_insert(&dn->conns_by_id, dtcp_conn_key(c->origin, hid), c, GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -EEXIST : ret;
	xa_erase(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid));
	WRITE_ONCE(c->hid, hid);
	return 0;
}

bool dtcp_conn_unlink(struct dtcp_conn *c)
{
	struct dtcp_net *dn = c->dn;
	bool was;

	spin_lock_bh(&c->lock);
	was = c->in_table;
	c->in_table = false;
	spin_unlock_bh(&c->lock);
	if (!was)
		return false;
	rhashtable_remove_fast(&dn->conns_by_tuple, &c->node, dtcp_conn_params);
	xa_cmpxchg(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid), c, NULL, 0);
	/* Lookups run under RCU: the tables' reference goes after them. */
	call_rcu(&c->rcu, dtcp_conn_put_rcu);
	return true;
}

int dtcp_conn_replace(struct dtcp_conn *old, struct dtcp_conn *c)
{
	struct dtcp_net *dn = c->dn;
	int ret;

	might_sleep();
	ret = xa_insert(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid), c, GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -EEXIST : ret;
	spin_lock_bh(&old->lock);
	ret = old->in_table ? rhashtable_replace_fast(&dn->conns_by_tuple, &old->node, &c->node,
						      dtcp_conn_params) : -EAGAIN;
	if (!ret) {
		old->in_table = false;
		dtcp_conn_get(c);	/* the tables' reference */
		c->in_table = true;
	}
	spin_unlock_bh(&old->lock);
	if (ret) {
		xa_erase(&dn->conns_by_id, dtcp_conn_key(c->origin, c->hid));
		return ret;
	}
	xa_cmpxchg(&dn->conns_by_id, dtcp_conn_key(old->origin, old->hid), old, NULL, 0);
	call_rcu(&old->rcu, dtcp_conn_put_rcu);
	return 0;
}

struct dtcp_conn *dtcp_conn_by_tuple(struct dtcp_net *dn, const struct dtcp_tuple *t)
{
	struct dtcp_conn *c;

	rcu_read_lock();
	c = rhashtable_lookup(&dn->conns_by_tuple, t, dtcp_conn_params);
	if (c && !refcount_inc_not_zero(&c->ref))
		c = NULL;
	rcu_read_unlock();
	return c;
}

struct dtcp_conn *dtcp_conn_by_key(struct dtcp_net *dn, u32 origin, u32 hid)
{
	struct dtcp_conn *c;

	rcu_read_lock();
	c = xa_load(&dn->conns_by_id, dtcp_conn_key(origin, hid));
	if (c && !refcount_inc_not_zero(&c->ref))
		c = NULL;
	rcu_read_unlock();
	return c;
}

void dtcp_tomb_add(struct dtcp_net *dn, u32 origin, u32 hid)
{
	unsigned long key = dtcp_conn_key(origin, hid);
	void *old;

	if (atomic_read(&dn->n_tombs) >= DTCP_TOMB_MAX)
		return;	/* bounded: the oldest go at the next collection */
	/* From softirq (a refused HANDOFF) and from process context: _bh. */
	old = xa_store_bh(&dn->tombs, key, xa_mk_value(jiffies & (LONG_MAX >> 1)), GFP_ATOMIC);
	if (xa_is_err(old))
		return;
	if (!old)
		atomic_inc(&dn->n_tombs);
	queue_delayed_work(system_wq, &dn->tomb_gc, DTCP_TOMB_SECS * HZ);
}

bool dtcp_tomb_find(struct dtcp_net *dn, u32 origin, u32 hid)
{
	return xa_load(&dn->tombs, dtcp_conn_key(origin, hid)) != NULL;
}

void dtcp_tomb_gc(struct work_struct *w)
{
	struct dtcp_net *dn = container_of(to_delayed_work(w), struct dtcp_net, tomb_gc);
	unsigned long now = jiffies & (LONG_MAX >> 1), key;
	void *v;

	xa_for_each(&dn->tombs, key, v) {
		unsigned long age = (now - xa_to_value(v)) & (LONG_MAX >> 1);

		if (age >= DTCP_TOMB_SECS * HZ && xa_cmpxchg_bh(&dn->tombs, key, v, NULL, 0) == v)
			atomic_dec(&dn->n_tombs);
	}
	if (atomic_read(&dn->n_tombs))
		queue_delayed_work(system_wq, &dn->tomb_gc, HZ);
}

void dtcp_tomb_flush(struct dtcp_net *dn)
{
	cancel_delayed_work_sync(&dn->tomb_gc);
	xa_destroy(&dn->tombs);
	atomic_set(&dn->n_tombs, 0);
}

int __init dtcp_conn_init(void)
{
	dtcp_conn_cache = KMEM_CACHE(dtcp_conn, 0);
	if (!dtcp_conn_cache)
		return -ENOMEM;
	/* High priority: building, returning and applying a connection are on
	 * its client's critical path; a busy CPU's tasks must not delay them.
	 * Bound: a work runs on the CPU that queued it (from the tunnel's
	 * receive, usually right after the sender went to sleep there) instead
	 * of waking another, possibly idle, CPU. */
	dtcp_wq = alloc_workqueue("dtcp", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!dtcp_wq) {
		kmem_cache_destroy(dtcp_conn_cache);
		return -ENOMEM;
	}
	return 0;
}

void dtcp_conn_exit(void)
{
	rcu_barrier();
	destroy_workqueue(dtcp_wq);
	rcu_barrier();	/* the frees the last works queued */
	kmem_cache_destroy(dtcp_conn_cache);
}
