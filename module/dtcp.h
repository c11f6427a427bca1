/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared declarations of dtcp.ko: module-wide live-object counters and
 * logging helpers.
 */
#ifndef _DTCP_H
#define _DTCP_H

#include <linux/atomic.h>
#include <linux/printk.h>
#include <uapi/linux/dtcp.h>

#ifndef DTCP_VERSION
#define DTCP_VERSION "0.1.0"
#endif

/* Live objects, module wide (indexed by enum dtcp_counter_attr). */
struct dtcp_live {
	atomic_t count[__DTCP_CNT_MAX];
};
extern struct dtcp_live dtcp_live;

static inline void dtcp_live_inc(enum dtcp_counter_attr c)
{
	atomic_inc(&dtcp_live.count[c]);
}

static inline void dtcp_live_dec(enum dtcp_counter_attr c)
{
	WARN_ON_ONCE(atomic_dec_return(&dtcp_live.count[c]) < 0);
}

static inline u32 dtcp_live_read(enum dtcp_counter_attr c)
{
	return atomic_read(&dtcp_live.count[c]);
}

#endif /* _DTCP_H */
