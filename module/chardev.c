// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dtcp (misc device): the application interface.  Each open file
 * belongs to the network namespace of the process that opened it; every
 * ioctl acts on that namespace's node.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>

#include "dtcp.h"
#include "chardev.h"
#include "handoff.h"
#include "netns.h"

struct dtcp_file {
	struct net *net;
	bool listening;
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

static void dtcp_set_listening(struct dtcp_file *df, bool on)
{
	struct dtcp_net *dn = dtcp_net(df->net);
	bool last = false;

	mutex_lock(&dn->lock);
	if (on && !df->listening) {
		dn->n_listeners++;
	} else if (!on && df->listening) {
		dn->n_listeners--;
		last = !dn->n_listeners;
	}
	df->listening = on;
	mutex_unlock(&dn->lock);
	/* Nobody left to accept: queued hand-offs go back unserved. */
	if (last)
		dtcp_passive_drop_queue(df->net);
}

static int dtcp_release(struct inode *inode, struct file *file)
{
	struct dtcp_file *df = file->private_data;

	dtcp_set_listening(df, false);
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

static long dtcp_ioc_handoff(struct dtcp_file *df, void __user *uarg)
{
	struct dtcp_ioc_handoff req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.flags || req.reserved[0] || req.reserved[1] ||
	    (req.request_len && !req.request))
		return -EINVAL;
	return dtcp_active_handoff(df->net, &req, u64_to_user_ptr(req.request));
}

static long dtcp_ioc_accept(struct dtcp_file *df, void __user *uarg)
{
	struct dtcp_ioc_accept acc;
	struct file *file = NULL;
	long ret;

	if (copy_from_user(&acc, uarg, sizeof(acc)))
		return -EFAULT;
	if (acc.size != sizeof(acc) ||
	    (acc.flags & ~(DTCP_ACCEPT_NONBLOCK | DTCP_ACCEPT_CLOEXEC)) ||
	    acc.reserved[0] || acc.reserved[1] || (acc.request_cap && !acc.request))
		return -EINVAL;
	if (!df->listening)
		return -EINVAL;
	ret = dtcp_passive_accept(df->net, &acc, u64_to_user_ptr(acc.request), &file);
	if (ret && ret != -EMSGSIZE)
		return ret;
	if (copy_to_user(uarg, &acc, sizeof(acc))) {
		/* The application cannot learn the descriptor: none is
		 * installed, and the socket closes unserved (the connection
		 * goes back to its active node). */
		if (file) {
			put_unused_fd(acc.fd);
			fput(file);
		}
		return -EFAULT;
	}
	if (file)
		fd_install(acc.fd, file);
	return ret;
}

static long dtcp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dtcp_file *df = file->private_data;
	u32 on;

	switch (cmd) {
	case DTCP_IOC_INFO:
		return dtcp_ioc_info(df, (void __user *)arg);
	case DTCP_IOC_HANDOFF:
		return dtcp_ioc_handoff(df, (void __user *)arg);
	case DTCP_IOC_ACCEPT:
		return dtcp_ioc_accept(df, (void __user *)arg);
	case DTCP_IOC_LISTEN:
		if (get_user(on, (u32 __user *)arg))
			return -EFAULT;
		if (on > 1)
			return -EINVAL;
		dtcp_set_listening(df, on);
		return 0;
	default:
		return -ENOTTY;
	}
}

static __poll_t dtcp_poll(struct file *file, poll_table *wait)
{
	struct dtcp_file *df = file->private_data;

	poll_wait(file, &dtcp_net(df->net)->accept_wait, wait);
	return df->listening ? dtcp_passive_poll_mask(df->net) : 0;
}

static const struct file_operations dtcp_fops = {
	.poll = dtcp_poll,
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
