/*
 * The time to prepare a container's snapshot, through store/snapshot.c
 * itself: snapshot_prepare and snapshot_mount over the given layer
 * directories, then snapshot_unmount and snapshot_remove, RUNS times (after
 * 3 warm-up rounds), in a private mount namespace of its own.  Prints one
 * JSON object of milliseconds per round: {"mkdir": [...], "mount": [...],
 * "prepare": [...], "remove": [...]}.
 *
 *	build/bench/snapshot SNAPDIR RUNS LOWER...	(topmost first)
 */
#include <sys/mount.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"

#define WARMUP	3

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

static void
print_series(const char *name, const double *v, int n, int last)
{
	int i;

	printf("\"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%.4f", i ? ", " : "", v[i]);
	printf("]%s", last ? "" : ", ");
}

int
main(int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	double *mk, *mnt, *prep, *rem, t0, t1, t2, t3;
	int runs, i, n = 0;
	char id[32];

	if (argc < 4 || (runs = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: snapshot SNAPDIR RUNS LOWER...\n");
		return (2);
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "snapshot: private mount namespace: %s\n",
		    strerror(errno));
		return (1);
	}
	mk = calloc((size_t)runs, sizeof(double));
	mnt = calloc((size_t)runs, sizeof(double));
	prep = calloc((size_t)runs, sizeof(double));
	rem = calloc((size_t)runs, sizeof(double));
	if (mk == NULL || mnt == NULL || prep == NULL || rem == NULL)
		return (1);
	for (i = 0; i < WARMUP + runs; i++) {
		struct snapshot snap;

		snprintf(id, sizeof(id), "bench-%d", i);
		t0 = now_ms();
		if (snapshot_prepare(argv[1], id, (const char *const *)argv + 3,
		    &snap, &err) < 0)
			goto fail;
		t1 = now_ms();
		if (snapshot_mount(&snap, &err) < 0) {
			snapshot_free(&snap);
			goto fail;
		}
		t2 = now_ms();
		if (snapshot_unmount(&snap, &err) < 0 ||
		    snapshot_remove(argv[1], id, &err) < 0) {
			snapshot_free(&snap);
			goto fail;
		}
		t3 = now_ms();
		snapshot_free(&snap);
		if (i < WARMUP)
			continue;
		mk[n] = t1 - t0;
		mnt[n] = t2 - t1;
		prep[n] = t2 - t0;
		rem[n] = t3 - t2;
		n++;
	}
	printf("{");
	print_series("mkdir", mk, n, 0);
	print_series("mount", mnt, n, 0);
	print_series("prepare", prep, n, 0);
	print_series("remove", rem, n, 1);
	printf("}\n");
	free(mk);
	free(mnt);
	free(prep);
	free(rem);
	return (0);
fail:
	fprintf(stderr, "snapshot: %s\n", berth_error_message(&err));
	berth_error_clear(&err);
	free(mk);
	free(mnt);
	free(prep);
	free(rem);
	return (1);
}
