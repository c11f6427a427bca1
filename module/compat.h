/* SPDX-License-Identifier: GPL-2.0 */
/* Differences between the supported kernels (6.1 and 6.12), in one place. */
#ifndef _DTCP_COMPAT_H
#define _DTCP_COMPAT_H

#include <linux/version.h>
#include <net/tcp.h>

/* The TSval this socket would send now. */
static inline u32 dtcp_tcp_ts_now(const struct tcp_sock *tp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return tcp_clock_ts(tp->tcp_usec_ts) + tp->tsoffset;
#else
	return tcp_time_stamp_raw() + tp->tsoffset;
#endif
}

/*
 * The TSval of the latest segment this socket sent: its departure time can
 * be ahead of the clock (pacing stamps segments in the future).
 */
static inline u32 dtcp_tcp_ts_sent(const struct tcp_sock *tp)
{
	u64 ns = max(tp->tcp_wstamp_ns, tp->tcp_clock_cache);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	if (tp->tcp_usec_ts)
		return (u32)div_u64(ns, NSEC_PER_USEC) + tp->tsoffset;
#endif
	return (u32)div_u64(ns, NSEC_PER_MSEC) + tp->tsoffset;
}

/* The raw clock TSvals are derived from (without the socket's offset). */
static inline u32 dtcp_tcp_ts_raw(const struct tcp_sock *tp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return tcp_clock_ts(tp->tcp_usec_ts);
#else
	return tcp_time_stamp_raw();
#endif
}

/*
 * The value to give TCP_TIMESTAMP in repair mode so that the socket sends
 * @tsval next (never less).  Since 6.7 the low bit of that value selects
 * microsecond timestamps; keep millisecond ones, rounding up.
 */
static inline u32 dtcp_repair_tsval(u32 tsval)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return (tsval + 1) & ~1U;
#else
	return tsval;
#endif
}

/* struct proto lost sendpage in 6.5 (sendfile goes through sendmsg). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define DTCP_HAVE_SENDPAGE 1
#endif



/* Data direction of an iov_iter that is read from (6.2 renamed WRITE). */
#ifndef ITER_SOURCE
#define ITER_SOURCE WRITE
#endif
#endif /* _DTCP_COMPAT_H */
