// SPDX-License-Identifier: GPL-2.0
/*
 * Generic-netlink family "dtcp": status and configuration.
 *
 * Every request is validated against one family-wide attribute policy in
 * strict mode; errors carry an extended-ack message naming the attribute.
 * Mutating operations need CAP_NET_ADMIN in the namespace's user namespace.
 */
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "dtcp.h"
#include "netlink.h"
#include "netns.h"

static struct genl_family dtcp_genl_family;

/* Ranges beyond s16 need the full-range form (non-const: 6.1 wants it so). */
static struct netlink_range_validation dtcp_node_id_range __ro_after_init = {
	.min = 1,
	.max = DTCP_NODE_ID_MAX,
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

static int dtcp_fill_status(struct sk_buff *skb, struct dtcp_net *dn)
{
	int ret = -EMSGSIZE;

	mutex_lock(&dn->lock);
	if (nla_put_u32(skb, DTCP_A_ABI_VERSION, DTCP_ABI_VERSION) ||
	    nla_put_string(skb, DTCP_A_MODULE_VERSION, DTCP_VERSION) ||
	    (dn->node_id && nla_put_u32(skb, DTCP_A_NODE_ID, dn->node_id)) ||
	    (dn->tunnel_port && nla_put_u16(skb, DTCP_A_TUNNEL_PORT, dn->tunnel_port)) ||
	    nla_put_u8(skb, DTCP_A_KEY_SET, dn->key_set))
		goto out;
	ret = dtcp_put_counters(skb);
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

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
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

	/* The policy has validated types and ranges; all checks precede any change. */
	if (!a[DTCP_A_NODE_ID] && !a[DTCP_A_TUNNEL_PORT] && !a[DTCP_A_CLUSTER_KEY]) {
		NL_SET_ERR_MSG(info->extack, "nothing to configure: give a node id, tunnel port or cluster key");
		return -EINVAL;
	}

	mutex_lock(&dn->lock);
	if (a[DTCP_A_NODE_ID])
		dn->node_id = nla_get_u32(a[DTCP_A_NODE_ID]);
	if (a[DTCP_A_TUNNEL_PORT])
		dn->tunnel_port = nla_get_u16(a[DTCP_A_TUNNEL_PORT]);
	if (a[DTCP_A_CLUSTER_KEY]) {
		nla_memcpy(dn->key, a[DTCP_A_CLUSTER_KEY], sizeof(dn->key));
		dn->key_set = true;
	}
	mutex_unlock(&dn->lock);

	dtcp_netlink_notify(genl_info_net(info), DTCP_EV_CONFIG_CHANGED);
	return 0;
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
	return genl_register_family(&dtcp_genl_family);
}

void dtcp_netlink_exit(void)
{
	genl_unregister_family(&dtcp_genl_family);
}
