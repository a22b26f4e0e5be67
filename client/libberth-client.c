/*
 * A libberth client: connecting to the daemon's socket, the client's
 * settings, and closing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "frame.h"
#include "message.h"
#include "libberth-int.h"

/* The public header repeats these so that it stands alone. */
_Static_assert(BERTH_FRAME_MAX_DEFAULT == FRAME_MAX_DEFAULT, "frame max");
_Static_assert(BERTH_FRAME_MAX_LIMIT == FRAME_MAX_LIMIT, "frame limit");
_Static_assert(BERTH_CALL_MORE == CALL_MORE, "CALL_MORE");
_Static_assert(BERTH_CALL_ONEWAY == CALL_ONEWAY, "CALL_ONEWAY");
_Static_assert(BERTH_CALL_UPGRADE == CALL_UPGRADE, "CALL_UPGRADE");

const char *
berth_version(void)
{
	return (BERTH_VERSION);
}

/*
 * Point sun at path.  A path longer than sun_path allows is reached
 * through its directory: opened O_PATH into *dirfd, and named as
 * /proc/self/fd/N/basename.  Returns -1 with errno set.
 */
static int
unix_sockaddr(const char *path, struct sockaddr_un *sun, int *dirfd)
{
	cleanup_free char *dir = NULL;
	const char *base;
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sun->sun_path)) {
		memcpy(sun->sun_path, path, strlen(path) + 1);
		return (0);
	}
	base = strrchr(path, '/') + 1;
	if ((dir = strndup(path, (size_t)(base - path))) == NULL)
		return (-1);
	if ((*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	n = snprintf(sun->sun_path, sizeof(sun->sun_path),
	    "/proc/self/fd/%d/%s", *dirfd, base);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* A connected socket, or -1 with errno set. */
static int
connect_unix(const char *path)
{
	cleanup_close int fd = -1, dirfd = -1;
	struct sockaddr_un sun;
	int rc;

	if (unix_sockaddr(path, &sun, &dirfd) < 0)
		return (-1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	do
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (rc < 0 && errno == EINTR);
	/* An interrupted connect goes on in the background. */
	if (rc < 0 && errno != EISCONN)
		return (-1);
	return (steal_fd(&fd));
}

static struct berth_client *
client_alloc(int fd)
{
	struct berth_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->fd = fd;
	c->max_frame = BERTH_FRAME_MAX_DEFAULT;
	return (c);
}

int
berth_connect(const char *address, struct berth_client **out,
    struct berth_error *err)
{
	char path[PATH_MAX], url[sizeof(BERTH_UNIX_SCHEME) + PATH_MAX];
	cleanup_close int fd = -1;
	struct berth_client *c;

	*out = NULL;
	if (berth_address_resolve(address, path, sizeof(path), err) < 0)
		return (-1);
	snprintf(url, sizeof(url), "%s%s", BERTH_UNIX_SCHEME, path);
	if ((fd = connect_unix(path)) < 0) {
		berth_error_set(err, BERTH_E_CONNECT, errno, "cannot connect "
		    "to the berth daemon at %s", url);
		return (berth_error_param_str(err, "address", url));
	}
	if ((c = client_alloc(fd)) == NULL)
		return (berth_error_sys(err, "allocate client"));
	steal_fd(&fd);
	snprintf(c->address, sizeof(c->address), "%s", url);
	*out = c;
	return (0);
}

int
berth_client_new_fd(int fd, struct berth_client **out,
    struct berth_error *err)
{
	cleanup_close int owned = fd;

	*out = NULL;
	if (fd < 0)
		return (berth_error_set(err, BERTH_E_CONNECT, EBADF,
		    "client from fd %d", fd));
	if ((*out = client_alloc(fd)) == NULL)
		return (berth_error_sys(err, "allocate client"));
	steal_fd(&owned);
	return (0);
}

void
berth_close(struct berth_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int
berth_client_fd(const struct berth_client *c)
{
	return (c->fd);
}

const char *
berth_client_address(const struct berth_client *c)
{
	return (c->address);
}

int
berth_client_set_max_frame(struct berth_client *c, size_t max,
    struct berth_error *err)
{
	if (max == 0 || max > BERTH_FRAME_MAX_LIMIT)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "a frame limit of %zu bytes is not between 1 and %u", max,
		    BERTH_FRAME_MAX_LIMIT));
	c->max_frame = max;
	return (0);
}

size_t
berth_client_pending(const struct berth_client *c)
{
	return (c->pending);
}

const msgpack_object *
berth_map_get(const msgpack_object *map, const char *key)
{
	return (msgpack_map_get(map, key));
}
