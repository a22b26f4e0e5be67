/*
 * Daemon addresses: argument, $BERTH_HOST, default; unix:// and bare
 * paths; what a failed connection reports; socket paths longer than
 * sun_path.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth.h"
#include "unit.h"

static const char *
param(const struct berth_error *err, const char *key)
{
	int i;

	for (i = 0; i < err->nparams; i++)
		if (strcmp(err->params[i].key, key) == 0)
			return (err->params[i].str);
	return (NULL);
}

static void
test_address_forms(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[PATH_MAX];

	unsetenv(BERTH_HOST_ENV);
	CHECK(berth_address_resolve("unix:///tmp/x.sock", path, sizeof(path),
	    &err) == 0);
	CHECK_STR(path, "/tmp/x.sock");
	CHECK(berth_address_resolve("/run/y.sock", path, sizeof(path),
	    &err) == 0);
	CHECK_STR(path, "/run/y.sock");
	CHECK(berth_address_resolve(NULL, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/run/berth/berth.sock");
	berth_error_clear(&err);
}

static void
test_berth_host_used_unless_an_address_is_given(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[PATH_MAX];

	setenv(BERTH_HOST_ENV, "unix:///from/env.sock", 1);
	CHECK(berth_address_resolve(NULL, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/from/env.sock");
	CHECK(berth_address_resolve("/given.sock", path, sizeof(path),
	    &err) == 0);
	CHECK_STR(path, "/given.sock");
	/* Empty counts as unset, as with DOCKER_HOST. */
	setenv(BERTH_HOST_ENV, "", 1);
	CHECK(berth_address_resolve(NULL, path, sizeof(path), &err) == 0);
	CHECK_STR(path, "/run/berth/berth.sock");
	setenv(BERTH_HOST_ENV, "tcp://1.2.3.4:2375", 1);
	CHECK(berth_address_resolve(NULL, path, sizeof(path), &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_ADDRESS));
	CHECK(strstr(berth_error_message(&err), "BERTH_HOST") != NULL);
	CHECK(strstr(berth_error_message(&err), "tcp://1.2.3.4:2375") != NULL);
	unsetenv(BERTH_HOST_ENV);
	berth_error_clear(&err);
}

static void
test_invalid_addresses_are_named(void)
{
	static const char *bad[] = { "tcp://host:1", "unix://", "unix://rel",
	    "relative.sock", "", "fd://3", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	char path[PATH_MAX], small[8];
	const char **a;

	for (a = bad; *a != NULL; a++) {
		CHECK(berth_address_resolve(*a, path, sizeof(path), &err) ==
		    -1);
		CHECK(berth_error_is(&err, BERTH_E_ADDRESS));
		CHECK_STR(param(&err, "address"), *a);
	}
	CHECK(berth_address_resolve("/much/too/long", small, sizeof(small),
	    &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_ADDRESS));
	berth_error_clear(&err);
}

static void
test_connect_failure_says_where_it_looked(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_client *c = (void *)1;

	CHECK(berth_connect("unix:///nonexistent/berth-test.sock", &c,
	    &err) == -1);
	CHECK(c == NULL);
	CHECK(berth_error_is(&err, BERTH_E_CONNECT));
	CHECK(err.errnum == ENOENT);
	CHECK_STR(param(&err, "address"),
	    "unix:///nonexistent/berth-test.sock");
	CHECK(berth_connect("tcp://x", &c, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_ADDRESS));
	berth_error_clear(&err);
}

/* A socket whose path is longer than sun_path still connects. */
static void
test_connect_long_socket_path(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char top[] = "/tmp/berth-test-XXXXXX", dir[256], sock[512];
	char cwd[PATH_MAX];
	struct sockaddr_un sun;
	struct berth_client *c = NULL;
	int lfd;

	CHECK(mkdtemp(top) != NULL);
	snprintf(dir, sizeof(dir), "%s/%0100d", top, 0);
	CHECK(mkdir(dir, 0700) == 0);
	snprintf(sock, sizeof(sock), "%s/berth.sock", dir);
	CHECK(strlen(sock) >= sizeof(sun.sun_path));
	/* bind() needs a short name: bind relative to the directory. */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "berth.sock");
	CHECK(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK(listen(lfd, 1) == 0);
	CHECK(chdir(cwd) == 0);

	CHECK(berth_connect(sock, &c, &err) == 0);
	CHECK(c != NULL && berth_client_fd(c) >= 0);
	CHECK(c != NULL && strncmp(berth_client_address(c), "unix://", 7) ==
	    0 && strcmp(berth_client_address(c) + 7, sock) == 0);
	berth_close(c);
	close(lfd);
	unlink(sock);
	rmdir(dir);
	rmdir(top);
	berth_error_clear(&err);
}

int
main(void)
{
	RUN(test_address_forms);
	RUN(test_berth_host_used_unless_an_address_is_given);
	RUN(test_invalid_addresses_are_named);
	RUN(test_connect_failure_says_where_it_looked);
	RUN(test_connect_long_socket_path);
	UNIT_EXIT();
}
