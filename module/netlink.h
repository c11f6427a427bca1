/* SPDX-License-Identifier: GPL-2.0 */
/* The generic-netlink family "dtcp". */
#ifndef _DTCP_NETLINK_H
#define _DTCP_NETLINK_H

#include <net/net_namespace.h>
#include <uapi/linux/dtcp.h>

int dtcp_netlink_init(void);
void dtcp_netlink_exit(void);

/* Multicast an event (enum dtcp_event) to listeners in @net. */
void dtcp_netlink_notify(struct net *net, enum dtcp_event ev);

#endif /* _DTCP_NETLINK_H */
