// SPDX-License-Identifier: GPL-2.0
/*
 * The tunnel's MAC: AES-256-CMAC, computed in one of two ways that give the
 * same tag.
 *
 * The crypto API's cmac(aes) encrypts one 16-byte block per call of the
 * cipher, and on x86 each call of the AES-NI cipher is a kernel FPU section
 * of its own: for a tunnel message that section, not AES, was most of the
 * MAC's cost.  CMAC is CBC-MAC with its last block masked by a subkey, so
 * where the CPU's CBC-AES can run here (its SIMD-only algorithm, with the
 * FPU usable in this context) the message goes through it in chunks, one
 * FPU section per chunk, and the tag is the last ciphertext block.
 * Elsewhere, and whenever the FPU cannot be used, cmac(aes) computes it.
 * Each key's two ways are compared on messages of many lengths before the
 * key is used; a difference keeps the fast one off.
 */
#include <asm/simd.h>
#include <crypto/aes.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dtcp.h"
#include "mac.h"
#include <dtcp/wire.h>

#define DTCP_MAC_CHUNK 1024	/* bytes per FPU section, a multiple of AES_BLOCK_SIZE */

struct dtcp_mac {
	struct crypto_shash *shash;		/* cmac(aes): always there */
	struct crypto_sync_skcipher *cbc;	/* the CPU's CBC-AES, or NULL */
	u8 k1[AES_BLOCK_SIZE], k2[AES_BLOCK_SIZE];	/* CMAC's subkeys */
};

/* Where a chunk is masked and encrypted in place (linear memory, for the
 * scatterlist), one per CPU, used with bottom halves off. */
static DEFINE_PER_CPU(u8 *, dtcp_mac_buf);

int dtcp_mac_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		u8 *buf = kmalloc_node(DTCP_MAC_CHUNK, GFP_KERNEL, cpu_to_node(cpu));

		if (!buf) {
			dtcp_mac_exit();
			return -ENOMEM;
		}
		per_cpu(dtcp_mac_buf, cpu) = buf;
	}
	return 0;
}

void dtcp_mac_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kfree_sensitive(per_cpu(dtcp_mac_buf, cpu));
		per_cpu(dtcp_mac_buf, cpu) = NULL;
	}
}

static const unsigned int dtcp_mac_at = offsetof(struct dtcp_wire_hdr, mac);

/* cmac(aes) of @buf with the MAC field as zeros. */
static int dtcp_mac_shash(struct crypto_shash *tfm, const u8 *buf, unsigned int len, u8 *out)
{
	static const u8 zeros[DTCP_WIRE_MAC_LEN];
	const unsigned int at = dtcp_mac_at;
	u8 digest[DTCP_WIRE_MAC_LEN];
	int ret;
	SHASH_DESC_ON_STACK(desc, tfm);

	desc->tfm = tfm;
	ret = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, buf, at) ?:
	      crypto_shash_update(desc, zeros, DTCP_WIRE_MAC_LEN) ?:
	      crypto_shash_update(desc, buf + at + DTCP_WIRE_MAC_LEN,
				  len - at - DTCP_WIRE_MAC_LEN) ?:
	      crypto_shash_final(desc, digest);
	shash_desc_zero(desc);
	if (!ret)
		memcpy(out, digest, DTCP_WIRE_MAC_LEN);
	memzero_explicit(digest, sizeof(digest));
	return ret;
}

/*
 * The same through CBC-AES, for @len of at least one block.  Bottom halves
 * off (the per-CPU buffer), the FPU usable.  The blocks of @buf go through
 * the buffer a chunk at a time: the MAC field zeroed, the last block padded
 * (10*) and masked with k1 (complete) or k2 (padded), each chunk encrypted
 * in place with the previous chunk's last ciphertext block as its IV.
 */
static int dtcp_mac_cbc(struct dtcp_mac *mac, const u8 *buf, unsigned int len, u8 *out)
{
	const unsigned int at = dtcp_mac_at;
	unsigned int total = round_up(len, AES_BLOCK_SIZE), off;
	u8 *chunk = this_cpu_read(dtcp_mac_buf);
	u8 iv[AES_BLOCK_SIZE] = {};
	struct scatterlist sg;
	int ret = 0;
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, mac->cbc);

	skcipher_request_set_sync_tfm(req, mac->cbc);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	for (off = 0; off < total && !ret; off += DTCP_MAC_CHUNK) {
		unsigned int n = min_t(unsigned int, total - off, DTCP_MAC_CHUNK);
		unsigned int have = len > off ? min(len - off, n) : 0;

		memcpy(chunk, buf + off, have);
		/* The MAC field, where it falls in this chunk. */
		if (off < at + DTCP_WIRE_MAC_LEN && off + n > at) {
			unsigned int from = max(at, off), to = min(at + DTCP_WIRE_MAC_LEN, off + n);

			memset(chunk + from - off, 0, to - from);
		}
		if (off + n == total) {	/* the last block is in this chunk */
			u8 *last = chunk + n - AES_BLOCK_SIZE;
			const u8 *k = mac->k1;

			if (len % AES_BLOCK_SIZE) {
				chunk[have] = 0x80;
				memset(chunk + have + 1, 0, n - have - 1);
				k = mac->k2;
			}
			crypto_xor(last, k, AES_BLOCK_SIZE);
		}
		sg_init_one(&sg, chunk, n);
		skcipher_request_set_crypt(req, &sg, &sg, n, iv);
		ret = crypto_skcipher_encrypt(req);
		memcpy(iv, chunk + n - AES_BLOCK_SIZE, AES_BLOCK_SIZE);
	}
	skcipher_request_zero(req);
	memzero_explicit(chunk, min_t(unsigned int, total, DTCP_MAC_CHUNK));
	if (!ret)
		memcpy(out, iv, DTCP_WIRE_MAC_LEN);
	memzero_explicit(iv, sizeof(iv));
	return ret;
}

/* Through CBC-AES where the FPU can be used here; else -EAGAIN. */
static int dtcp_mac_blocks(struct dtcp_mac *mac, const u8 *buf, unsigned int len, u8 *out)
{
	int ret = -EAGAIN;

	local_bh_disable();
	if (may_use_simd())
		ret = dtcp_mac_cbc(mac, buf, len, out);
	local_bh_enable();
	return ret;
}

int dtcp_mac_compute(struct dtcp_mac *mac, const u8 *buf, unsigned int len, u8 *out)
{
	int ret = -EAGAIN;

	if (WARN_ON_ONCE(len < dtcp_mac_at + DTCP_WIRE_MAC_LEN))
		return -EINVAL;
	if (mac->cbc)
		ret = dtcp_mac_blocks(mac, buf, len, out);
	if (ret != -EAGAIN)
		return ret;
	return dtcp_mac_shash(mac->shash, buf, len, out);
}

const char *dtcp_mac_driver(const struct dtcp_mac *mac)
{
	return crypto_shash_driver_name(mac->shash);
}

const char *dtcp_mac_blocks_driver(const struct dtcp_mac *mac)
{
	return mac->cbc ? crypto_skcipher_driver_name(&mac->cbc->base) : NULL;
}

/* CMAC's doubling in GF(2^128). */
static void dtcp_mac_dbl(u8 *d, const u8 *s)
{
	u8 carry = s[0] >> 7;
	int i;

	for (i = 0; i < AES_BLOCK_SIZE - 1; i++)
		d[i] = (s[i] << 1) | (s[i + 1] >> 7);
	d[AES_BLOCK_SIZE - 1] = (s[AES_BLOCK_SIZE - 1] << 1) ^ (carry ? 0x87 : 0);
}

/* Both ways agree on messages of every length a chunk boundary or the
 * padding could get wrong. */
static bool dtcp_mac_agree(struct dtcp_mac *mac)
{
	static const unsigned int lens[] = { 40, 41, 47, 48, 49, 63, 64, 65, 1008, 1023, 1024,
					     1025, 1040, 2048, 2049, 3000 };
	u8 a[DTCP_WIRE_MAC_LEN], b[DTCP_WIRE_MAC_LEN];
	bool same = true;
	unsigned int i;
	u8 *msg;

	msg = kmalloc(3000, GFP_KERNEL);
	if (!msg)
		return false;
	for (i = 0; i < 3000; i++)
		msg[i] = i * 7 + (i >> 8);
	for (i = 0; i < ARRAY_SIZE(lens) && same; i++) {
		same = !dtcp_mac_blocks(mac, msg, lens[i], a) &&
		       !dtcp_mac_shash(mac->shash, msg, lens[i], b) &&
		       !crypto_memneq(a, b, sizeof(a));
	}
	kfree(msg);
	return same;
}

/* The CPU's CBC-AES under @key, with CMAC's subkeys, where it gives the
 * same tags as cmac(aes); else none. */
static void dtcp_mac_setup_cbc(struct dtcp_mac *mac, const u8 *key)
{
	struct crypto_sync_skcipher *cbc;
	struct crypto_aes_ctx *aes;
	u8 l[AES_BLOCK_SIZE] = {};

	cbc = crypto_alloc_sync_skcipher("__cbc(aes)", CRYPTO_ALG_INTERNAL, CRYPTO_ALG_INTERNAL);
	if (IS_ERR(cbc))
		return;
	aes = kmalloc(sizeof(*aes), GFP_KERNEL);
	if (!aes || crypto_sync_skcipher_setkey(cbc, key, DTCP_KEY_LEN) ||
	    aes_expandkey(aes, key, DTCP_KEY_LEN)) {
		kfree_sensitive(aes);
		crypto_free_sync_skcipher(cbc);
		return;
	}
	aes_encrypt(aes, l, l);			/* L = AES(K, 0) */
	kfree_sensitive(aes);
	dtcp_mac_dbl(mac->k1, l);
	dtcp_mac_dbl(mac->k2, mac->k1);
	memzero_explicit(l, sizeof(l));
	mac->cbc = cbc;
	if (!dtcp_mac_agree(mac)) {
		pr_warn_once("dtcp: %s and cmac(aes) disagree; the MAC uses cmac(aes) only\n",
			     crypto_skcipher_driver_name(&cbc->base));
		mac->cbc = NULL;
		crypto_free_sync_skcipher(cbc);
	}
}

struct dtcp_mac *dtcp_mac_new(const u8 *key)
{
	struct dtcp_mac *mac;
	int ret;

	mac = kzalloc(sizeof(*mac), GFP_KERNEL);
	if (!mac)
		return ERR_PTR(-ENOMEM);
	mac->shash = crypto_alloc_shash("cmac(aes)", 0, 0);
	if (IS_ERR(mac->shash)) {
		ret = PTR_ERR(mac->shash);
		kfree(mac);
		return ERR_PTR(ret);
	}
	ret = crypto_shash_digestsize(mac->shash) == DTCP_WIRE_MAC_LEN ?
	      crypto_shash_setkey(mac->shash, key, DTCP_KEY_LEN) : -EINVAL;
	if (ret) {
		dtcp_mac_free(mac);
		return ERR_PTR(ret);
	}
	dtcp_mac_setup_cbc(mac, key);
	return mac;
}

void dtcp_mac_free(struct dtcp_mac *mac)
{
	if (!mac)
		return;
	if (mac->cbc)
		crypto_free_sync_skcipher(mac->cbc);
	crypto_free_shash(mac->shash);
	kfree_sensitive(mac);
}
