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
#define DTCP_MAX_PEERS		256	/* peers per node */
#define DTCP_MAX_REQUEST	16384	/* request bytes carried by a hand-off */
#define DTCP_MAX_ANSWER_MS	60000	/* longest hand-off answer timeout */
#define DTCP_DEFAULT_PORT	7400	/* tunnel UDP port */

enum dtcp_cmd {
	DTCP_CMD_UNSPEC,
	DTCP_CMD_GET_STATUS,	/* -> version, node id, config, live counters */
	DTCP_CMD_SET_CONFIG,	/* NODE_ID, TUNNEL_PORT, CLUSTER_KEY (any subset, >= 1); admin */
	DTCP_CMD_EVENT,		/* multicast notification (kernel -> user) */
	DTCP_CMD_SET_PEER,	/* PEER{ID, ADDR, [PORT], [UP]}: add or update; admin */
	DTCP_CMD_DEL_PEER,	/* PEER{ID}; admin */
	DTCP_CMD_GET_PEERS,	/* dump: one PEER nest per message */
	DTCP_CMD_GET_CONNS,	/* dump: one CONN nest per message */
	DTCP_CMD_SET_DAEMON,	/* [DAEMON] (default 1): the sending socket is (1) or is no
				 * longer (0) this namespace's daemon; admin */
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
	DTCP_A_VIP,		/* be32 IPv4 address: the cluster's virtual IP */
	DTCP_A_PEER,		/* nest of enum dtcp_peer_attr */
	DTCP_A_CONN,		/* nest of enum dtcp_conn_attr, out */
	DTCP_A_STATS,		/* nest of enum dtcp_stat_attr (u64 each), out */
	DTCP_A_DAEMON,		/* u8: a daemon registered with SET_DAEMON and its socket
				 * is open (1) or not (0); in: SET_DAEMON's request */
	DTCP_A_MAC_DRIVER,	/* string, out: the crypto driver computing the tunnel's MAC
				 * (e.g. "cmac(aes-aesni)"); absent while no key is set */
	DTCP_A_MAC_BLOCKS_DRIVER, /* string, out: the CPU's CBC-AES through which the MAC's
				 * blocks go a chunk per FPU section, where the FPU is usable
				 * (e.g. "__cbc-aes-aesni"); absent where the MAC driver
				 * alone computes it */
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
	DTCP_CNT_UPLOAD_PAGES,	/* u32: pages of client bytes kept for connections away */
	__DTCP_CNT_MAX,
};
#define DTCP_CNT_MAX (__DTCP_CNT_MAX - 1)

enum dtcp_peer_attr {
	DTCP_PEER_A_UNSPEC,
	DTCP_PEER_A_ID,		/* u32, 1..DTCP_NODE_ID_MAX */
	DTCP_PEER_A_ADDR,	/* be32 IPv4 address of the peer's tunnel */
	DTCP_PEER_A_PORT,	/* u16, tunnel port (default: this node's) */
	DTCP_PEER_A_UP,		/* u8: 1 up (hand-offs allowed), 0 down */
	DTCP_PEER_A_TX,		/* u64, out: tunnel messages sent */
	DTCP_PEER_A_RX,		/* u64, out: tunnel messages accepted */
	DTCP_PEER_A_PAD,
	__DTCP_PEER_A_MAX,
};
#define DTCP_PEER_A_MAX (__DTCP_PEER_A_MAX - 1)

enum dtcp_conn_role {
	DTCP_ROLE_ACTIVE = 1,	/* this node owns the connection (A) */
	DTCP_ROLE_PASSIVE = 2,	/* this node serves it for one response (P) */
};

enum dtcp_conn_state {
	DTCP_CONN_FREEZING = 1,	/* A: diverting, capturing state */
	DTCP_CONN_HANDING,	/* A: HANDOFF sent, awaiting the answer */
	DTCP_CONN_HANDED_OUT,	/* A: P serves the connection */
	DTCP_CONN_RETURNING,	/* A: RETURN received, applying it */
	DTCP_CONN_BUILDING,	/* P: building the socket */
	DTCP_CONN_QUEUED,	/* P: waiting for the application to accept */
	DTCP_CONN_SERVING,	/* P: the application holds the socket */
	DTCP_CONN_DRAINING,	/* P: closed, waiting for the client's ACKs */
	DTCP_CONN_RETURNED,	/* P: RETURN sent, awaiting RETURN_ACK */
};

enum dtcp_conn_attr {
	DTCP_CONN_A_UNSPEC,
	DTCP_CONN_A_ID,		/* u32: connection id (unique per origin node) */
	DTCP_CONN_A_ORIGIN,	/* u32: node id of the active node */
	DTCP_CONN_A_ROLE,	/* u8: enum dtcp_conn_role */
	DTCP_CONN_A_STATE,	/* u8: enum dtcp_conn_state */
	DTCP_CONN_A_CLIENT,	/* be32: client address */
	DTCP_CONN_A_CLIENT_PORT,	/* u16 */
	DTCP_CONN_A_LOCAL,	/* be32: local (virtual) address */
	DTCP_CONN_A_LOCAL_PORT,	/* u16 */
	DTCP_CONN_A_PEER,	/* u32: node serving it (A) or its origin (P) */
	DTCP_CONN_A_HANDOFFS,	/* u32: hand-offs of this connection so far */
	DTCP_CONN_A_BYTES,	/* u64: response bytes served by the passive node */
	DTCP_CONN_A_PAD,
	__DTCP_CONN_A_MAX,
};
#define DTCP_CONN_A_MAX (__DTCP_CONN_A_MAX - 1)

/* Per-node statistics (monotonic u64 counters). */
enum dtcp_stat_attr {
	DTCP_STAT_UNSPEC,
	DTCP_STAT_HANDOFF_STARTED,
	DTCP_STAT_HANDOFF_DONE,
	DTCP_STAT_HANDOFF_FAILED,
	DTCP_STAT_HANDOFF_SERVED,	/* as passive node */
	DTCP_STAT_SEG_FORWARDED,	/* client segments sent to a passive node */
	DTCP_STAT_SEG_INJECTED,		/* client segments injected as passive node */
	DTCP_STAT_FROZEN_DROPPED,	/* packets a frozen socket tried to send */
	DTCP_STAT_TX_MSGS,
	DTCP_STAT_RX_MSGS,
	DTCP_STAT_RETRANSMITS,		/* control messages sent again */
	DTCP_STAT_DROP_MALFORMED,	/* tunnel drops, by reason: */
	DTCP_STAT_DROP_UNKNOWN_PEER,
	DTCP_STAT_DROP_BAD_MAC,
	DTCP_STAT_DROP_REPLAY,
	DTCP_STAT_DROP_NO_CONN,
	DTCP_STAT_PAD,
	DTCP_STAT_DROP_STALE,		/* duplicate HANDOFF of a hand-off that is over */
	DTCP_STAT_HANDOFF_TIMEOUT,	/* no answer from the passive node in time */
	DTCP_STAT_PEER_LOST,		/* hand-offs ended: the other node went silent or down */
	DTCP_STAT_SEG_RETURNED,		/* client segments that reached the passive node after
					 * the return, sent back to the active node */
	DTCP_STAT_TAIL_RETURNED,	/* returns that carried response bytes the client
					 * had not acknowledged yet (return_tail_max) */
	DTCP_STAT_DRAIN_ACKED,		/* drains ended as the client's ACK came in, not
					 * at the next poll */
	DTCP_STAT_UPLOAD_DROPPED,	/* client segments not sent to the passive node:
					 * their bytes could not be kept (upload_max_kb) */
	DTCP_STAT_UPLOAD_RESTORED,	/* returns that put client bytes the passive socket
					 * had received, unread, into Sa from the kept copy */
	DTCP_STAT_HANDOFF_AGAIN,	/* hand-offs started over, not failed: a client
					 * segment reached the socket between the wait for
					 * quiescence and the freeze (out of order) */
	DTCP_STAT_HANDOFF_REFUSED,	/* HANDOFFs refused as passive node (NACK): not
					 * for its VIP, no application accepting, its
					 * table full, or no socket could be built */
	__DTCP_STAT_MAX,
};
#define DTCP_STAT_MAX (__DTCP_STAT_MAX - 1)

enum dtcp_event {
	DTCP_EV_UNSPEC,
	DTCP_EV_CONFIG_CHANGED,
	DTCP_EV_PEER_CHANGED,
	DTCP_EV_HANDOFF_FAILED,	/* with DTCP_A_CONN */
	DTCP_EV_DAEMON_UP,	/* a daemon registered (SET_DAEMON) */
	DTCP_EV_DAEMON_GONE,	/* the daemon unregistered or its socket was closed */
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

/*
 * DTCP_IOC_HANDOFF (active node): hand the established TCP connection
 * @sockfd to node @node_id for one response to @request.  Blocks until the
 * connection is back (0), or fails with the connection untouched and still
 * usable by the caller, which then serves the request itself:
 *   EINVAL  bad arguments, not a TCP/IPv4 socket, hand-off to self,
 *           @timeout_ms above DTCP_MAX_ANSWER_MS
 *   EBADF   @sockfd is not an open file
 *   ENOTCONN  socket not established     ENOENT  unknown or down node
 *   EMSGSIZE  request longer than DTCP_MAX_REQUEST
 *   EBUSY   the socket did not become quiescent in 2 s (data of its own
 *           not acknowledged, or client data received out of order),
 *           or this node's (or the passive node's) table is full
 *   ECONNREFUSED  the passive node refused (NACK)
 *   ETIMEDOUT  no answer from the passive node in time
 *   EHOSTUNREACH  the hand-off could not be sent to the passive node (no
 *           route to its address; the kernel log names the send error)
 *   EINTR   a signal came while waiting for the socket to become
 *           quiescent, or a fatal one while waiting for the answer
 *   EADDRNOTAVAIL  this node is not configured (node id, tunnel port, VIP)
 * After a successful start the connection may still come back without
 * the response having been sent (ECONNABORTED: serve it locally), or be
 * reset (ECONNRESET: the client or the passive node went away).
 */
struct dtcp_ioc_handoff {
	__u32 size;		/* sizeof(struct dtcp_ioc_handoff) */
	__u32 flags;		/* must be 0 */
	__s32 sockfd;
	__u32 node_id;
	__u64 request;		/* user pointer to the request bytes */
	__u32 request_len;
	__u32 timeout_ms;	/* answer timeout, 0: default (3 s); at most
				 * DTCP_MAX_ANSWER_MS; below 20 ms counts as 20
				 * (a RETURN is an answer too: the passive node
				 * sends HANDOFF_ACK only after 5 ms) */
	__u64 reserved[2];
};

/*
 * DTCP_IOC_ACCEPT (passive node): take the next handed-off connection.
 * Needs DTCP_IOC_LISTEN on the file first.  Returns a connected TCP socket
 * in @fd and the request bytes in @request.  The application writes the
 * response and closes the socket; the close returns the connection to its
 * active node.  EAGAIN with DTCP_ACCEPT_NONBLOCK when none is pending;
 * without it the call waits, and waiting callers are woken one per
 * hand-off (a poll on the file wakes every poller).
 * EMSGSIZE (with @request_len set, nothing taken) when the buffer is short.
 * EFAULT when the request buffer or this structure cannot be written:
 * no descriptor is installed and the connection goes back unserved.
 */
#define DTCP_ACCEPT_NONBLOCK	0x1
#define DTCP_ACCEPT_CLOEXEC	0x2
struct dtcp_ioc_accept {
	__u32 size;		/* sizeof(struct dtcp_ioc_accept) */
	__u32 flags;		/* DTCP_ACCEPT_* */
	__u64 request;		/* user buffer for the request */
	__u32 request_cap;	/* its size */
	__u32 request_len;	/* out */
	__s32 fd;		/* out */
	__u32 origin_node;	/* out: the active node */
	__u64 reserved[2];
};

#define DTCP_IOC_MAGIC		0xD7
#define DTCP_IOC_INFO		_IOWR(DTCP_IOC_MAGIC, 0x01, struct dtcp_ioc_info)
#define DTCP_IOC_HANDOFF	_IOW(DTCP_IOC_MAGIC, 0x02, struct dtcp_ioc_handoff)
#define DTCP_IOC_ACCEPT		_IOWR(DTCP_IOC_MAGIC, 0x03, struct dtcp_ioc_accept)
/* Argument: __u32, 1 to accept hand-offs on this file, 0 to stop. */
#define DTCP_IOC_LISTEN		_IOW(DTCP_IOC_MAGIC, 0x04, __u32)

#endif /* _UAPI_LINUX_DTCP_H */
