/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/dtcp: the application interface. */
#ifndef _DTCP_CHARDEV_H
#define _DTCP_CHARDEV_H

int dtcp_chardev_init(void);
void dtcp_chardev_exit(void);

#endif /* _DTCP_CHARDEV_H */
