/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netfilter hooks.  On the active node: divert the client's segments of a
 * handed-out connection to the passive node, and drop anything the frozen
 * socket emits.  On the passive node: drop anything the discarded socket
 * would still send (a RST for a late segment).  When no connection is being
 * handed, the hooks cost one static-key branch.
 */
#ifndef _DTCP_HOOKS_H
#define _DTCP_HOOKS_H

#include <linux/types.h>

struct dtcp_net;

/* Count one more (true) or one fewer (false) entry that needs the hooks. */
void dtcp_hooks_need(bool more);
int dtcp_hooks_register(struct dtcp_net *dn);
void dtcp_hooks_unregister(struct dtcp_net *dn);
/*
 * After an entry's state changed: every packet that passed a hook before the
 * change has reached its socket (or the socket's backlog).  Process context.
 */
void dtcp_hooks_sync(void);
/* Module exit: no deferred key update may still be pending. */
void dtcp_hooks_exit(void);

#endif /* _DTCP_HOOKS_H */
