/*
 * Every limit a client can push on, in one place.
 */
#ifndef BERTHD_LIMITS_H
#define BERTHD_LIMITS_H

/* A peer's queued output above which berthd stops reading its calls, and
 * the level at which it reads again. */
#define PEER_OUTPUT_HIGH		(1u << 20)
#define PEER_OUTPUT_LOW			(256u << 10)

/* A frame whose first bytes arrived must be complete within this time
 * (--frame-timeout). */
#define PEER_FRAME_TIMEOUT_DEFAULT	30

/* A peer that takes none of its queued output for this long is dropped. */
#define PEER_WRITE_TIMEOUT		120

/* Connections served at once (--max-connections); past it a peer gets
 * TooManyConnections and is closed. */
#define PEERS_MAX_DEFAULT		4096
#define PEERS_MAX_LIMIT			65536

/* Connections one non-root uid may hold, so a member of --group cannot
 * take every slot from root. */
#define PEERS_PER_UID_MAX		256

/* Descriptors kept free for files berthd itself must open (the database,
 * logs, a container's setup) when peers have taken the rest. */
#define FD_RESERVE			64

/* listen(2) backlog. */
#define LISTEN_BACKLOG			4096

/* After SIGTERM, replies in flight get this long to reach their peers. */
#define DRAIN_TIMEOUT			10

#endif
