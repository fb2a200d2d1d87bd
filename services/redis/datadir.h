/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datadir.h: making Redis' data directory usable, safely, as root.
 *
 * The directory is created when missing (parents root-owned 0755, the
 * directory itself 0700), then it and Redis' own files in it are given to
 * the redis user. Nothing else changes owner: a user's unrelated files in a
 * bind-mounted directory stay as they are. Every change is made through a
 * file descriptor obtained by a walk that never follows a symbolic link,
 * and files with more than one hard link are left alone, so a link planted
 * in the path or in the directory cannot turn a chmod or chown onto
 * another file (the official image's `find . \! -user redis -exec chown
 * redis {} +` follows symlinks).
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
 * Prepares path (absolute) for Redis running as uid:gid, as described
 * above. The path is normalised (".", "..") and then walked from "/"
 * without following any symbolic link: a link anywhere in it is refused,
 * as is a path in a system tree (DATADIR_SYSTEM). A shared directory
 * (DATADIR_SHARED) is used but keeps its owner (rep->refused). Returns 0,
 * or -1 with a message in err that names the path and says what to do.
 */
int datadir_prepare(const char *path,
                    uid_t uid,
                    gid_t gid,
                    const struct datadir_names *names,
                    struct datadir_report *rep,
                    char *err,
                    size_t errlen);

/* What datadir_is_system_path() says of a path. */
enum datadir_system {
    DATADIR_ORDINARY = 0, /* a directory of its own: fine */
    DATADIR_SHARED,       /* "/", /home, /tmp, /var/lib...: shared by what
                             is under it; its owner is left alone */
    DATADIR_SYSTEM,       /* in /etc, /usr, /bin, /sbin, /lib*, /boot,
                             /proc, /sys, /dev, /run, /var/run (the Docker
                             socket's), /var/lib/docker...: refused whole */
};

/*
 * Whether path is a system directory, and of which kind (non-zero) or not
 * (DATADIR_ORDINARY, 0). The absolute path is normalised without looking
 * at the file system ("." and ".." removed). A relative path counts as
 * DATADIR_SYSTEM: it is never a data directory.
 */
enum datadir_system datadir_is_system_path(const char *path);

/*
 * Creates the directories of path (absolute, without "..") that are
 * missing under root_fd, walking one component at a time relative to the
 * previous one and never following a symbolic link: a link in the path is
 * an error naming it. Created parents get 0755 and this process's
 * ownership; the last component gets mode and, when uid is not -1,
 * uid:gid (then a path in a system tree is refused). Mode and owner are
 * set through a descriptor checked to be the directory this call made:
 * if something else took its place meanwhile, nothing is changed and the
 * call fails. With dry_run nothing changes. *created is set to the number
 * of directories made (or that would be). Returns 0, or -1 with a message
 * in err that names the path.
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
 * socket, a file, a directory). It only looks, so symbolic links are
 * followed, resolved inside root_fd's tree (in_root_open(): an
 * absolute link means root_fd's "/"), as the host's Docker would resolve
 * a bind source. Returns 1 when it exists, 0 when it does not, -1 with a
 * message in err when it cannot be told.
 */
int datadir_exists(int root_fd, const char *path, char *err, size_t errlen);

#endif
