// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin (scripts/profile-handoff): how many guest instructions
 * each translation block executed, between two marks.
 *
 * Every block's execution adds one to its counter (an inline add, no call).
 * When the guest executes the block at address start=HEX (tests/perf/mark.c
 * called with "start"), every counter goes to zero; at the block at stop=HEX
 * ("stop") the counters are written to OUT.N (N = 0, 1, ... for each stop),
 * one line per block that ran: its start address (16 hex digits), its
 * instruction count, how many times it ran.  Without marks the counters are
 * written once, when QEMU exits.
 *
 *   qemu-system-x86_64 ... -plugin insn-profile.so,out=OUT,start=HEX,stop=HEX
 *
 * Debian's QEMU ships no header for its plugin API, so the few calls used
 * here are declared below, as QEMU's plugin API version 1 (QEMU 4.2 to 8.x)
 * defines them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNUSED __attribute__((unused))

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct {
	const char *target_name;
	struct { int min, cur; } version;
	bool system_emulation;
	union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int, void *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op, void *,
					      uint64_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, qemu_plugin_vcpu_udata_cb_t,
					  enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One counter per (address, length): a block translated again after its
 * code changed may differ in length. */
struct block {
	uint64_t addr, insns, runs;
	struct block *next;
};

#define BUCKETS (1u << 18)
static struct block *table[BUCKETS];
static const char *out = "insn-profile";
static uint64_t mark_start, mark_stop;
static unsigned int dumps;
static bool failed;

static void dump(void)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%u", out, dumps++);
	f = fopen(path, "w");
	if (!f) {
		if (!failed)
			fprintf(stderr, "insn-profile: cannot write %s\n", path);
		failed = true;
		return;
	}
	for (unsigned int i = 0; i < BUCKETS; i++)
		for (struct block *b = table[i]; b; b = b->next)
			if (b->runs)
				fprintf(f, "%016" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->addr, b->insns, b->runs);
	if (fclose(f) && !failed) {
		fprintf(stderr, "insn-profile: cannot write %s\n", path);
		failed = true;
	}
}

static void on_start(UNUSED unsigned int vcpu, UNUSED void *udata)
{
	for (unsigned int i = 0; i < BUCKETS; i++)
		for (struct block *b = table[i]; b; b = b->next)
			b->runs = 0;
}

static void on_stop(UNUSED unsigned int vcpu, UNUSED void *udata)
{
	dump();
}

static void on_translate(UNUSED qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t addr = qemu_plugin_tb_vaddr(tb), insns = qemu_plugin_tb_n_insns(tb);
	unsigned int h = (unsigned int)(((addr >> 2) ^ (addr >> 20) ^ insns) * 2654435761u) % BUCKETS;
	struct block *b;

	for (b = table[h]; b; b = b->next)
		if (b->addr == addr && b->insns == insns)
			break;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b) {
			fprintf(stderr, "insn-profile: out of memory\n");
			abort();
		}
		b->addr = addr;
		b->insns = insns;
		b->next = table[h];
		table[h] = b;
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
	if (mark_start && addr == mark_start)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
	if (mark_stop && addr == mark_stop)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void on_qemu_exit(UNUSED qemu_plugin_id_t id, UNUSED void *udata)
{
	if (!mark_stop)
		dump();
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, UNUSED const qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out = argv[i] + 4;
		} else if (!strncmp(argv[i], "start=", 6)) {
			mark_start = strtoull(argv[i] + 6, NULL, 16);
		} else if (!strncmp(argv[i], "stop=", 5)) {
			mark_stop = strtoull(argv[i] + 5, NULL, 16);
		} else {
			fprintf(stderr, "insn-profile: unknown argument '%s' (out=, start=, stop=)\n", argv[i]);
			return -1;
		}
	}
	if (!mark_start != !mark_stop) {
		fprintf(stderr, "insn-profile: start= and stop= go together\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
