/* SPDX-License-Identifier: GPL-2.0 */
/* Capture and apply TCP connection state (DESIGN 4.3). */
#ifndef _DTCP_STATE_H
#define _DTCP_STATE_H

#include <linux/net.h>
#include <net/sock.h>
#include <dtcp/wire.h>

struct dtcp_tuple;

/* Established, nothing unacknowledged, nothing out of order.  Caller locks. */
bool dtcp_state_quiescent(const struct sock *sk);
/* Read the state of a locked, quiescent socket. */
void dtcp_state_capture(const struct sock *sk, struct dtcp_state *st);
/* Take over the acknowledgement a captured state owed (DTCP_ST_ACK_DUE). */
void dtcp_state_ack_due(struct sock *sk);
/* Passive node: a new established socket with @t and @st through the
 * kernel's repair path (process context).  No packet is sent. */
int dtcp_state_build(struct net *net, const struct dtcp_tuple *t,
		     const struct dtcp_state *st, struct socket **res);
/* Active node: move a frozen, quiescent socket to @st (the passive node's
 * final state), append @unread to its receive queue and @tail (bytes sent
 * but not acknowledged yet, ending at st->snd_nxt) to its retransmission
 * queue (process context). */
int dtcp_state_apply(struct sock *sk, const struct dtcp_state *st,
		     const u8 *unread, u32 unread_len, const u8 *tail, u32 tail_len);
/* Passive node: copy the @len sent but unacknowledged bytes that end at
 * snd_nxt of a locked socket whose every byte is sent. */
int dtcp_state_tail(const struct sock *sk, u8 *buf, u32 len);
/* Active node: hand the stack the client's FIN that the passive node received. */
/* false if it could not be queued */
bool dtcp_state_inject_fin(struct sock *sk, int ifindex);
/* Send the client of @t a reset with @seq / @ack, not through a socket. */
int dtcp_state_send_reset(struct net *net, const struct dtcp_tuple *t, u32 seq, u32 ack);
/* Reset the connection of @sk (caller holds lock_sock): the client gets a
 * reset at @seq; a socket a file still holds gets ECONNRESET and dies (an
 * orphan is left as it is: its owner discards it). */
void dtcp_state_reset(struct sock *sk, const struct dtcp_tuple *t, u32 seq);

#endif /* _DTCP_STATE_H */
