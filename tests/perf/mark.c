// SPDX-License-Identifier: GPL-2.0
/*
 * Marks for tests/perf/insn-profile.c, run in the guest: "mark start" and
 * "mark stop" execute mark_start() or mark_stop().  Linked static and not
 * position-independent, so that both functions are at the same address in
 * every run; scripts/profile-handoff reads the addresses with nm and gives
 * them to the plugin.
 */
#include <stdio.h>
#include <string.h>

/* Two different bodies: never folded into one function. */
static volatile int marked;

__attribute__((noinline)) void mark_start(void)
{
	marked = 1;
}

__attribute__((noinline)) void mark_stop(void)
{
	marked = 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "start")) {
		mark_start();
	} else if (argc == 2 && !strcmp(argv[1], "stop")) {
		mark_stop();
	} else {
		fprintf(stderr, "usage: mark start|stop\n");
		return 2;
	}
	return 0;
}
