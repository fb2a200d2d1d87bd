/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_redis_datadir.c: the entrypoint's handling of the data directory
 * (services/redis/datadir.c) on real files: only the directory and Redis'
 * own files change owner, never through a symbolic or hard link. Changing
 * owners needs root: those tests are skipped (and say so) otherwise, or
 * fail with PART5_REQUIRE_ALL=1.
 *
 * The program is linked with -Wl,--wrap=mkdirat: __wrap_mkdirat() below
 * passes every call through, and, when a test arms it, wins the race that
 * a user who can write in the parent directory would try to win: right
 * after the real mkdirat() it renames the fresh directory away and plants
 * a symbolic link to a victim directory under its name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"
#include "redis_unit.h"
#include "util.h"

int __real_mkdirat(int dirfd, const char *name, mode_t mode);
int __wrap_mkdirat(int dirfd, const char *name, mode_t mode);

/* The race to win in the next mkdirat() of a component called name. */
static struct {
    const char *name;   /* the component to swap, NULL: no race */
    const char *victim; /* what the planted link points to */
    int won;            /* the swap was made */
} race;

int __wrap_mkdirat(int dirfd, const char *name, mode_t mode)
{
    char moved[256];
    int rc = __real_mkdirat(dirfd, name, mode);

    if (rc == 0 && race.name != NULL && strcmp(name, race.name) == 0) {
        snprintf(moved, sizeof(moved), "%s.moved", name);
        if (renameat(dirfd, name, dirfd, moved) != 0 ||
            symlinkat(race.victim, dirfd, name) != 0)
            fail_msg("the race shim could not swap %s", name);
        race.name = NULL;
        race.won = 1;
    }
    return rc;
}

/* An owner nobody has, so every change shows. */
#define TEST_UID 54321
#define TEST_GID 54322

static const struct datadir_names names = {"dump.rdb", "appendonly.aof",
                                           "appendonlydir"};

/* Creates a file (root-owned when run as root) with some content. */
static void must_write(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        fail_msg("cannot create %s", path);
    fputs("data\n", f);
    fclose(f);
}

static void must_mkdir(const char *dir, const char *name, mode_t mode)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (mkdir(path, mode) != 0 || chmod(path, mode) != 0)
        fail_msg("cannot create %s", path);
}

/* The owner uid of dir/name, not following a symbolic link. */
static unsigned owner_of(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (lstat(path, &st) != 0)
        fail_msg("cannot stat %s", path);
    return (unsigned)st.st_uid;
}

/*
 * Skips a test that needs root when not root, saying so; with
 * PART5_REQUIRE_ALL=1 (CI) that fails the test instead, so a test that
 * stops running is noticed.
 */
static void skip_unless_root(void)
{
    const char *all = getenv("PART5_REQUIRE_ALL");

    if (geteuid() == 0)
        return;
    if (all != NULL && strcmp(all, "1") == 0)
        fail_msg("changing owners needs root, and PART5_REQUIRE_ALL=1 "
                 "makes a skip a failure");
    print_message("skipped: changing owners needs root (CI runs as "
                  "root)\n");
    skip();
}

static void test_redis_datadir_owned_files_only(void **state)
{
    const char *tmp = *state;
    char data[1024], path[2048], target[2048], err[512];
    struct datadir_report rep;
    struct stat st;

    skip_unless_root();
    snprintf(data, sizeof(data), "%s/data", tmp);
    must_mkdir(tmp, "data", 0755);
    must_write(tmp, "secret");
    must_write(tmp, "secret2");
    must_write(data, "dump.rdb");
    must_write(data, "temp-123.rdb");
    must_write(data, "notes.txt");
    must_mkdir(data, "appendonlydir", 0700);
    must_write(data, "appendonlydir/appendonly.aof.1.base.rdb");
    must_write(data, "appendonlydir/appendonly.aof.manifest");
    must_write(data, "appendonlydir/unrelated.txt");

    /* Links planted to turn a chown onto another file. */
    snprintf(path, sizeof(path), "%s/appendonly.aof", data);
    snprintf(target, sizeof(target), "%s/secret", tmp);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof(path), "%s/temp-hard.rdb", data);
    snprintf(target, sizeof(target), "%s/secret2", tmp);
    assert_int_equal(link(target, path), 0);

    assert_int_equal(datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep,
                                     err, sizeof(err)),
                     0);
    assert_false(rep.created);
    assert_true(rep.chowned_dir);
    assert_false(rep.refused);
    assert_int_equal(rep.files_chowned, 5); /* dump, temp, dir, 2 in dir */
    assert_int_equal(rep.skipped, 2);       /* the symlink, the hard link */

    assert_int_equal(owner_of(tmp, "data"), TEST_UID);
    assert_int_equal(owner_of(data, "dump.rdb"), TEST_UID);
    assert_int_equal(owner_of(data, "temp-123.rdb"), TEST_UID);
    assert_int_equal(owner_of(data, "appendonlydir"), TEST_UID);
    assert_int_equal(owner_of(data, "appendonlydir/appendonly.aof.1.base.rdb"),
                     TEST_UID);
    assert_int_equal(owner_of(data, "appendonlydir/appendonly.aof.manifest"),
                     TEST_UID);

    /* A user's unrelated files, and the link targets, stay root's. */
    assert_int_equal(owner_of(data, "notes.txt"), 0);
    assert_int_equal(owner_of(data, "appendonlydir/unrelated.txt"), 0);
    assert_int_equal(owner_of(data, "appendonly.aof"), 0);
    assert_int_equal(owner_of(tmp, "secret"), 0);
    assert_int_equal(owner_of(tmp, "secret2"), 0);

    /* The directory's mode is kept when the owner already has rwx. */
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_redis_datadir_created(void **state)
{
    const char *tmp = *state;
    char data[1024], path[1024], err[512];
    struct datadir_report rep;
    struct stat st;

    skip_unless_root();
    snprintf(data, sizeof(data), "%s/a/b/data", tmp);
    assert_int_equal(datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep,
                                     err, sizeof(err)),
                     0);
    assert_true(rep.created);
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_uid, TEST_UID);
    assert_int_equal(st.st_gid, TEST_GID);
    assert_int_equal(st.st_mode & 07777, 0700);
    snprintf(path, sizeof(path), "%s/a/b", tmp);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    /* A directory without owner permissions gets them. */
    snprintf(data, sizeof(data), "%s/locked", tmp);
    must_mkdir(tmp, "locked", 0055);
    assert_int_equal(datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep,
                                     err, sizeof(err)),
                     0);
    assert_true(rep.chmodded);
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_redis_datadir_refusals(void **state)
{
    const char *tmp = *state;
    char data[1024], target[1024], err[512];
    struct datadir_report rep;
    struct stat st;

    /* A symbolic link as the data directory. */
    snprintf(target, sizeof(target), "%s/real", tmp);
    snprintf(data, sizeof(data), "%s/link", tmp);
    must_mkdir(tmp, "real", 0755);
    assert_int_equal(symlink(target, data), 0);
    assert_int_equal(datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep,
                                     err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "is a symbolic link"));

    /* A file. */
    must_write(tmp, "file");
    snprintf(data, sizeof(data), "%s/file", tmp);
    assert_int_equal(datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep,
                                     err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not a directory"));

    /* A system directory keeps its owner, whatever --dir says. */
    assert_int_equal(datadir_prepare("/tmp/../tmp/.", TEST_UID, TEST_GID,
                                     &names, &rep, err, sizeof(err)),
                     0);
    assert_true(rep.refused);
    assert_int_equal(stat("/tmp", &st), 0);
    assert_int_not_equal(st.st_uid, TEST_UID);
}

/* The mode and owner of a path, not following a symbolic link. */
static struct stat must_lstat(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        fail_msg("cannot stat %s", path);
    return st;
}

/*
 * Arms the race on the next mkdirat() of name, with a victim directory
 * dir/victim of the given mode (root's, as /etc would be).
 */
static void
arm_race(const char *dir, const char *name, mode_t mode, char *victim, size_t n)
{
    must_mkdir(dir, "victim", mode);
    snprintf(victim, n, "%s/victim", dir);
    race.name = name;
    race.victim = victim;
    race.won = 0;
}

/* Asserts the victim kept its mode and owner, then disarms the race. */
static void assert_victim_unchanged(const char *victim, mode_t mode)
{
    struct stat st = must_lstat(victim);

    assert_true(race.won);
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != mode ||
        st.st_uid != 0 || st.st_gid != 0)
        fail_msg("the victim %s became %04o %u:%u (it was %04o 0:0)", victim,
                 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
                 (unsigned)st.st_gid, (unsigned)mode);
    race.name = NULL;
}

/*
 * Runs prepare's walk on tmp/home/docker/data as hostdirs.c does (from
 * "/", for uid TEST_UID). Returns what datadir_mkdirs() returned, with its
 * message in err.
 */
static int race_mkdirs(const char *tmp, char *err, size_t errlen)
{
    char data[1024];
    unsigned created;
    int root, rc;

    snprintf(data, sizeof(data), "%s/home/docker/data", tmp);
    root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root >= 0);
    rc = datadir_mkdirs(root, data, 0700, TEST_UID, TEST_GID, 0, &created, err,
                        errlen);
    close(root);
    return rc;
}

/*
 * prepare's walk (datadir_mkdirs under a host root, as hostdirs.c calls
 * it): the data directory it has just created is swapped for a link to a
 * victim before its mode and owner are set. The victim must keep both, and
 * the call must fail with a message that names the path.
 */
static void test_redis_datadir_race_last_component(void **state)
{
    char victim[1024], err[512];
    int rc;

    skip_unless_root();
    arm_race(*state, "data", 0755, victim, sizeof(victim));
    rc = race_mkdirs(*state, err, sizeof(err));
    assert_victim_unchanged(victim, 0755); /* first: what the race won */
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/home/docker/data"));
}

/* The same race won on a parent that the walk creates (mode 0755). */
static void test_redis_datadir_race_parent(void **state)
{
    char victim[1024], inside[1100], err[512];
    int rc;

    skip_unless_root();
    arm_race(*state, "docker", 0750, victim, sizeof(victim));
    rc = race_mkdirs(*state, err, sizeof(err));
    assert_victim_unchanged(victim, 0750); /* first: what the race won */
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/home/docker was replaced"));
    snprintf(inside, sizeof(inside), "%s/data", victim);
    assert_int_equal(access(inside, F_OK), -1); /* nothing made through it */
}

/* The entrypoint's path (datadir_prepare of a missing directory). */
static void test_redis_datadir_race_entrypoint(void **state)
{
    const char *tmp = *state;
    char data[1024], victim[1024], err[512];
    struct datadir_report rep;
    int rc;

    skip_unless_root();
    arm_race(tmp, "data", 0755, victim, sizeof(victim));
    snprintf(data, sizeof(data), "%s/data", tmp);
    rc = datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep, err,
                         sizeof(err));
    assert_victim_unchanged(victim, 0755);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, data));
}

static void test_redis_datadir_system_paths(void **state)
{
    (void)state;
    assert_true(datadir_is_system_path("/"));
    assert_true(datadir_is_system_path("/etc/"));
    assert_true(datadir_is_system_path("/var/lib"));
    assert_true(datadir_is_system_path("/home"));
    assert_true(datadir_is_system_path(""));
    assert_false(datadir_is_system_path("/data"));
    assert_false(datadir_is_system_path("/home/docker/data"));
    assert_false(datadir_is_system_path("/var/lib/redis"));
}

/*
 * The system trees are refused whole, not only their top directory
 * (issue 11, item 2), however the path is spelled.
 */
static void test_redis_datadir_system_trees(void **state)
{
    static const char *const refused[] = {
        "/etc/ssl",
        "/etc/ssl/private",
        "/usr/bin",
        "/usr/local/redis",
        "/bin/x",
        "/sbin/x",
        "/lib/x86_64-linux-gnu",
        "/lib64/x",
        "/libx32/x",
        "/boot/efi",
        "/proc/1",
        "/sys/fs/cgroup",
        "/dev/shm",
        "/run/redis",
        "/run/secrets/x",
        "/var/run/docker",
        "/var/lib/docker/volumes/x/_data",
        "//etc//ssl/",
        "/tmp/../etc/ssl",
        "/data/../../usr/bin",
        "/./usr/./bin",
    };
    static const char *const fine[] = {
        "/data",          "/home/docker/data", "/var/lib/redis",
        "/tmp/redis",     "/srv/redis",        "/etcx/data",
        "/usrdata",       "/mnt/disk/redis",   "/tmp/../data",
        "/home/run/data",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (!datadir_is_system_path(refused[i]))
            fail_msg("%s is not refused", refused[i]);
    }
    for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        if (datadir_is_system_path(fine[i]))
            fail_msg("%s is refused", fine[i]);
    }
}

/*
 * A data directory in a system tree stops the entrypoint before anything
 * is created or changed; prepare refuses to make one there for Redis.
 * /run is used because the path does not exist: before the fix it was
 * created (and given away), so the test removes it whatever happens.
 */
static void test_redis_datadir_refuses_system_tree(void **state)
{
    char top[256], data[300], err[512], cmd[300];
    struct datadir_report rep;
    unsigned created;
    int rc, rc2, root, existed;

    (void)state;
    skip_unless_root();
    snprintf(top, sizeof(top), "/run/test-redis-datadir-%ld", (long)getpid());
    snprintf(data, sizeof(data), "%s/data", top);
    rc = datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep, err,
                         sizeof(err));
    root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root >= 0);
    rc2 = datadir_mkdirs(root, data, 0700, TEST_UID, TEST_GID, 0, &created, err,
                         sizeof(err));
    close(root);
    existed = access(top, F_OK) == 0;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
    if (existed && system(cmd) != 0)
        fail_msg("cannot remove %s", top);
    assert_false(existed);
    assert_int_equal(rc, -1);
    assert_int_equal(rc2, -1);
    assert_non_null(strstr(err, data));
    assert_non_null(strstr(err, "/run, a system directory"));
}

/*
 * No symbolic link is followed anywhere in the path, not only in its last
 * component: a link planted in a parent cannot send the chown elsewhere.
 */
static void test_redis_datadir_symlink_in_path(void **state)
{
    const char *tmp = *state;
    char victim[1024], link[1024], data[1100], err[512];
    struct datadir_report rep;
    unsigned created;
    int rc, root;

    skip_unless_root();
    must_mkdir(tmp, "victim", 0755);
    must_mkdir(tmp, "victim/sub", 0755);
    snprintf(victim, sizeof(victim), "%s/victim", tmp);
    snprintf(link, sizeof(link), "%s/link", tmp);
    assert_int_equal(symlink(victim, link), 0);

    /* An existing directory behind the link: the entrypoint. */
    snprintf(data, sizeof(data), "%s/sub", link);
    rc = datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep, err,
                         sizeof(err));
    assert_int_equal(owner_of(victim, "sub"), 0);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, link));
    assert_non_null(strstr(err, "is a symbolic link"));

    /* A missing one: neither the entrypoint nor prepare creates it. */
    snprintf(data, sizeof(data), "%s/new", link);
    rc = datadir_prepare(data, TEST_UID, TEST_GID, &names, &rep, err,
                         sizeof(err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, link));
    root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(root >= 0);
    rc = datadir_mkdirs(root, data, 0700, TEST_UID, TEST_GID, 0, &created, err,
                        sizeof(err));
    close(root);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "is a symbolic link"));
    snprintf(data, sizeof(data), "%s/new", victim);
    assert_int_equal(access(data, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_datadir_owned_files_only,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_created,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_refusals,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test(test_redis_datadir_system_paths),
        cmocka_unit_test(test_redis_datadir_system_trees),
        cmocka_unit_test(test_redis_datadir_refuses_system_tree),
        cmocka_unit_test_setup_teardown(test_redis_datadir_symlink_in_path,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_race_last_component,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_race_parent,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_race_entrypoint,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
