/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tunnel's MAC: AES-256-CMAC (NIST SP 800-38B, 16 bytes) of a whole
 * message with the header's MAC field taken as zeros.
 */
#ifndef _DTCP_MAC_H
#define _DTCP_MAC_H

#include <linux/types.h>

struct dtcp_mac;

/* Per-CPU scratch space; module load and unload. */
int dtcp_mac_init(void);
void dtcp_mac_exit(void);

/* A MAC keyed with @key (DTCP_KEY_LEN bytes), or an ERR_PTR.  Process context. */
struct dtcp_mac *dtcp_mac_new(const u8 *key);
void dtcp_mac_free(struct dtcp_mac *mac);
/* The crypto driver the MAC is named by (dtcpctl status), and the CBC-AES
 * driver that computes it where the FPU is usable (NULL: none). */
const char *dtcp_mac_driver(const struct dtcp_mac *mac);
const char *dtcp_mac_blocks_driver(const struct dtcp_mac *mac);
/*
 * The MAC of the message @buf (@len bytes, at least a header) into @out;
 * any context.
 */
int dtcp_mac_compute(struct dtcp_mac *mac, const u8 *buf, unsigned int len, u8 *out);

#endif /* _DTCP_MAC_H */
