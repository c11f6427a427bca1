// SPDX-License-Identifier: GPL-2.0
/*
 * Generic-netlink family "dtcp": status and configuration.
 *
 * Every request is validated against one family-wide attribute policy in
 * strict mode; errors carry an extended-ack message naming the attribute.
 * Mutating operations need CAP_NET_ADMIN in the namespace's user namespace.
 *
 * A daemon (dtcpd) registers its request socket with SET_DAEMON; a netlink
 * notifier sees that socket released (the daemon exited or was killed),
 * forgets it and multicasts DTCP_EV_DAEMON_GONE, so status always says
 * whether a daemon is running.
 */
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "dtcp.h"
#include "conn.h"
#include "hooks.h"
#include "mac.h"
#include "netlink.h"
#include "netns.h"
#include "tunnel.h"

static struct genl_family dtcp_genl_family;

/* Ranges beyond s16 need the full-range form (non-const: 6.1 wants it so). */
static struct netlink_range_validation dtcp_node_id_range __ro_after_init = {
	.min = 1,
	.max = DTCP_NODE_ID_MAX,
};

static struct netlink_range_validation dtcp_peer_id_range __ro_after_init = {
	.min = 1,
	.max = DTCP_NODE_ID_MAX,
};

static const struct nla_policy dtcp_peer_policy[DTCP_PEER_A_MAX + 1] = {
	[DTCP_PEER_A_ID]	= NLA_POLICY_FULL_RANGE(NLA_U32, &dtcp_peer_id_range),
	[DTCP_PEER_A_ADDR]	= { .type = NLA_BE32 },
	[DTCP_PEER_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[DTCP_PEER_A_UP]	= NLA_POLICY_MAX(NLA_U8, 1),
	[DTCP_PEER_A_TX]	= { .type = NLA_REJECT },
	[DTCP_PEER_A_RX]	= { .type = NLA_REJECT },
};

static const struct nla_policy dtcp_policy[DTCP_A_MAX + 1] = {
	[DTCP_A_NODE_ID]	= NLA_POLICY_FULL_RANGE(NLA_U32, &dtcp_node_id_range),
	[DTCP_A_TUNNEL_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[DTCP_A_CLUSTER_KEY]	= NLA_POLICY_EXACT_LEN(DTCP_KEY_LEN),
	/* Output-only attributes are rejected in requests. */
	[DTCP_A_ABI_VERSION]	= { .type = NLA_REJECT },
	[DTCP_A_MODULE_VERSION]	= { .type = NLA_REJECT },
	[DTCP_A_KEY_SET]	= { .type = NLA_REJECT },
	[DTCP_A_COUNTERS]	= { .type = NLA_REJECT },
	[DTCP_A_EVENT]		= { .type = NLA_REJECT },
	[DTCP_A_VIP]		= { .type = NLA_BE32 },
	[DTCP_A_PEER]		= NLA_POLICY_NESTED(dtcp_peer_policy),
	[DTCP_A_CONN]		= { .type = NLA_REJECT },
	[DTCP_A_STATS]		= { .type = NLA_REJECT },
	[DTCP_A_DAEMON]		= NLA_POLICY_MAX(NLA_U8, 1),
	[DTCP_A_MAC_DRIVER]	= { .type = NLA_REJECT },
	[DTCP_A_MAC_BLOCKS_DRIVER] = { .type = NLA_REJECT },
};

static int dtcp_put_counters(struct sk_buff *skb)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, DTCP_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i < __DTCP_CNT_MAX; i++) {
		if (nla_put_u32(skb, i, dtcp_live_read(i))) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int dtcp_put_stats(struct sk_buff *skb, struct dtcp_net *dn)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, DTCP_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i < __DTCP_STAT_MAX; i++) {
		if (i == DTCP_STAT_PAD)
			continue;
		if (nla_put_u64_64bit(skb, i, atomic64_read(&dn->stats[i]), DTCP_STAT_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int dtcp_fill_status(struct sk_buff *skb, struct dtcp_net *dn)
{
	struct dtcp_mac *mac;
	int ret = -EMSGSIZE;

	mutex_lock(&dn->lock);
	/* dn->lock: the key (and its transform) changes only under it. */
	mac = rcu_dereference_protected(dn->mac, lockdep_is_held(&dn->lock));
	if (mac && (nla_put_string(skb, DTCP_A_MAC_DRIVER, dtcp_mac_driver(mac)) ||
		    (dtcp_mac_blocks_driver(mac) &&
		     nla_put_string(skb, DTCP_A_MAC_BLOCKS_DRIVER, dtcp_mac_blocks_driver(mac)))))
		goto out;
	if (nla_put_u32(skb, DTCP_A_ABI_VERSION, DTCP_ABI_VERSION) ||
	    nla_put_string(skb, DTCP_A_MODULE_VERSION, DTCP_VERSION) ||
	    (dn->node_id && nla_put_u32(skb, DTCP_A_NODE_ID, dn->node_id)) ||
	    (dn->tunnel_port && nla_put_u16(skb, DTCP_A_TUNNEL_PORT, dn->tunnel_port)) ||
	    (dn->vip && nla_put_in_addr(skb, DTCP_A_VIP, dn->vip)) ||
	    nla_put_u8(skb, DTCP_A_KEY_SET, dn->key_set) ||
	    nla_put_u8(skb, DTCP_A_DAEMON, dn->daemon_portid != 0))
		goto out;
	ret = dtcp_put_counters(skb);
	if (!ret)
		ret = dtcp_put_stats(skb, dn);
out:
	mutex_unlock(&dn->lock);
	return ret;
}

static int dtcp_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct dtcp_net *dn = dtcp_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dtcp_genl_family, 0, DTCP_CMD_GET_STATUS);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = dtcp_fill_status(msg, dn);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

static int dtcp_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct dtcp_net *dn = dtcp_net(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct dtcp_mac *mac = NULL;
	int ret = 0;

	/* The policy has validated types and ranges; all checks precede any change. */
	if (!a[DTCP_A_NODE_ID] && !a[DTCP_A_TUNNEL_PORT] && !a[DTCP_A_CLUSTER_KEY] &&
	    !a[DTCP_A_VIP]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to configure: give a node id, tunnel port, VIP or cluster key");
		return -EINVAL;
	}

	mutex_lock(&dn->lock);
	if (atomic_read(&dn->n_conns) &&
	    ((a[DTCP_A_NODE_ID] && nla_get_u32(a[DTCP_A_NODE_ID]) != dn->node_id) ||
	     (a[DTCP_A_VIP] && nla_get_in_addr(a[DTCP_A_VIP]) != dn->vip))) {
		NL_SET_ERR_MSG(info->extack, "node id and VIP cannot change while connections are tracked");
		ret = -EBUSY;
		goto out;
	}
	if (a[DTCP_A_NODE_ID] && xa_load(&dn->peers, nla_get_u32(a[DTCP_A_NODE_ID]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[DTCP_A_NODE_ID], "node id is already a peer's");
		ret = -EEXIST;
		goto out;
	}
	/*
	 * Everything that can fail comes before any change that status shows:
	 * the key is set up first and installed last, and the hooks (idle
	 * without connections) are registered before the port moves.
	 */
	if (a[DTCP_A_CLUSTER_KEY]) {
		mac = dtcp_mac_new(nla_data(a[DTCP_A_CLUSTER_KEY]));
		if (IS_ERR(mac)) {
			ret = PTR_ERR(mac);
			mac = NULL;
			NL_SET_ERR_MSG_ATTR(info->extack, a[DTCP_A_CLUSTER_KEY],
					    "cannot set up AES-256-CMAC with this key");
			goto out;
		}
	}
	if (a[DTCP_A_NODE_ID]) {
		ret = dtcp_hooks_register(dn);
		if (ret) {
			NL_SET_ERR_MSG(info->extack, "cannot register the netfilter hooks");
			goto out;
		}
	}
	if (a[DTCP_A_TUNNEL_PORT] && nla_get_u16(a[DTCP_A_TUNNEL_PORT]) != dn->tunnel_port) {
		dtcp_tunnel_close(dn);
		ret = dtcp_tunnel_open(dn, nla_get_u16(a[DTCP_A_TUNNEL_PORT]));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[DTCP_A_TUNNEL_PORT],
					    "cannot open the tunnel socket on that port");
			/* The old port is gone: reopen it so nothing changes. */
			if (dn->tunnel_port)
				dtcp_tunnel_open(dn, dn->tunnel_port);
			goto out;
		}
		dn->tunnel_port = nla_get_u16(a[DTCP_A_TUNNEL_PORT]);
	}
	if (mac) {
		dtcp_tunnel_set_mac(dn, mac);
		mac = NULL;
		nla_memcpy(dn->key, a[DTCP_A_CLUSTER_KEY], sizeof(dn->key));
		dn->key_set = true;
	}
	if (a[DTCP_A_NODE_ID])
		dn->node_id = nla_get_u32(a[DTCP_A_NODE_ID]);
	if (a[DTCP_A_VIP])
		dn->vip = nla_get_in_addr(a[DTCP_A_VIP]);
out:
	mutex_unlock(&dn->lock);
	dtcp_mac_free(mac);
	if (!ret)
		dtcp_netlink_notify(genl_info_net(info), DTCP_EV_CONFIG_CHANGED);
	return ret;
}

static int dtcp_nl_set_daemon(struct sk_buff *skb, struct genl_info *info)
{
	struct dtcp_net *dn = dtcp_net(genl_info_net(info));
	bool on = !info->attrs[DTCP_A_DAEMON] || nla_get_u8(info->attrs[DTCP_A_DAEMON]);
	u32 portid = info->snd_portid;
	int ev = 0, ret = 0;

	mutex_lock(&dn->lock);
	if (on) {
		if (dn->daemon_portid && dn->daemon_portid != portid) {
			NL_SET_ERR_MSG(info->extack, "another daemon is registered in this namespace");
			ret = -EBUSY;
		} else if (!dn->daemon_portid) {
			WRITE_ONCE(dn->daemon_portid, portid);
			ev = DTCP_EV_DAEMON_UP;
		}
	} else if (dn->daemon_portid == portid) {
		WRITE_ONCE(dn->daemon_portid, 0);
		ev = DTCP_EV_DAEMON_GONE;
	} else {
		NL_SET_ERR_MSG(info->extack, "this socket is not the registered daemon");
		ret = -ENOENT;
	}
	mutex_unlock(&dn->lock);
	if (ev)
		dtcp_netlink_notify(genl_info_net(info), ev);
	return ret;
}

/* A netlink socket is being released: if it was the daemon's, forget it. */
static int dtcp_netlink_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct dtcp_net *dn;
	bool gone = false;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !n->portid)
		return NOTIFY_DONE;
	dn = dtcp_net(n->net);
	/* Unlocked peek: most released sockets are not the daemon's. */
	if (READ_ONCE(dn->daemon_portid) != n->portid)
		return NOTIFY_DONE;
	mutex_lock(&dn->lock);
	if (dn->daemon_portid == n->portid) {
		WRITE_ONCE(dn->daemon_portid, 0);
		gone = true;
	}
	mutex_unlock(&dn->lock);
	if (gone)
		dtcp_netlink_notify(n->net, DTCP_EV_DAEMON_GONE);
	return NOTIFY_DONE;
}

static struct notifier_block dtcp_netlink_notifier = {
	.notifier_call = dtcp_netlink_event,
};

static int dtcp_parse_peer(struct genl_info *info, struct nlattr **tb)
{
	int ret;

	if (!info->attrs[DTCP_A_PEER]) {
		NL_SET_ERR_MSG(info->extack, "missing peer attribute");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, DTCP_PEER_A_MAX, info->attrs[DTCP_A_PEER],
			       dtcp_peer_policy, info->extack);
	if (ret)
		return ret;
	if (!tb[DTCP_PEER_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DTCP_A_PEER], "missing peer id");
		return -EINVAL;
	}
	return 0;
}

static int dtcp_nl_set_peer(struct sk_buff *skb, struct genl_info *info)
{
	struct dtcp_net *dn = dtcp_net(genl_info_net(info));
	struct nlattr *tb[DTCP_PEER_A_MAX + 1];
	int ret;

	ret = dtcp_parse_peer(info, tb);
	if (ret)
		return ret;
	mutex_lock(&dn->lock);
	ret = dtcp_peer_set(dn, nla_get_u32(tb[DTCP_PEER_A_ID]),
			    tb[DTCP_PEER_A_ADDR] ? nla_get_in_addr(tb[DTCP_PEER_A_ADDR]) : 0,
			    tb[DTCP_PEER_A_PORT] ? nla_get_u16(tb[DTCP_PEER_A_PORT]) : 0,
			    tb[DTCP_PEER_A_UP] ? nla_get_u8(tb[DTCP_PEER_A_UP]) : -1,
			    info->extack);
	mutex_unlock(&dn->lock);
	if (!ret)
		dtcp_netlink_notify(genl_info_net(info), DTCP_EV_PEER_CHANGED);
	return ret;
}

static int dtcp_nl_del_peer(struct sk_buff *skb, struct genl_info *info)
{
	struct dtcp_net *dn = dtcp_net(genl_info_net(info));
	struct nlattr *tb[DTCP_PEER_A_MAX + 1];
	int ret;

	ret = dtcp_parse_peer(info, tb);
	if (ret)
		return ret;
	mutex_lock(&dn->lock);
	ret = dtcp_peer_del(dn, nla_get_u32(tb[DTCP_PEER_A_ID]));
	mutex_unlock(&dn->lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such peer");
	if (!ret)
		dtcp_netlink_notify(genl_info_net(info), DTCP_EV_PEER_CHANGED);
	return ret;
}

static int dtcp_nl_get_peers(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dtcp_net *dn = dtcp_net(sock_net(skb->sk));
	unsigned long id = cb->args[0];
	struct dtcp_peer *p;
	int ret = 0;

	rcu_read_lock();
	xa_for_each_start(&dn->peers, id, p, cb->args[0]) {
		struct nlattr *nest;
		void *hdr;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &dtcp_genl_family, NLM_F_MULTI, DTCP_CMD_GET_PEERS);
		if (!hdr)
			break;
		nest = nla_nest_start(skb, DTCP_A_PEER);
		if (!nest || nla_put_u32(skb, DTCP_PEER_A_ID, p->id) ||
		    nla_put_in_addr(skb, DTCP_PEER_A_ADDR, p->addr) ||
		    nla_put_u16(skb, DTCP_PEER_A_PORT, p->port) ||
		    nla_put_u8(skb, DTCP_PEER_A_UP, p->up) ||
		    nla_put_u64_64bit(skb, DTCP_PEER_A_TX, atomic64_read(&p->tx), DTCP_PEER_A_PAD) ||
		    nla_put_u64_64bit(skb, DTCP_PEER_A_RX, atomic64_read(&p->rx), DTCP_PEER_A_PAD)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
		cb->args[0] = id + 1;
	}
	rcu_read_unlock();
	return ret ? ret : skb->len;
}

static int dtcp_nl_get_conns(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dtcp_net *dn = dtcp_net(sock_net(skb->sk));
	unsigned long key;
	struct dtcp_conn *c;

	rcu_read_lock();
	xa_for_each_start(&dn->conns_by_id, key, c, cb->args[0]) {
		struct nlattr *nest;
		void *hdr;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &dtcp_genl_family, NLM_F_MULTI, DTCP_CMD_GET_CONNS);
		if (!hdr)
			break;
		nest = nla_nest_start(skb, DTCP_A_CONN);
		if (!nest || nla_put_u32(skb, DTCP_CONN_A_ID, READ_ONCE(c->hid)) ||
		    nla_put_u32(skb, DTCP_CONN_A_ORIGIN, c->origin) ||
		    nla_put_u8(skb, DTCP_CONN_A_ROLE, c->role) ||
		    nla_put_u8(skb, DTCP_CONN_A_STATE, READ_ONCE(c->state)) ||
		    nla_put_in_addr(skb, DTCP_CONN_A_CLIENT, c->tuple.caddr) ||
		    nla_put_u16(skb, DTCP_CONN_A_CLIENT_PORT, ntohs(c->tuple.cport)) ||
		    nla_put_in_addr(skb, DTCP_CONN_A_LOCAL, c->tuple.laddr) ||
		    nla_put_u16(skb, DTCP_CONN_A_LOCAL_PORT, ntohs(c->tuple.lport)) ||
		    nla_put_u32(skb, DTCP_CONN_A_PEER, READ_ONCE(c->peer)) ||
		    nla_put_u32(skb, DTCP_CONN_A_HANDOFFS, READ_ONCE(c->handoffs)) ||
		    nla_put_u64_64bit(skb, DTCP_CONN_A_BYTES, READ_ONCE(c->bytes), DTCP_CONN_A_PAD)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
		cb->args[0] = key + 1;
	}
	rcu_read_unlock();
	return skb->len;
}

static const struct genl_ops dtcp_genl_ops[] = {
	{
		.cmd = DTCP_CMD_GET_STATUS,
		.doit = dtcp_nl_get_status,
	},
	{
		.cmd = DTCP_CMD_SET_CONFIG,
		.doit = dtcp_nl_set_config,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DTCP_CMD_SET_PEER,
		.doit = dtcp_nl_set_peer,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DTCP_CMD_DEL_PEER,
		.doit = dtcp_nl_del_peer,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = DTCP_CMD_GET_PEERS,
		.dumpit = dtcp_nl_get_peers,
	},
	{
		.cmd = DTCP_CMD_GET_CONNS,
		.dumpit = dtcp_nl_get_conns,
	},
	{
		.cmd = DTCP_CMD_SET_DAEMON,
		.doit = dtcp_nl_set_daemon,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group dtcp_mcgrps[] = {
	{ .name = DTCP_MCGRP_EVENTS },
};

static struct genl_family dtcp_genl_family __ro_after_init = {
	.name = DTCP_GENL_NAME,
	.version = DTCP_GENL_VERSION,
	.maxattr = DTCP_A_MAX,
	.policy = dtcp_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = dtcp_genl_ops,
	.n_ops = ARRAY_SIZE(dtcp_genl_ops),
	/* Strict validation and zero reserved fields for every command. */
	.resv_start_op = DTCP_CMD_GET_STATUS,
	.mcgrps = dtcp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dtcp_mcgrps),
};

void dtcp_netlink_notify(struct net *net, enum dtcp_event ev)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&dtcp_genl_family, net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &dtcp_genl_family, 0, DTCP_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, DTCP_A_EVENT, ev)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&dtcp_genl_family, net, msg, 0, 0, GFP_KERNEL);
}

int __init dtcp_netlink_init(void)
{
	int ret;

	ret = netlink_register_notifier(&dtcp_netlink_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&dtcp_genl_family);
	if (ret)
		netlink_unregister_notifier(&dtcp_netlink_notifier);
	return ret;
}

void dtcp_netlink_exit(void)
{
	genl_unregister_family(&dtcp_genl_family);
	netlink_unregister_notifier(&dtcp_netlink_notifier);
}
