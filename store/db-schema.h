/*
 * The metadata schema as numbered migrations: migration i takes the
 * database from version i to i + 1.  Never edit a released migration;
 * append a new one and bump DB_SCHEMA_VERSION.
 */
#ifndef BERTH_STORE_DB_SCHEMA_H
#define BERTH_STORE_DB_SCHEMA_H

static const char *const db_migrations[] = {
	/* 0 -> 1: blobs, layers, images, stacks, references. */
	"CREATE TABLE blobs ("
	"  digest TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  media_type TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE layers ("
	"  chain_id TEXT PRIMARY KEY,"
	"  diff_id TEXT NOT NULL,"
	"  parent TEXT REFERENCES layers(chain_id)"
	"    DEFERRABLE INITIALLY DEFERRED,"
	"  blob TEXT REFERENCES blobs(digest) DEFERRABLE INITIALLY DEFERRED,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'absent'"
	"    CHECK (state IN ('absent', 'unpacking', 'unpacked')));"
	"CREATE INDEX layers_blob ON layers(blob);"
	"CREATE INDEX layers_parent ON layers(parent);"
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY REFERENCES blobs(digest),"
	"  manifest TEXT REFERENCES blobs(digest),"
	"  created INTEGER NOT NULL,"
	"  size INTEGER NOT NULL);"
	"CREATE INDEX images_manifest ON images(manifest);"
	"CREATE TABLE image_layers ("
	"  image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
	"  PRIMARY KEY (image, position));"
	"CREATE INDEX image_layers_chain ON image_layers(chain_id);"
	"CREATE TABLE refs ("
	"  name TEXT PRIMARY KEY,"
	"  image TEXT NOT NULL REFERENCES images(id));"
	"CREATE INDEX refs_image ON refs(image);",
	/* 1 -> 2: unpacked layer directories, by diff ID (ROOT/layers/<hex>):
	 * content depends on the diff ID alone, so stacks sharing a layer
	 * share its directory, and a layer can be unpacked before any image
	 * names it.  No row means absent. */
	"CREATE TABLE layer_dirs ("
	"  diff_id TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL CHECK (state IN ('unpacking', 'unpacked')));",
	/* 2 -> 3: the bytes of file data in each unpacked directory, for
	 * image sizes; leases: who else holds an image (a container holds
	 * its image), so that rmi and prune leave it. */
	"ALTER TABLE layer_dirs ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE leases ("
	"  image TEXT NOT NULL,"
	"  holder TEXT NOT NULL,"
	"  PRIMARY KEY (image, holder));",
	/* 3 -> 4: containers.  The record is berthd's JSON document of the
	 * container (its config and state); name and image are columns for
	 * lookups and the unique name. */
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  image TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  record TEXT NOT NULL);",
	/* 4 -> 5: the blob each image has for each layer.  A layer (chain
	 * ID) is recorded once, with the first image's blob; an image that
	 * has the same layer compressed otherwise names its own blob here,
	 * so that gc keeps it. */
	"ALTER TABLE image_layers ADD COLUMN blob TEXT;"
	"CREATE INDEX image_layers_blob ON image_layers(blob);",
	/* 5 -> 6: volumes and networks.  A volume's users are the
	 * containers whose config names it (rows kept while the container
	 * exists); anonymous volumes belong to the container that made
	 * them.  options and labels are JSON objects.  An endpoint is a
	 * running container's address lease on a network: inserted before
	 * the container starts, deleted when it stops, and the UNIQUE pair
	 * is what stops two containers from getting one address. */
	"CREATE TABLE volumes ("
	"  name TEXT PRIMARY KEY,"
	"  driver TEXT NOT NULL DEFAULT 'local',"
	"  created INTEGER NOT NULL,"
	"  anonymous INTEGER NOT NULL DEFAULT 0,"
	"  labels TEXT NOT NULL DEFAULT '{}',"
	"  options TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE volume_users ("
	"  volume TEXT NOT NULL REFERENCES volumes(name) ON DELETE CASCADE,"
	"  container TEXT NOT NULL,"
	"  PRIMARY KEY (volume, container));"
	"CREATE INDEX volume_users_container ON volume_users(container);"
	"CREATE TABLE networks ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  driver TEXT NOT NULL DEFAULT 'bridge',"
	"  bridge TEXT NOT NULL UNIQUE,"
	"  subnet TEXT NOT NULL,"
	"  gateway TEXT NOT NULL,"
	"  internal INTEGER NOT NULL DEFAULT 0,"
	"  labels TEXT NOT NULL DEFAULT '{}',"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE endpoints ("
	"  network TEXT NOT NULL REFERENCES networks(id),"
	"  container TEXT NOT NULL,"
	"  address TEXT NOT NULL,"
	"  ifname TEXT NOT NULL,"
	"  PRIMARY KEY (network, container),"
	"  UNIQUE (network, address));"
	"CREATE INDEX endpoints_container ON endpoints(container);",
	/* 6 -> 7: the engine's own id (info's ID, as Docker's engine-id):
	 * one row, made at the first start that asks. */
	"CREATE TABLE engine (id TEXT NOT NULL);",
};

#define DB_NMIGRATIONS	(sizeof(db_migrations) / sizeof(db_migrations[0]))

#endif
