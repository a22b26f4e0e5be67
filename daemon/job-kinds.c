/*
 * Every kind of helper process berthd starts (berthd --helper NAME):
 * job.c looks NAME up here in the exec'd helper.
 */
#include <stddef.h>

#include "container.h"
#include "container-info.h"
#include "image.h"
#include "job.h"
#include "volume.h"

const struct job_kind job_kinds[] = {
	{ "container-diff", container_diff_child },
	{ "container-export", container_export_child },
	{ "container-top", container_top_child },
	{ "image-load", image_load_child },
	{ "image-import", image_import_child },
	{ "image-save", image_save_child },
	{ "image-prune", image_prune_child },
	{ "log-compress", log_compress_child },
	{ "tree-remove", tree_remove_child },
	{ "volume-copy-up", volume_copy_up_child },
	{ NULL, NULL },
};
