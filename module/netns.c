// SPDX-License-Identifier: GPL-2.0
/* Per-network-namespace state. */
#include <linux/string.h>
#include <net/netns/generic.h>

#include "netns.h"

static unsigned int dtcp_net_id __read_mostly;

struct dtcp_net *dtcp_net(const struct net *net)
{
	return net_generic(net, dtcp_net_id);
}

static int __net_init dtcp_net_init(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);

	dn->net = net;
	mutex_init(&dn->lock);
	return 0;
}

static void __net_exit dtcp_net_exit(struct net *net)
{
	struct dtcp_net *dn = dtcp_net(net);

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
}
