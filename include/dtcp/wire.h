/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * DTCP tunnel wire format: UDP between back-ends.  Shared by dtcp.ko and
 * user space (unit tests, fuzz target): the decoder is one pure function,
 * dtcp_wire_decode(), compiled into both.
 *
 * Every message: struct dtcp_wire_hdr, then a payload of hdr.length bytes.
 *   HANDOFF      tuple, state, be32 request length, request bytes
 *   HANDOFF_ACK  -
 *   NACK         be32 errno
 *   SEGMENT      one client IPv4 packet (active to passive node; back from
 *                the passive node if it came after the RETURN)
 *   RETURN       be32 flags (bits 16-31: tail length), state, be32 total
 *                (the tail length again), be32 offset, bytes: a chunk of
 *                the tail.  The client's bytes the passive socket received
 *                and did not read do not travel: the active node kept them
 *                as it forwarded them (module/upload.h).
 *   RETURN_ACK   -
 *   ABORT        be32 errno
 *   PING, PONG   -
 */
#ifndef _DTCP_WIRE_H
#define _DTCP_WIRE_H

#include <linux/types.h>

#define DTCP_WIRE_MAGIC		0xD7C9
/* 4: the state says whether an acknowledgement is due; 3: a RETURN carries no
 * client bytes; 2: the MAC is AES-256-CMAC (1: HMAC-SHA256) */
#define DTCP_WIRE_VERSION	4
#define DTCP_WIRE_MAC_LEN	16
/* Largest payload of one message: fits one UDP datagram. */
#define DTCP_WIRE_MAX_PAYLOAD	(65507 - 40)
/* The tail travels in RETURN chunks of at most this size. */
#define DTCP_WIRE_CHUNK		16384

enum dtcp_msg_type {
	DTCP_MSG_HANDOFF = 1,
	DTCP_MSG_HANDOFF_ACK,
	DTCP_MSG_NACK,
	DTCP_MSG_SEGMENT,
	DTCP_MSG_RETURN,
	DTCP_MSG_RETURN_ACK,
	DTCP_MSG_ABORT,
	DTCP_MSG_PING,
	DTCP_MSG_PONG,
	__DTCP_MSG_MAX,
};

struct dtcp_wire_hdr {
	__be16 magic;
	__u8 version;
	__u8 type;
	__be16 sender;		/* node id of the sender */
	__be16 origin;		/* node id of the connection's active node */
	__be32 hid;		/* hand-off id, unique per origin */
	__be32 length;		/* payload bytes after this header */
	__be64 seq;		/* per-peer message sequence number */
	__u8 mac[DTCP_WIRE_MAC_LEN];
} __attribute__((packed));

struct dtcp_wire_tuple {
	__be32 caddr;		/* client */
	__be32 laddr;		/* local (virtual) address */
	__be16 cport;
	__be16 lport;
} __attribute__((packed));

#define DTCP_ST_SACK	0x1
#define DTCP_ST_TSTAMP	0x2
#define DTCP_ST_WSCALE	0x4
/* The socket owed the client an acknowledgement (a delayed ACK was due):
 * the socket that takes the connection over sends it, delayed as well. */
#define DTCP_ST_ACK_DUE	0x8
#define DTCP_ST_KNOWN	(DTCP_ST_SACK | DTCP_ST_TSTAMP | DTCP_ST_WSCALE | DTCP_ST_ACK_DUE)

/* The TCP state that travels, in host order once decoded. */
struct dtcp_state {
	__u32 snd_nxt, rcv_nxt;
	__u32 snd_wl1, snd_wnd, max_window;
	__u32 rcv_wnd, rcv_wup;
	__u32 tsval, ts_recent;
	__u32 snd_cwnd, srtt_us;
	__u16 mss;
	__u8 snd_wscale, rcv_wscale;
	__u8 flags;		/* DTCP_ST_* */
};

struct dtcp_wire_state {
	__be32 snd_nxt, rcv_nxt;
	__be32 snd_wl1, snd_wnd, max_window;
	__be32 rcv_wnd, rcv_wup;
	__be32 tsval, ts_recent;
	__be32 snd_cwnd, srtt_us;
	__be16 mss;
	__u8 snd_wscale, rcv_wscale;
	__u8 flags;
	__u8 pad[3];
} __attribute__((packed));

#define DTCP_RETURN_SERVED	0x1	/* the passive node sent a response */
#define DTCP_RETURN_FIN		0x2	/* the client closed its side (FIN, counted in rcv_nxt) */
#define DTCP_RETURN_KNOWN	(DTCP_RETURN_SERVED | DTCP_RETURN_FIN)
/*
 * The tail: the last bytes the passive node sent that the client had not
 * acknowledged yet (state.snd_nxt is the sequence number after them).  The
 * active node owns them from the return on and sends them again if they
 * were lost.  Its length is in the flags word's upper half (so at most
 * 0xffff bytes); the RETURN's data is the tail.
 */
#define DTCP_RETURN_TAIL_SHIFT	16
#define DTCP_RETURN_FLAGS_MASK	0xffffU

/* A decoded message; pointers point into the buffer given to the decoder. */
struct dtcp_msg {
	__u8 type;
	__u16 sender, origin;
	__u32 hid;
	__u64 seq;
	const __u8 *mac;
	/* HANDOFF */
	__be32 caddr, laddr;
	__be16 cport, lport;
	/* HANDOFF, RETURN */
	struct dtcp_state state;
	/* HANDOFF: request; SEGMENT: packet; RETURN: chunk of the tail */
	const __u8 *data;
	__u32 data_len;
	/* NACK, ABORT: errno; RETURN: flags */
	__u32 code;
	/* RETURN: bytes of data in all, this chunk's offset, the tail's
	 * length (the same as total) */
	__u32 total, offset, tail_len;
};

#define DTCP_WIRE_HDR_LEN	((unsigned int)sizeof(struct dtcp_wire_hdr))

/*
 * Decode @len bytes at @buf.  Returns 0, or a negative errno:
 * -EBADMSG (bad magic, truncated, lengths that disagree, invalid field),
 * -EPROTONOSUPPORT (other version), -EOPNOTSUPP (unknown type).
 * Pure: reads only @buf, writes only @m.
 */
int dtcp_wire_decode(const void *buf, unsigned int len, struct dtcp_msg *m);

/* Encoders: write into @buf (room for @cap bytes); return bytes written or
 * -EMSGSIZE.  The MAC field is left zero for the caller to fill. */
int dtcp_wire_put_hdr(void *buf, unsigned int cap, __u8 type, __u16 sender,
		      __u16 origin, __u32 hid, __u32 payload_len, __u64 seq);
void dtcp_wire_put_state(struct dtcp_wire_state *w, const struct dtcp_state *s);
void dtcp_wire_get_state(struct dtcp_state *s, const struct dtcp_wire_state *w);

#endif /* _DTCP_WIRE_H */
