/*
 * A minimal unit test harness: each test is a function; CHECK records a
 * failure with file and line and goes on; every test prints one TAP-like
 * line ("ok - name" / "not ok - name") that tests/run.py counts.
 */
#ifndef BERTH_TESTS_UNIT_H
#define BERTH_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_failed_tests;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
		unit_failed_checks++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *ua_ = (a), *ub_ = (b);				\
	if (ua_ == NULL || ub_ == NULL || strcmp(ua_, ub_) != 0) {	\
		fprintf(stderr, "# %s:%d: '%s' != '%s'\n", __FILE__,	\
		    __LINE__, ua_ ? ua_ : "(null)", ub_ ? ub_ : "(null)");\
		unit_failed_checks++;					\
	}								\
} while (0)

#define RUN(test) do {							\
	int before_ = unit_failed_checks;				\
	test();								\
	if (unit_failed_checks == before_)				\
		printf("ok - %s\n", #test);				\
	else {								\
		printf("not ok - %s\n", #test);				\
		unit_failed_tests++;					\
	}								\
	fflush(stdout);							\
} while (0)

#define UNIT_EXIT()	return (unit_failed_tests == 0 ? 0 : 1)

#endif
