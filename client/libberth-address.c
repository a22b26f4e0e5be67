/*
 * Daemon addresses: which one to use (argument, $BERTH_HOST, default) and
 * turning "unix:///path" or "/path" into a socket path.
 */
#include <stdlib.h>
#include <string.h>

#include "libberth-int.h"

static int
invalid_address(struct berth_error *err, const char *address, bool from_env)
{
	berth_error_set(err, BERTH_E_ADDRESS, 0, "invalid %s '%s': expected "
	    "unix:///path or an absolute path", from_env ? BERTH_HOST_ENV :
	    "address", address);
	return (berth_error_param_str(err, "address", address));
}

int
berth_address_resolve(const char *address, char *path, size_t size,
    struct berth_error *err)
{
	const char *env, *p;
	bool from_env = false;
	size_t n;

	if (address == NULL) {
		env = getenv(BERTH_HOST_ENV);
		if (env != NULL && *env != '\0') {
			address = env;
			from_env = true;
		} else
			address = BERTH_DEFAULT_ADDRESS;
	}
	n = strlen(BERTH_UNIX_SCHEME);
	if (strncmp(address, BERTH_UNIX_SCHEME, n) == 0)
		p = address + n;
	else
		p = address;
	if (p[0] != '/')
		return (invalid_address(err, address, from_env));
	if (strlen(p) >= size) {
		berth_error_set(err, BERTH_E_ADDRESS, 0, "invalid %s '%s': the "
		    "path is too long", from_env ? BERTH_HOST_ENV : "address",
		    address);
		return (berth_error_param_str(err, "address", address));
	}
	memcpy(path, p, strlen(p) + 1);
	return (0);
}
