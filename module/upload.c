// SPDX-License-Identifier: GPL-2.0
/*
 * Active node: the client's bytes kept while a connection is away (upload.h).
 *
 * Kept in pages indexed by their offset from the anchor, the sequence number
 * Sa had received up to when the hooks started to divert.  A segment goes to
 * the passive node only once its payload is kept here, so the passive socket
 * never acknowledges a byte this node does not have; one that cannot be kept
 * is dropped, as if lost on the way, and the client sends it again.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "dtcp.h"
#include "conn.h"
#include "upload.h"

unsigned int dtcp_upload_max_kb = 65536;
module_param_named(upload_max_kb, dtcp_upload_max_kb, uint, 0644);
MODULE_PARM_DESC(upload_max_kb,
		 "KiB of client bytes kept per namespace for connections that are away (default 65536)");

void dtcp_upload_start(struct dtcp_conn *c, u32 anchor)
{
	spin_lock_bh(&c->lock);
	c->upload_anchor = anchor;
	c->upload_on = true;
	spin_unlock_bh(&c->lock);
}

/* One page at offset @idx << PAGE_SHIFT from the anchor; c->lock held. */
static struct page *dtcp_upload_page(struct dtcp_conn *c, unsigned long idx)
{
	struct dtcp_net *dn = c->dn;
	unsigned long limit = (unsigned long)READ_ONCE(dtcp_upload_max_kb) >> (PAGE_SHIFT - 10);
	struct page *page = xa_load(&c->upload, idx);

	if (page)
		return page;
	if (atomic_inc_return(&dn->upload_pages) > limit)
		goto fail;
	page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	if (!page)
		goto fail;
	if (xa_is_err(xa_store(&c->upload, idx, page, GFP_ATOMIC | __GFP_NOWARN))) {
		__free_page(page);
		goto fail;
	}
	dtcp_live_inc(DTCP_CNT_UPLOAD_PAGES);
	return page;
fail:
	atomic_dec(&dn->upload_pages);
	return NULL;
}

bool dtcp_upload_keep(struct dtcp_conn *c, const struct sk_buff *skb, u32 len)
{
	struct iphdr iph_buf, *iph;
	struct tcphdr th_buf, *th;
	u32 off = skb_network_offset(skb), hlen, plen, seq, rel;
	bool ok = true;

	iph = skb_header_pointer(skb, off, sizeof(*iph), &iph_buf);
	if (!iph)
		return false;
	th = skb_header_pointer(skb, off + iph->ihl * 4, sizeof(*th), &th_buf);
	if (!th)
		return false;
	hlen = iph->ihl * 4 + th->doff * 4;
	if (hlen > len)
		return false;	/* malformed: TCP would drop it anyway */
	plen = len - hlen;
	if (!plen)
		return true;	/* no payload (an ACK): nothing to keep */
	off += hlen;
	seq = ntohl(th->seq);

	spin_lock(&c->lock);
	if (!c->upload_on)
		goto out;	/* home again: what goes away is stale */
	if (before(seq, c->upload_anchor)) {
		u32 skip = c->upload_anchor - seq;

		if (skip >= plen)
			goto out;	/* Sa had it all */
		seq += skip;
		off += skip;
		plen -= skip;
	}
	rel = seq - c->upload_anchor;
	if (rel >= DTCP_UPLOAD_MAX || plen > DTCP_UPLOAD_MAX - rel) {
		ok = false;
		goto out;
	}
	while (plen) {
		u32 pofs = rel & ~PAGE_MASK;
		u32 n = min_t(u32, plen, PAGE_SIZE - pofs);
		struct page *page = dtcp_upload_page(c, rel >> PAGE_SHIFT);

		if (!page || skb_copy_bits(skb, off, page_address(page) + pofs, n)) {
			ok = false;
			break;
		}
		rel += n;
		off += n;
		plen -= n;
	}
out:
	spin_unlock(&c->lock);
	return ok;
}

int dtcp_upload_copy(struct dtcp_conn *c, u32 seq, u32 len, u8 **bufp)
{
	u32 rel = seq - c->upload_anchor, got = 0;
	u8 *buf;

	*bufp = NULL;
	if (!len)
		return 0;
	if (!c->upload_on || rel >= DTCP_UPLOAD_MAX || len > DTCP_UPLOAD_MAX - rel)
		return -EPROTO;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* The hooks keep nothing more (the connection is being applied);
	 * pages go only in dtcp_upload_free(), after this. */
	while (got < len) {
		u32 pofs = rel & ~PAGE_MASK;
		u32 n = min_t(u32, len - got, PAGE_SIZE - pofs);
		struct page *page = xa_load(&c->upload, rel >> PAGE_SHIFT);

		if (!page) {
			kvfree(buf);
			return -EPROTO;
		}
		memcpy(buf + got, page_address(page) + pofs, n);
		got += n;
		rel += n;
	}
	*bufp = buf;
	return 0;
}

void dtcp_upload_free(struct dtcp_conn *c)
{
	struct page *page;
	unsigned long idx;
	unsigned int n = 0;

	spin_lock_bh(&c->lock);
	c->upload_on = false;	/* from here on the hooks leave the pages alone */
	spin_unlock_bh(&c->lock);
	xa_for_each(&c->upload, idx, page) {
		__free_page(page);
		dtcp_live_dec(DTCP_CNT_UPLOAD_PAGES);
		n++;
	}
	xa_destroy(&c->upload);
	if (n)
		atomic_sub(n, &c->dn->upload_pages);
}
