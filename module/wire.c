// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Tunnel message codec.  Compiled into dtcp.ko and, unchanged, into the
 * user-space unit tests and fuzz target: no kernel-only calls here.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#else
#include <endian.h>
#include <errno.h>
#include <string.h>
#define be16_to_cpu(x) be16toh(x)
#define be32_to_cpu(x) be32toh(x)
#define be64_to_cpu(x) be64toh(x)
#define cpu_to_be16(x) htobe16(x)
#define cpu_to_be32(x) htobe32(x)
#define cpu_to_be64(x) htobe64(x)
#endif

#include <dtcp/wire.h>

void dtcp_wire_put_state(struct dtcp_wire_state *w, const struct dtcp_state *s)
{
	memset(w, 0, sizeof(*w));
	w->snd_nxt = cpu_to_be32(s->snd_nxt);
	w->rcv_nxt = cpu_to_be32(s->rcv_nxt);
	w->snd_wl1 = cpu_to_be32(s->snd_wl1);
	w->snd_wnd = cpu_to_be32(s->snd_wnd);
	w->max_window = cpu_to_be32(s->max_window);
	w->rcv_wnd = cpu_to_be32(s->rcv_wnd);
	w->rcv_wup = cpu_to_be32(s->rcv_wup);
	w->tsval = cpu_to_be32(s->tsval);
	w->ts_recent = cpu_to_be32(s->ts_recent);
	w->snd_cwnd = cpu_to_be32(s->snd_cwnd);
	w->srtt_us = cpu_to_be32(s->srtt_us);
	w->mss = cpu_to_be16(s->mss);
	w->snd_wscale = s->snd_wscale;
	w->rcv_wscale = s->rcv_wscale;
	w->flags = s->flags;
}

void dtcp_wire_get_state(struct dtcp_state *s, const struct dtcp_wire_state *w)
{
	s->snd_nxt = be32_to_cpu(w->snd_nxt);
	s->rcv_nxt = be32_to_cpu(w->rcv_nxt);
	s->snd_wl1 = be32_to_cpu(w->snd_wl1);
	s->snd_wnd = be32_to_cpu(w->snd_wnd);
	s->max_window = be32_to_cpu(w->max_window);
	s->rcv_wnd = be32_to_cpu(w->rcv_wnd);
	s->rcv_wup = be32_to_cpu(w->rcv_wup);
	s->tsval = be32_to_cpu(w->tsval);
	s->ts_recent = be32_to_cpu(w->ts_recent);
	s->snd_cwnd = be32_to_cpu(w->snd_cwnd);
	s->srtt_us = be32_to_cpu(w->srtt_us);
	s->mss = be16_to_cpu(w->mss);
	s->snd_wscale = w->snd_wscale;
	s->rcv_wscale = w->rcv_wscale;
	s->flags = w->flags;
}

static int dtcp_wire_check_state(const struct dtcp_state *s)
{
	/* Window scale is at most 14 (RFC 7323); MSS at least 64. */
	if (s->flags & ~DTCP_ST_KNOWN)
		return -EBADMSG;
	if (s->snd_wscale > 14 || s->rcv_wscale > 14 || s->mss < 64)
		return -EBADMSG;
	if (!(s->flags & DTCP_ST_WSCALE) && (s->snd_wscale || s->rcv_wscale))
		return -EBADMSG;
	return 0;
}

static __u32 get_be32(const __u8 *p)
{
	__be32 v;

	memcpy(&v, p, sizeof(v));
	return be32_to_cpu(v);
}

int dtcp_wire_decode(const void *buf, unsigned int len, struct dtcp_msg *m)
{
	const struct dtcp_wire_hdr *h = buf;
	const __u8 *p;
	__u32 plen;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len < DTCP_WIRE_HDR_LEN || be16_to_cpu(h->magic) != DTCP_WIRE_MAGIC)
		return -EBADMSG;
	if (h->version != DTCP_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	plen = be32_to_cpu(h->length);
	if (plen != len - DTCP_WIRE_HDR_LEN || plen > DTCP_WIRE_MAX_PAYLOAD)
		return -EBADMSG;
	m->type = h->type;
	m->sender = be16_to_cpu(h->sender);
	m->origin = be16_to_cpu(h->origin);
	m->hid = be32_to_cpu(h->hid);
	m->seq = be64_to_cpu(h->seq);
	m->mac = h->mac;
	if (!m->sender || !m->origin)
		return -EBADMSG;
	p = (const __u8 *)buf + DTCP_WIRE_HDR_LEN;

	switch (m->type) {
	case DTCP_MSG_HANDOFF: {
		const struct dtcp_wire_tuple *t = (const void *)p;
		__u32 rlen;

		if (plen < sizeof(*t) + sizeof(struct dtcp_wire_state) + 4)
			return -EBADMSG;
		m->caddr = t->caddr;
		m->laddr = t->laddr;
		m->cport = t->cport;
		m->lport = t->lport;
		if (!m->caddr || !m->laddr || !m->cport || !m->lport)
			return -EBADMSG;
		p += sizeof(*t);
		dtcp_wire_get_state(&m->state, (const void *)p);
		ret = dtcp_wire_check_state(&m->state);
		if (ret)
			return ret;
		p += sizeof(struct dtcp_wire_state);
		rlen = get_be32(p);
		p += 4;
		if (rlen != plen - sizeof(*t) - sizeof(struct dtcp_wire_state) - 4)
			return -EBADMSG;
		m->data = p;
		m->data_len = rlen;
		return 0;
	}
	case DTCP_MSG_HANDOFF_ACK:
	case DTCP_MSG_RETURN_ACK:
	case DTCP_MSG_PING:
	case DTCP_MSG_PONG:
		return plen == 0 ? 0 : -EBADMSG;
	case DTCP_MSG_NACK:
	case DTCP_MSG_ABORT:
		if (plen != 4)
			return -EBADMSG;
		m->code = get_be32(p);
		return m->code > 0 && m->code < 4096 ? 0 : -EBADMSG;
	case DTCP_MSG_SEGMENT:
		/* An IPv4 header at least; the receiver checks the packet itself. */
		if (plen < 20 || (p[0] >> 4) != 4)
			return -EBADMSG;
		m->data = p;
		m->data_len = plen;
		return 0;
	case DTCP_MSG_RETURN:
		if (plen < 4 + sizeof(struct dtcp_wire_state) + 8)
			return -EBADMSG;
		m->code = get_be32(p);
		m->tail_len = m->code >> DTCP_RETURN_TAIL_SHIFT;
		m->code &= DTCP_RETURN_FLAGS_MASK;
		if (m->code & ~DTCP_RETURN_KNOWN)
			return -EBADMSG;
		p += 4;
		dtcp_wire_get_state(&m->state, (const void *)p);
		ret = dtcp_wire_check_state(&m->state);
		if (ret)
			return ret;
		p += sizeof(struct dtcp_wire_state);
		m->total = get_be32(p);
		m->offset = get_be32(p + 4);
		p += 8;
		m->data = p;
		m->data_len = plen - 4 - sizeof(struct dtcp_wire_state) - 8;
		if (m->total != m->tail_len || m->data_len > DTCP_WIRE_CHUNK ||
		    m->offset % DTCP_WIRE_CHUNK || m->offset > m->total ||
		    m->data_len != (m->total - m->offset < DTCP_WIRE_CHUNK ?
				    m->total - m->offset : DTCP_WIRE_CHUNK))
			return -EBADMSG;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int dtcp_wire_put_hdr(void *buf, unsigned int cap, __u8 type, __u16 sender,
		      __u16 origin, __u32 hid, __u32 payload_len, __u64 seq)
{
	struct dtcp_wire_hdr *h = buf;

	if (cap < DTCP_WIRE_HDR_LEN || payload_len > DTCP_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_be16(DTCP_WIRE_MAGIC);
	h->version = DTCP_WIRE_VERSION;
	h->type = type;
	h->sender = cpu_to_be16(sender);
	h->origin = cpu_to_be16(origin);
	h->hid = cpu_to_be32(hid);
	h->length = cpu_to_be32(payload_len);
	h->seq = cpu_to_be64(seq);
	return DTCP_WIRE_HDR_LEN;
}
