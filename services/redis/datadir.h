/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datadir.h: making Redis' data directory usable, safely, as root.
 *
 * The directory is created when missing (parents root-owned 0755, the
 * directory itself 0700), then it and Redis' own files in it are given to
 * the redis user. Nothing else changes owner: a user's unrelated files in a
 * bind-mounted directory stay as they are. Every change is made through a
 * file descriptor opened without following symbolic links, and files with
 * more than one hard link are left alone, so a link planted in the
 * directory cannot turn a chown onto another file (the official image's
 * `find . \! -user redis -exec chown redis {} +` follows symlinks).
 */
#ifndef PART5_DATADIR_H
#define PART5_DATADIR_H

#include <stddef.h>

#include <sys/types.h>

/* Redis' own file names in the data directory. */
struct datadir_names {
    const char *dbfilename;     /* dump.rdb */
    const char *appendfilename; /* appendonly.aof: prefix of Redis 7's AOF
                                   files inside appenddirname */
    const char *appenddirname;  /* appendonlydir */
};

/* What datadir_prepare() did, for the log. */
struct datadir_report {
    int created;            /* the directory itself was created */
    int chowned_dir;        /* its owner was changed */
    int chmodded;           /* owner permissions were added */
    int refused;            /* a system directory: its owner was left alone */
    unsigned files_chowned; /* Redis' files given to the user */
    unsigned skipped;       /* symlinks, hard links, odd files left alone */
    char skipped_example[128]; /* the first one of those, for the log */
};

/*
 * Prepares path (absolute, or relative to the working directory) for Redis
 * running as uid:gid, as described above. Returns 0, or -1 with a message
 * in err saying what to do. A directory that is a symbolic link is refused.
 */
int datadir_prepare(const char *path,
                    uid_t uid,
                    gid_t gid,
                    const struct datadir_names *names,
                    struct datadir_report *rep,
                    char *err,
                    size_t errlen);

/*
 * Whether path is one whose owner must never change ("/", /etc, /usr,
 * /tmp...): giving it to redis would hand it the system.
 */
int datadir_is_system_path(const char *path);

/*
 * Creates the directories of path that are missing, each component opened
 * without following symbolic links out of root_fd's tree (RESOLVE_IN_ROOT
 * with openat2; symlinks are resolved as if root_fd were "/"). Created
 * parents get 0755 and root's ownership as they are; the last component
 * gets mode and, when uid is not -1, uid:gid. With dry_run nothing changes.
 * *created is set to the number of directories made (or that would be).
 * Returns 0, or -1 with a message in err.
 */
int datadir_mkdirs(int root_fd,
                   const char *path,
                   unsigned mode,
                   uid_t uid,
                   gid_t gid,
                   int dry_run,
                   unsigned *created,
                   char *err,
                   size_t errlen);

/*
 * Whether path (absolute) exists under root_fd, whatever its type (a
 * socket, a file, a directory), resolving symbolic links inside root_fd's
 * tree as datadir_mkdirs() does. Returns 1 when it exists, 0 when it does
 * not, -1 with a message in err when it cannot be told.
 */
int datadir_exists(int root_fd, const char *path, char *err, size_t errlen);

#endif
