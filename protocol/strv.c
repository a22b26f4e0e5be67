/*
 * NULL-terminated string vectors.
 */
#include <stdlib.h>

#include "strv.h"

void
strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}
