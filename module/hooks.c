// SPDX-License-Identifier: GPL-2.0
/* Netfilter hooks: diversion on the active node, silence on both. */
#include <linux/ip.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "dtcp.h"
#include "conn.h"
#include "handoff.h"
#include "hooks.h"
#include "netns.h"
#include "tunnel.h"

/*
 * Turning the key off is deferred by a second: under load it stays on
 * instead of re-patching the kernel text for every hand-off.
 */
static DEFINE_STATIC_KEY_DEFERRED_FALSE(dtcp_hooks_key, HZ);

void dtcp_hooks_need(bool more)
{
	might_sleep();
	if (more)
		static_branch_deferred_inc(&dtcp_hooks_key);
	else
		static_branch_slow_dec_deferred(&dtcp_hooks_key);
}

/*
 * The hooks, and the way from them to TCP, run in softirq context: an RCU
 * read-side section, so a grace period covers every packet past a hook.
 * With one CPU online there is nothing to wait for: this caller runs in
 * process context, and a softirq handler on its CPU is not preempted (not
 * so with PREEMPT_RT), so whatever passed a hook before the state changed has
 * gone on into the socket already; a CPU that comes online after the check
 * sees the new state.  The expedited grace period would be waited for twice
 * per hand-off.
 */
void dtcp_hooks_sync(void)
{
	barrier();	/* the state is written before the check */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) && num_online_cpus() == 1)
		return;
	synchronize_rcu_expedited();
}

void dtcp_hooks_exit(void)
{
	static_key_deferred_flush(&dtcp_hooks_key);
}

/*
 * The entry whose tuple this packet belongs to; @inbound: client -> us.
 * *@thp: its TCP header (in the packet, or copied to @buf), valid until
 * the packet changes.
 */
static struct dtcp_conn *dtcp_hook_lookup(struct dtcp_net *dn, struct sk_buff *skb, bool inbound,
					  struct tcphdr *buf, const struct tcphdr **thp)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct dtcp_tuple t;
	const struct tcphdr *th;

	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NULL;
	th = skb_header_pointer(skb, ip_hdrlen(skb), sizeof(*buf), buf);
	if (!th)
		return NULL;
	*thp = th;
	memset(&t, 0, sizeof(t));
	if (inbound) {
		t.caddr = iph->saddr;
		t.cport = th->source;
		t.laddr = iph->daddr;
		t.lport = th->dest;
	} else {
		t.caddr = iph->daddr;
		t.cport = th->dest;
		t.laddr = iph->saddr;
		t.lport = th->source;
	}
	return dtcp_conn_by_tuple(dn, &t);
}

/*
 * Once the client has been reset (the connection could not come back), its
 * segments go to the stack, which answers each with a reset: one that
 * crossed ours (a challenge ACK, if ours was not exactly in sequence) must
 * not vanish into the tunnel, nor the stack's answer in the out hook.
 */
static bool dtcp_active_diverting(const struct dtcp_conn *c, u8 state)
{
	return (state == DTCP_CONN_FREEZING || dtcp_active_busy(state)) &&
	       !READ_ONCE(c->reset_sent);
}

/* How far the client has received: for a reset it accepts, should the
 * passive node be lost (a race between CPUs only loses a newer value). */
static void dtcp_note_client_ack(struct dtcp_conn *c, const struct tcphdr *th)
{
	u32 ack;

	if (!th->ack || th->rst)
		return;
	ack = ntohl(th->ack_seq);
	if (!READ_ONCE(c->client_acked) || after(ack, READ_ONCE(c->client_ack))) {
		WRITE_ONCE(c->client_ack, ack);
		WRITE_ONCE(c->client_acked, true);
	}
}

static unsigned int dtcp_hook_in(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct dtcp_net *dn = priv;
	const struct tcphdr *th;
	struct tcphdr buf;
	struct dtcp_conn *c;
	unsigned int verdict = NF_ACCEPT;
	u8 st;

	if (!static_branch_unlikely(&dtcp_hooks_key.key))
		return NF_ACCEPT;
	c = dtcp_hook_lookup(dn, skb, true, &buf, &th);
	if (!c)
		return NF_ACCEPT;
	if (c->role == DTCP_ROLE_ACTIVE && READ_ONCE(c->fin_pending) && th->fin)
		WRITE_ONCE(c->fin_pending, false);	/* Sa may answer it */
	st = READ_ONCE(c->state);
	if (c->role == DTCP_ROLE_ACTIVE && dtcp_active_diverting(c, st)) {
		if (skb->dev && READ_ONCE(c->in_ifindex) != skb->dev->ifindex)
			WRITE_ONCE(c->in_ifindex, skb->dev->ifindex);
		dtcp_note_client_ack(c, th);
		if (st == DTCP_CONN_HANDING && th->ack && !th->rst)
			dtcp_active_client_ahead(c, ntohl(th->ack_seq));
		/* Returned already (being applied): kept for Sa, not sent away. */
		if (st == DTCP_CONN_RETURNING)
			dtcp_tunnel_keep(dn, c, skb);
		else
			dtcp_tunnel_forward(dn, c, skb);
		verdict = NF_DROP;
	} else if (c->role == DTCP_ROLE_PASSIVE && READ_ONCE(c->state) == DTCP_CONN_RETURNED) {
		/* Injected before the connection went back, too late for Sp. */
		dtcp_passive_send_back(dn, c, skb);
		verdict = NF_DROP;
	}
	dtcp_conn_put(c);
	return verdict;
}

static unsigned int dtcp_hook_out(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct dtcp_net *dn = priv;
	const struct tcphdr *th;
	struct tcphdr buf;
	struct dtcp_conn *c;
	unsigned int verdict = NF_ACCEPT;
	u8 st;

	if (!static_branch_unlikely(&dtcp_hooks_key.key))
		return NF_ACCEPT;
	c = dtcp_hook_lookup(dn, skb, false, &buf, &th);
	if (!c)
		return NF_ACCEPT;
	st = READ_ONCE(c->state);
	/* A frozen socket stays silent; on the passive node, while no socket
	 * serves the tuple (being built, or discarded), neither does the
	 * stack: the listener would reset the client's segments. */
	if ((c->role == DTCP_ROLE_ACTIVE && (dtcp_active_diverting(c, st) || READ_ONCE(c->fin_pending))) ||
	    (c->role == DTCP_ROLE_PASSIVE &&
	     (st == DTCP_CONN_RETURNED || st == DTCP_CONN_BUILDING))) {
		dtcp_stat_inc(dn, DTCP_STAT_FROZEN_DROPPED);
		verdict = NF_DROP;
	}
	dtcp_conn_put(c);
	return verdict;
}

static const struct nf_hook_ops dtcp_hook_ops_tmpl[] = {
	{
		.hook = dtcp_hook_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_RAW_BEFORE_DEFRAG + 1,
	},
	{
		.hook = dtcp_hook_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_FIRST,
	},
};

int dtcp_hooks_register(struct dtcp_net *dn)
{
	int ret, i;

	if (dn->hooks_registered)
		return 0;
	BUILD_BUG_ON(ARRAY_SIZE(dtcp_hook_ops_tmpl) != ARRAY_SIZE(dn->hook_ops));
	for (i = 0; i < ARRAY_SIZE(dtcp_hook_ops_tmpl); i++) {
		dn->hook_ops[i] = dtcp_hook_ops_tmpl[i];
		dn->hook_ops[i].priv = dn;
	}
	ret = nf_register_net_hooks(dn->net, dn->hook_ops, ARRAY_SIZE(dn->hook_ops));
	if (!ret)
		dn->hooks_registered = true;
	return ret;
}

void dtcp_hooks_unregister(struct dtcp_net *dn)
{
	if (!dn->hooks_registered)
		return;
	nf_unregister_net_hooks(dn->net, dn->hook_ops, ARRAY_SIZE(dn->hook_ops));
	dn->hooks_registered = false;
}
