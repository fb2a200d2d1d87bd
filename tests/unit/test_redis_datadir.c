/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_redis_datadir.c: the entrypoint's handling of the data directory
 * (services/redis/datadir.c) on real files: only the directory and Redis'
 * own files change owner, never through a symbolic or hard link. Changing
 * owners needs root: those tests are skipped (and say so) otherwise.
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
#include "util.h"

/* An owner nobody has, so every change shows. */
#define TEST_UID 54321
#define TEST_GID 54322

static const struct datadir_names names = {"dump.rdb", "appendonly.aof",
                                           "appendonlydir"};

static int setup_tmp(void **state)
{
    char *dir = xstrdup("/tmp/test-redis-datadir-XXXXXX");

    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
        return -1;
    *state = dir;
    return 0;
}

static int teardown_tmp(void **state)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
    if (system(cmd) != 0)
        return -1;
    free(*state);
    return 0;
}

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

static void skip_unless_root(void)
{
    if (geteuid() != 0) {
        print_message("skipped: changing owners needs root (CI runs as "
                      "root)\n");
        skip();
    }
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_datadir_owned_files_only,
                                        setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_created, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_datadir_refusals, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test(test_redis_datadir_system_paths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
