/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * DTCP: the kernel ABI of dtcp.ko.
 *
 * Two interfaces:
 *  - the generic-netlink family "dtcp" (configuration, status, counters,
 *    events) used by dtcpd and dtcpctl;
 *  - the misc device /dev/dtcp (ioctls) used by applications through libdtcp.
 *
 * Everything here is part of the ABI: values are only ever appended.
 */
#ifndef _UAPI_LINUX_DTCP_H
#define _UAPI_LINUX_DTCP_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DTCP_GENL_NAME		"dtcp"
#define DTCP_GENL_VERSION	1
#define DTCP_MCGRP_EVENTS	"events"

/* ABI version reported by GET_STATUS and DTCP_IOC_INFO. */
#define DTCP_ABI_VERSION	1

/* Limits. */
#define DTCP_NODE_ID_MAX	65535	/* node ids are 1..DTCP_NODE_ID_MAX */
#define DTCP_KEY_LEN		32	/* cluster key, bytes */

enum dtcp_cmd {
	DTCP_CMD_UNSPEC,
	DTCP_CMD_GET_STATUS,	/* -> version, node id, config, live counters */
	DTCP_CMD_SET_CONFIG,	/* NODE_ID, TUNNEL_PORT, CLUSTER_KEY (any subset, >= 1); admin */
	DTCP_CMD_EVENT,		/* multicast notification (kernel -> user) */
	__DTCP_CMD_MAX,
};
#define DTCP_CMD_MAX (__DTCP_CMD_MAX - 1)

enum dtcp_attr {
	DTCP_A_UNSPEC,
	DTCP_A_ABI_VERSION,	/* u32, out */
	DTCP_A_MODULE_VERSION,	/* string, out */
	DTCP_A_NODE_ID,		/* u32, 1..DTCP_NODE_ID_MAX; absent in status = unset */
	DTCP_A_TUNNEL_PORT,	/* u16, host order, 1..65535 */
	DTCP_A_CLUSTER_KEY,	/* binary, exactly DTCP_KEY_LEN bytes, in only */
	DTCP_A_KEY_SET,		/* u8 (0/1), out */
	DTCP_A_COUNTERS,	/* nest of enum dtcp_counter_attr, out */
	DTCP_A_EVENT,		/* u32, enum dtcp_event, out (events) */
	DTCP_A_PAD,
	__DTCP_A_MAX,
};
#define DTCP_A_MAX (__DTCP_A_MAX - 1)

/*
 * Live-object counters: every object the module allocates is counted while
 * it exists.  All of them are zero when nothing is in use; tests check that
 * after every scenario.
 */
enum dtcp_counter_attr {
	DTCP_CNT_UNSPEC,
	DTCP_CNT_FILES,		/* u32: open /dev/dtcp files */
	DTCP_CNT_CONNS,		/* u32: connection entries */
	DTCP_CNT_HANDOFFS,	/* u32: hand-offs in flight */
	DTCP_CNT_PEERS,		/* u32: peer entries */
	__DTCP_CNT_MAX,
};
#define DTCP_CNT_MAX (__DTCP_CNT_MAX - 1)

enum dtcp_event {
	DTCP_EV_UNSPEC,
	DTCP_EV_CONFIG_CHANGED,
	__DTCP_EV_MAX,
};

/*
 * /dev/dtcp ioctls.  Every argument structure starts with its own size, set
 * by the caller; reserved fields and unknown flags must be zero.
 */
struct dtcp_ioc_info {
	__u32 size;		/* in: sizeof(struct dtcp_ioc_info) */
	__u32 flags;		/* in: must be 0 */
	__u32 abi_version;	/* out: DTCP_ABI_VERSION */
	__u32 node_id;		/* out: this namespace's node id, 0 when unset */
	__u64 reserved[2];	/* in: must be 0 */
};

#define DTCP_IOC_MAGIC		0xD7
#define DTCP_IOC_INFO		_IOWR(DTCP_IOC_MAGIC, 0x01, struct dtcp_ioc_info)

#endif /* _UAPI_LINUX_DTCP_H */
