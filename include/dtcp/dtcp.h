/* SPDX-License-Identifier: MIT */
/*
 * libdtcp application API: partial hand-off of a TCP connection to another
 * back-end (active side) and taking handed-off connections (passive side).
 * A thin, C-callable layer over the /dev/dtcp ioctls of <linux/dtcp.h>.
 *
 * Every function returns -1 and sets errno on failure.  Arguments are checked
 * here before the kernel sees them, with the errno values the kernel uses.
 */
#ifndef DTCP_DTCP_H
#define DTCP_DTCP_H

#include <stddef.h>
#include <stdint.h>

#include <linux/dtcp.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DTCP_DEVICE "/dev/dtcp"

/*
 * Open the control device (O_RDWR | O_CLOEXEC).  Returns the control fd.
 * ENOENT: the module is not loaded.
 */
int dtcp_open(void);

/*
 * This namespace's node id (0 when unset) and the module's ABI version.
 * Either pointer may be NULL.
 */
int dtcp_info(int ctlfd, uint32_t *node_id, uint32_t *abi_version);

/*
 * Start (@on = 1) or stop (@on = 0) accepting hand-offs on @ctlfd.  While
 * listening, poll(2) on @ctlfd reports POLLIN when a hand-off is waiting.
 */
int dtcp_listen(int ctlfd, int on);

/*
 * Hand the established TCP/IPv4 connection @sockfd to node @node for the one
 * response to the @len request bytes at @req.  @flags must be 0.  Blocks
 * until the connection is back (0); on failure the connection is untouched
 * and the caller serves the request itself.  errno as in <linux/dtcp.h>
 * (DTCP_IOC_HANDOFF): EINVAL, EBADF, ENOTCONN, ENOENT, EMSGSIZE, EBUSY,
 * ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, EINTR, EADDRNOTAVAIL, ECONNABORTED,
 * ECONNRESET; EBADF also for a bad @ctlfd.
 */
int dtcp_handoff(int ctlfd, int sockfd, uint32_t node, const void *req, size_t len,
		 unsigned flags);

/*
 * dtcp_handoff() that waits at most @timeout_ms for node @node to answer
 * (0: the module's default, 3 s; at most DTCP_MAX_ANSWER_MS, else EINVAL;
 * below 20 counts as 20).  Without an answer in time: ETIMEDOUT, the
 * connection untouched.  The answer is the passive node's acceptance, not
 * the response: once accepted, the call returns when the connection is back.
 */
int dtcp_handoff_timeout(int ctlfd, int sockfd, uint32_t node, const void *req, size_t len,
			 unsigned timeout_ms, unsigned flags);

/*
 * Take the next handed-off connection (needs dtcp_listen first).  The
 * request is copied into @buf (@cap bytes) and its length stored in
 * *@req_len; the active node's id in *@origin (both may be NULL).  Returns
 * the connected socket: write the response and close it.  Its socket
 * options are the defaults of a new TCP socket, whatever the active node's
 * socket had: set TCP_NODELAY on it as on an accepted one where the response
 * is written in parts (with Nagle on, its last small segment waits for the
 * client's ACK of the one before, which travels through the active node).
 * @flags:
 * DTCP_ACCEPT_NONBLOCK (EAGAIN when none is waiting), DTCP_ACCEPT_CLOEXEC.
 * Without NONBLOCK it waits; threads waiting so on one node are woken one
 * per hand-off (poll wakes every poller).  EMSGSIZE: @cap is too small; *@req_len holds the size needed and the
 * connection stays queued.  EFAULT: @buf cannot be written; no socket is
 * returned and the connection goes back unserved.
 */
int dtcp_accept(int ctlfd, void *buf, size_t cap, size_t *req_len, uint32_t *origin,
		unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* DTCP_DTCP_H */
