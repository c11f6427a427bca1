// SPDX-License-Identifier: GPL-2.0
/*
 * dtcp.ko: Distributed TCP, partial hand-off of established TCP connections
 * between the back-ends of a web cluster.  This file only initialises and
 * tears down the subsystems, in reverse order.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "dtcp.h"
#include "chardev.h"
#include "conn.h"
#include "handoff.h"
#include "netlink.h"
#include "hooks.h"
#include "mac.h"
#include "netns.h"

struct dtcp_live dtcp_live;

static int __init dtcp_init(void)
{
	int ret;

	ret = dtcp_mac_init();
	if (ret)
		return ret;
	ret = dtcp_conn_init();
	if (ret)
		goto err_conn;
	dtcp_active_init();
	dtcp_passive_init();
	ret = dtcp_netns_init();
	if (ret)
		goto err_netns;
	ret = dtcp_netlink_init();
	if (ret)
		goto err_netlink;
	ret = dtcp_chardev_init();
	if (ret)
		goto err_chardev;

	pr_info("dtcp: version %s loaded (ABI %d)\n", DTCP_VERSION, DTCP_ABI_VERSION);
	return 0;

err_chardev:
	dtcp_netlink_exit();
err_netlink:
	dtcp_netns_exit();
err_netns:
	dtcp_conn_exit();
err_conn:
	dtcp_mac_exit();
	return ret;
}

static void __exit dtcp_exit(void)
{
	int i;

	dtcp_chardev_exit();
	dtcp_netlink_exit();
	dtcp_netns_exit();
	dtcp_conn_exit();
	dtcp_hooks_exit();
	dtcp_mac_exit();
	for (i = 1; i < __DTCP_CNT_MAX; i++)
		WARN(atomic_read(&dtcp_live.count[i]),
		     "dtcp: %d live objects of kind %d at unload\n",
		     atomic_read(&dtcp_live.count[i]), i);
	pr_info("dtcp: unloaded\n");
}

module_init(dtcp_init);
module_exit(dtcp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Distributed TCP: partial hand-off of persistent connections");
MODULE_VERSION(DTCP_VERSION);
MODULE_ALIAS_GENL_FAMILY(DTCP_GENL_NAME);
/*
 * The tunnel's MAC is AES-256-CMAC from the crypto API, which takes the
 * fastest AES cipher registered when the key is set.  The CPU-specific one
 * (aesni_intel on x86) is a module that a host's udev usually loads at boot;
 * modprobe loads it first where it did not, else every message is signed and
 * checked by the generic table-driven AES.  The cmac template itself would
 * be loaded on demand.
 */
MODULE_SOFTDEP("pre: aes cmac");
