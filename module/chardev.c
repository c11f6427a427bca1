// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dtcp (misc device): the application interface.  Each open file
 * belongs to the network namespace of the process that opened it; every
 * ioctl acts on that namespace's node.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>

#include "dtcp.h"
#include "chardev.h"
#include "netns.h"

struct dtcp_file {
	struct net *net;
};

static int dtcp_open(struct inode *inode, struct file *file)
{
	struct dtcp_file *df;

	df = kzalloc(sizeof(*df), GFP_KERNEL);
	if (!df)
		return -ENOMEM;
	df->net = get_net(current->nsproxy->net_ns);
	file->private_data = df;
	dtcp_live_inc(DTCP_CNT_FILES);
	return 0;
}

static int dtcp_release(struct inode *inode, struct file *file)
{
	struct dtcp_file *df = file->private_data;

	put_net(df->net);
	kfree(df);
	dtcp_live_dec(DTCP_CNT_FILES);
	return 0;
}

static long dtcp_ioc_info(struct dtcp_file *df, void __user *uarg)
{
	struct dtcp_ioc_info info;
	struct dtcp_net *dn = dtcp_net(df->net);

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.size != sizeof(info) || info.flags ||
	    info.reserved[0] || info.reserved[1])
		return -EINVAL;
	info.abi_version = DTCP_ABI_VERSION;
	mutex_lock(&dn->lock);
	info.node_id = dn->node_id;
	mutex_unlock(&dn->lock);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long dtcp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dtcp_file *df = file->private_data;

	switch (cmd) {
	case DTCP_IOC_INFO:
		return dtcp_ioc_info(df, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dtcp_fops = {
	.owner = THIS_MODULE,
	.open = dtcp_open,
	.release = dtcp_release,
	.unlocked_ioctl = dtcp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dtcp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dtcp",
	.fops = &dtcp_fops,
	.mode = 0600,
};

int __init dtcp_chardev_init(void)
{
	return misc_register(&dtcp_misc);
}

void dtcp_chardev_exit(void)
{
	misc_deregister(&dtcp_misc);
}
