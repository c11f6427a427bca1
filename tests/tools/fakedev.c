// SPDX-License-Identifier: MIT
/*
 * libdtcp-fakedev.so: a user-space stand-in for /dev/dtcp, loaded with
 * LD_PRELOAD into dtcp-testsrv processes on one machine, so that the
 * server's dtcp mode (hand-off, accept loop, poll, fallback) runs end to end
 * without the kernel module.
 *
 * It does not move TCP state: the "hand-off" passes the connected socket
 * itself to the passive process (SCM_RIGHTS over a UNIX seqpacket socket),
 * which writes the response on it; closing it there "returns" the
 * connection and unblocks DTCP_IOC_HANDOFF on the active side.  The ABI seen
 * by the application (structures, errno values, pollable control fd) is the
 * one of <linux/dtcp.h>.
 *
 * Environment: DTCP_FAKE_DIR (directory for the rendezvous sockets, shared by
 * all nodes), DTCP_FAKE_NODE (this process's node id).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dtcp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char is_ctl[MAX_FD];	/* fd is a fake /dev/dtcp file */
static int return_chan[MAX_FD];	/* accepted socket fd -> channel to its active side, +1 */

static int (*real_open)(const char *, int, ...);
static int (*real_close)(int);

static void init_real(void)
{
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (!real_close)
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

static uint32_t my_node(void)
{
	const char *s = getenv("DTCP_FAKE_NODE");
	return s ? (uint32_t)strtoul(s, NULL, 10) : 0;
}

static int node_addr(uint32_t node, struct sockaddr_un *sa)
{
	const char *dir = getenv("DTCP_FAKE_DIR");

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!dir || snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/node-%u.sock", dir, node) >=
			    (int)sizeof(sa->sun_path))
		return -1;
	return 0;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int open_ctl(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (fd >= MAX_FD) {
		real_close(fd);
		return fail(EMFILE);
	}
	pthread_mutex_lock(&mu);
	is_ctl[fd] = 1;
	pthread_mutex_unlock(&mu);
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	init_real();
	if (strcmp(path, "/dev/dtcp") == 0)
		return open_ctl();
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open(path, flags, mode);
}

int close(int fd)
{
	int chan = -1;

	init_real();
	if (fd >= 0 && fd < MAX_FD) {
		pthread_mutex_lock(&mu);
		is_ctl[fd] = 0;
		chan = return_chan[fd] - 1;
		return_chan[fd] = 0;
		pthread_mutex_unlock(&mu);
	}
	if (chan >= 0) {
		/* The passive application is done: the connection goes back. */
		int r = real_close(fd);

		send(chan, "R", 1, MSG_NOSIGNAL);
		real_close(chan);
		return r;
	}
	return real_close(fd);
}

static int do_listen(int ctl, const __u32 *on)
{
	struct sockaddr_un sa;

	if (*on > 1)
		return fail(EINVAL);
	if (!*on)
		return 0;
	if (node_addr(my_node(), &sa) < 0)
		return fail(EADDRNOTAVAIL);
	unlink(sa.sun_path);
	if (bind(ctl, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ctl, 64) < 0)
		return -1;
	return 0;
}

/* Wait until everything written on @sock has been acknowledged. */
static int wait_quiescent(int sock)
{
	for (int i = 0; i < 2000; i++) {
		int outq = 0;

		if (syscall(SYS_ioctl, sock, SIOCOUTQ, &outq) < 0)
			return -1;
		if (outq == 0)
			return 0;
		usleep(1000);
	}
	return fail(EBUSY);
}

static int do_handoff(const struct dtcp_ioc_handoff *h)
{
	struct sockaddr_un sa;
	char buf[sizeof(__u32) + DTCP_MAX_REQUEST];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct timeval tv = { .tv_sec = 10 };
	__u32 origin = my_node();
	char answer = 0;
	int type = 0, ch;
	socklen_t len = sizeof(type);
	ssize_t n;

	if (h->size != sizeof(*h) || h->flags || h->reserved[0] || h->reserved[1] || h->sockfd < 0)
		return fail(EINVAL);
	if (h->request_len > DTCP_MAX_REQUEST)
		return fail(EMSGSIZE);
	if (origin == 0)
		return fail(EADDRNOTAVAIL);
	if (h->node_id == 0 || h->node_id == origin)
		return fail(EINVAL);
	if (getsockopt(h->sockfd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return fail(EINVAL);
	if (wait_quiescent(h->sockfd) < 0)
		return -1;
	if (node_addr(h->node_id, &sa) < 0)
		return fail(ENOENT);
	ch = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ch < 0)
		return -1;
	if (connect(ch, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		real_close(ch);
		return fail(ENOENT);
	}
	setsockopt(ch, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memcpy(buf, &origin, sizeof(origin));
	memcpy(buf + sizeof(origin), (const void *)(uintptr_t)h->request, h->request_len);
	iov.iov_base = buf;
	iov.iov_len = sizeof(origin) + h->request_len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &h->sockfd, sizeof(int));
	if (sendmsg(ch, &msg, MSG_NOSIGNAL) < 0) {
		real_close(ch);
		return fail(ENOENT);
	}
	n = recv(ch, &answer, 1, 0);
	real_close(ch);
	if (n == 1 && answer == 'R')
		return 0;
	if (n == 1 && answer == 'N')
		return fail(ECONNREFUSED);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return fail(ETIMEDOUT);
	return fail(ECONNABORTED);
}

static int do_accept(int ctl, struct dtcp_ioc_accept *a)
{
	char buf[sizeof(__u32) + DTCP_MAX_REQUEST];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct pollfd p = { ctl, POLLIN, 0 };
	__u32 origin;
	int conn, fd = -1;
	ssize_t n;

	if (a->size != sizeof(*a) || (a->flags & ~(DTCP_ACCEPT_NONBLOCK | DTCP_ACCEPT_CLOEXEC)) ||
	    a->reserved[0] || a->reserved[1])
		return fail(EINVAL);
	if ((a->flags & DTCP_ACCEPT_NONBLOCK) && poll(&p, 1, 0) == 0)
		return fail(EAGAIN);
	conn = accept4(ctl, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return errno == EINVAL ? fail(EINVAL) : -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	n = recvmsg(conn, &msg, (a->flags & DTCP_ACCEPT_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0);
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (n < (ssize_t)sizeof(origin) || fd < 0 || fd >= MAX_FD) {
		if (fd >= 0)
			real_close(fd);
		real_close(conn);
		return fail(EAGAIN);
	}
	if ((size_t)n - sizeof(origin) > a->request_cap) {
		/* The real module keeps it queued; this stand-in refuses it. */
		a->request_len = (__u32)(n - sizeof(origin));
		send(conn, "N", 1, MSG_NOSIGNAL);
		real_close(fd);
		real_close(conn);
		return fail(EMSGSIZE);
	}
	memcpy(&origin, buf, sizeof(origin));
	memcpy((void *)(uintptr_t)a->request, buf + sizeof(origin), n - sizeof(origin));
	a->request_len = (__u32)(n - sizeof(origin));
	a->origin_node = origin;
	a->fd = fd;
	pthread_mutex_lock(&mu);
	return_chan[fd] = conn + 1;
	pthread_mutex_unlock(&mu);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ctl;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&mu);
	ctl = fd >= 0 && fd < MAX_FD && is_ctl[fd];
	pthread_mutex_unlock(&mu);
	if (!ctl)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	switch (req) {
	case DTCP_IOC_INFO: {
		struct dtcp_ioc_info *i = arg;

		if (i->size != sizeof(*i) || i->flags)
			return fail(EINVAL);
		i->abi_version = DTCP_ABI_VERSION;
		i->node_id = my_node();
		return 0;
	}
	case DTCP_IOC_LISTEN:
		return do_listen(fd, arg);
	case DTCP_IOC_HANDOFF:
		return do_handoff(arg);
	case DTCP_IOC_ACCEPT:
		return do_accept(fd, arg);
	default:
		return fail(ENOTTY);
	}
}
