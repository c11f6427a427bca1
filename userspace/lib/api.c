// SPDX-License-Identifier: MIT
/* libdtcp application API over the /dev/dtcp ioctls. */
#include "dtcp/dtcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int dtcp_open(void)
{
	return open(DTCP_DEVICE, O_RDWR | O_CLOEXEC);
}

static int bad(int err)
{
	errno = err;
	return -1;
}

int dtcp_info(int ctlfd, uint32_t *node_id, uint32_t *abi_version)
{
	struct dtcp_ioc_info info;

	if (ctlfd < 0)
		return bad(EBADF);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(ctlfd, DTCP_IOC_INFO, &info) < 0)
		return -1;
	if (node_id)
		*node_id = info.node_id;
	if (abi_version)
		*abi_version = info.abi_version;
	return 0;
}

int dtcp_listen(int ctlfd, int on)
{
	__u32 arg;

	if (ctlfd < 0)
		return bad(EBADF);
	if (on != 0 && on != 1)
		return bad(EINVAL);
	arg = (__u32)on;
	return ioctl(ctlfd, DTCP_IOC_LISTEN, &arg) < 0 ? -1 : 0;
}

/*
 * EINVAL unless @fd is a TCP socket of the IPv4 family; ENOTCONN when it has
 * never been connected (closed, listening, or still in the handshake).  Later
 * states are the kernel's to judge.
 */
static int check_tcp4(int fd)
{
	struct tcp_info ti;
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_INET)
		return bad(EINVAL);
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) < 0 || v != IPPROTO_TCP)
		return bad(EINVAL);
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return bad(EINVAL);
	switch (ti.tcpi_state) {
	case TCP_CLOSE:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return bad(ENOTCONN);
	default:
		return 0;
	}
}

int dtcp_handoff(int ctlfd, int sockfd, uint32_t node, const void *req, size_t len,
		 unsigned flags)
{
	return dtcp_handoff_timeout(ctlfd, sockfd, node, req, len, 0, flags);
}

int dtcp_handoff_timeout(int ctlfd, int sockfd, uint32_t node, const void *req, size_t len,
			 unsigned timeout_ms, unsigned flags)
{
	struct dtcp_ioc_handoff h;

	if (ctlfd < 0)
		return bad(EBADF);
	if (sockfd < 0 || flags != 0 || node == 0 || node > DTCP_NODE_ID_MAX || !req || len == 0 ||
	    timeout_ms > DTCP_MAX_ANSWER_MS)
		return bad(EINVAL);
	if (len > DTCP_MAX_REQUEST)
		return bad(EMSGSIZE);
	if (check_tcp4(sockfd) < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.sockfd = sockfd;
	h.node_id = node;
	h.request = (__u64)(uintptr_t)req;
	h.request_len = (__u32)len;
	h.timeout_ms = timeout_ms;
	return ioctl(ctlfd, DTCP_IOC_HANDOFF, &h) < 0 ? -1 : 0;
}

int dtcp_accept(int ctlfd, void *buf, size_t cap, size_t *req_len, uint32_t *origin,
		unsigned flags)
{
	struct dtcp_ioc_accept a;

	if (ctlfd < 0)
		return bad(EBADF);
	if ((flags & ~(unsigned)(DTCP_ACCEPT_NONBLOCK | DTCP_ACCEPT_CLOEXEC)) || (!buf && cap))
		return bad(EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.request = (__u64)(uintptr_t)buf;
	a.request_cap = cap > UINT32_MAX ? UINT32_MAX : (__u32)cap;
	a.fd = -1;
	if (ioctl(ctlfd, DTCP_IOC_ACCEPT, &a) < 0) {
		int err = errno;

		if (err == EMSGSIZE && req_len)
			*req_len = a.request_len;
		errno = err;
		return -1;
	}
	if (a.fd < 0)
		return bad(EPROTO);
	if (a.request_len > a.request_cap) {
		close(a.fd);
		return bad(EPROTO);
	}
	if (req_len)
		*req_len = a.request_len;
	if (origin)
		*origin = a.origin_node;
	return a.fd;
}
