/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_compose_checks.c: what `redis-bootstrap prepare` finds in a stack
 * file (services/stackfile/preflight.c), and the host directories it creates
 * under a host root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compose.h"
#include "hostdirs.h"
#include "preflight.h"
#include "util.h"

static const struct preflight_node manager = {"manager", "myvm1"};
static const struct preflight_node worker = {"worker", "myvm2"};

static struct compose_file *must_parse_fixture(const char *name)
{
    const char *dir = getenv("PART5_FIXTURES");
    char path[1024], chunk[4096];
    struct buf b = BUF_INIT;
    struct compose_error err;
    struct compose_file *cf;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/compose/%s",
             dir != NULL ? dir : "tests/fixtures", name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open fixture %s (set PART5_FIXTURES)", path);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    cf = compose_parse(b.data, b.len, &err);
    buf_free(&b);
    if (cf == NULL)
        fail_msg("%s: %s", name, err.msg);
    return cf;
}

static struct compose_file *must_parse(const char *yaml)
{
    struct compose_error err;
    struct compose_file *cf = compose_parse(yaml, strlen(yaml), &err);

    if (cf == NULL)
        fail_msg("%u:%u: %s", err.pos.line, err.pos.column, err.msg);
    return cf;
}

/*
 * Fails unless finding i has this level, position and a message holding
 * needle.
 */
static void assert_finding(const struct preflight *p,
                           size_t i,
                           enum preflight_level level,
                           unsigned line,
                           unsigned column,
                           const char *needle)
{
    const struct preflight_finding *f;

    if (i >= p->nfindings)
        fail_msg("finding %zu missing (%zu found)", i, p->nfindings);
    f = &p->findings[i];
    if (f->level != level || f->pos.line != line || f->pos.column != column ||
        strstr(f->msg, needle) == NULL)
        fail_msg("finding %zu: %s at %u:%u \"%s\"; want %s at %u:%u with "
                 "\"%s\"",
                 i, f->level == PREFLIGHT_ERROR ? "error" : "warning",
                 f->pos.line, f->pos.column, f->msg,
                 level == PREFLIGHT_ERROR ? "error" : "warning", line, column,
                 needle);
}

static void test_compose_checks_part3(void **state)
{
    struct compose_file *cf = must_parse_fixture("docker-compose.part3.yml");
    struct preflight p;

    (void)state;
    preflight_init(&p);
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 1);
    assert_finding(&p, 0, PREFLIGHT_ERROR, 5, 12, "placeholder");
    assert_int_equal(p.npaths, 0);
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_part5_redis(void **state)
{
    struct compose_file *cf =
        must_parse_fixture("docker-compose.part5-redis.yml");
    struct preflight p;

    (void)state;
    preflight_init(&p);
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 2);
    assert_finding(&p, 0, PREFLIGHT_ERROR, 5, 12, "username/repo:tag");
    /* The tutorial publishes Redis on purpose: a warning, not an error. */
    assert_finding(&p, 1, PREFLIGHT_WARNING, 32, 9,
                   "port 6379 is published on every address of every node "
                   "without a password");
    assert_int_equal(preflight_errors(&p), 1);

    /* On the manager: the socket (must exist) and Redis' data directory. */
    assert_int_equal(p.npaths, 2);
    assert_string_equal(p.paths[0].path, "/var/run/docker.sock");
    assert_int_equal(p.paths[0].action, PREFLIGHT_MUST_EXIST);
    assert_false(p.paths[0].redis);
    assert_string_equal(p.paths[1].path, "/home/docker/data");
    assert_int_equal(p.paths[1].action, PREFLIGHT_MKDIR);
    assert_true(p.paths[1].redis);
    assert_true(p.paths[1].pinned);
    assert_string_equal(p.paths[1].service, "redis");
    preflight_free(&p);

    /* On a worker, neither service runs: nothing to create. */
    preflight_check(cf, &worker, &p);
    assert_int_equal(p.npaths, 0);
    assert_int_equal(p.nfindings, 2);
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_good_stack(void **state)
{
    struct compose_file *cf = must_parse_fixture("good-stack.yml");
    struct preflight p;

    (void)state;
    preflight_init(&p);
    preflight_check(cf, &manager, &p);
    if (p.nfindings != 0)
        fail_msg("unexpected finding: %s", p.findings[0].msg);
    assert_int_equal(p.npaths, 1);
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_mistakes(void **state)
{
    struct compose_file *cf = must_parse_fixture("mistakes.yml");
    struct preflight p;

    (void)state;
    preflight_init(&p);
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 7);
    assert_finding(&p, 0, PREFLIGHT_ERROR, 4, 12, "placeholder");
    assert_finding(&p, 1, PREFLIGHT_WARNING, 6, 9, "'./static' is relative");
    assert_finding(&p, 2, PREFLIGHT_WARNING, 7, 3, "not pinned to a node");
    assert_finding(&p, 3, PREFLIGHT_WARNING, 7, 3, "without --appendonly yes");
    assert_finding(&p, 4, PREFLIGHT_WARNING, 7, 3,
                   "nothing is mounted on Redis' data directory /data");
    assert_finding(&p, 5, PREFLIGHT_ERROR, 12, 7, "no secret 'redis_pw'");
    assert_finding(&p, 6, PREFLIGHT_ERROR, 20, 3, "has no image");

    /* worker is pinned to workers, the relative path is never created. */
    assert_int_equal(p.npaths, 0);
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_redis_variants(void **state)
{
    struct compose_file *cf;
    struct preflight p;

    (void)state;
    preflight_init(&p);

    /* A password (the secret), a loopback port, another port: fine. */
    cf = must_parse("services:\n"
                    "  db:\n"
                    "    image: registry:5000/team/part5-redis:1@sha256:ab\n"
                    "    command: [redis-server, --appendonly, YES, --port, "
                    "\"7000\", --dir, /srv]\n"
                    "    volumes: [\"/home/docker/data:/srv/\"]\n"
                    "    ports: [\"6379:6379\", \"127.0.0.1:7000:7000\"]\n"
                    "    deploy: {placement: {constraints: "
                    "[node.hostname == myvm1]}}\n");
    preflight_check(cf, &manager, &p);
    if (p.nfindings != 0)
        fail_msg("unexpected finding: %s", p.findings[0].msg);
    assert_int_equal(p.npaths, 1);
    assert_true(p.paths[0].pinned);
    preflight_free(&p);
    compose_free(cf);

    /* Redis' own port published to the world, in long syntax. */
    cf = must_parse("services:\n"
                    "  redis:\n"
                    "    image: redis\n"
                    "    command: redis-server --appendonly yes --port 7000\n"
                    "    volumes: [\"/d:/data\"]\n"
                    "    ports:\n"
                    "      - {target: 7000, published: 17000}\n"
                    "    deploy: {placement: {constraints: "
                    "[node.labels.db == yes]}}\n");
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 1);
    assert_finding(&p, 0, PREFLIGHT_WARNING, 7, 9, "port 7000 is published");

    /* node.labels cannot be told here: created, but not "pinned". */
    assert_int_equal(p.npaths, 1);
    assert_false(p.paths[0].pinned);
    preflight_free(&p);
    compose_free(cf);

    /* With a .conf file, the password may be in it: a warning only. */
    cf = must_parse("services:\n"
                    "  redis:\n"
                    "    image: example/redis\n"
                    "    command: redis-server /etc/redis.conf\n"
                    "    ports: [\"6379:6379\"]\n"
                    "    deploy: {placement: {constraints: "
                    "[node.role == manager]}}\n");
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 1);
    assert_finding(&p, 0, PREFLIGHT_WARNING, 5, 13, "requirepass");
    preflight_free(&p);
    compose_free(cf);

    /* Recognised by its command even under another image name. */
    cf = must_parse("services:\n"
                    "  cache:\n"
                    "    image: example/kv:1\n"
                    "    command: /usr/bin/redis-server\n"
                    "    volumes: [\"/d:/data\"]\n"
                    "    deploy: {placement: {constraints: "
                    "[node.role == manager]}}\n");
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 1);
    assert_finding(&p, 0, PREFLIGHT_WARNING, 4, 14, "--appendonly yes");
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_unpinned_binds(void **state)
{
    struct compose_file *cf;
    struct preflight p;

    (void)state;
    preflight_init(&p);
    cf = must_parse("services:\n"
                    "  web:\n"
                    "    image: a\n"
                    "    volumes: [\"/srv/static:/static:ro\", "
                    "\"${HOME}/x:/x\", \"/etc/app.conf:/app.conf\"]\n");
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.nfindings, 3);
    assert_finding(&p, 0, PREFLIGHT_WARNING, 4, 15, "not pinned to a node");
    assert_finding(&p, 1, PREFLIGHT_WARNING, 4, 41, "uses a variable");
    assert_finding(&p, 2, PREFLIGHT_WARNING, 4, 57, "not pinned to a node");
    assert_int_equal(p.npaths, 2);
    assert_int_equal(p.paths[0].action, PREFLIGHT_MKDIR);
    assert_int_equal(p.paths[1].action, PREFLIGHT_MUST_EXIST);
    preflight_free(&p);
    compose_free(cf);
}

/*
 * A bind source ending in '/' is a directory to create, even with a dot
 * in its name (found by the fuzz target: the empty base name was read
 * past its end).
 */
static void test_compose_checks_bind_source_trailing_slash(void **state)
{
    struct compose_file *cf;
    struct preflight p;

    (void)state;
    preflight_init(&p);
    cf = must_parse("services:\n"
                    "  web:\n"
                    "    image: a\n"
                    "    volumes:\n"
                    "      - type: bind\n"
                    "        source: /srv/site.d/\n"
                    "        target: /site\n"
                    "      - /srv/cache/:/cache\n");
    preflight_check(cf, &manager, &p);
    assert_int_equal(p.npaths, 2);
    assert_int_equal(p.paths[0].action, PREFLIGHT_MKDIR);
    assert_int_equal(p.paths[1].action, PREFLIGHT_MKDIR);
    preflight_free(&p);
    compose_free(cf);
}

static void test_compose_checks_constraints(void **state)
{
    (void)state;
    assert_int_equal(preflight_constraint("node.role == manager", &manager), 1);
    assert_int_equal(preflight_constraint("node.role==manager", &worker), 0);
    assert_int_equal(preflight_constraint("node.role != manager", &worker), 1);
    assert_int_equal(preflight_constraint(" node.role == Manager ", &manager),
                     1);
    assert_int_equal(preflight_constraint("node.hostname == myvm1", &manager),
                     1);
    assert_int_equal(preflight_constraint("node.hostname == myvm1", &worker),
                     0);
    assert_int_equal(preflight_constraint("node.labels.x == 1", &manager), -1);
    assert_int_equal(preflight_constraint("engine.labels.os == linux", &worker),
                     -1);
    assert_int_equal(preflight_constraint("garbage", &manager), -1);
}

/* A temporary host root, removed with `rm -rf` at the end of each test. */
static int setup_root(void **state)
{
    char *dir = xstrdup("/tmp/test-compose-root-XXXXXX");

    if (mkdtemp(dir) == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int teardown_root(void **state)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
    if (system(cmd) != 0)
        return -1;
    free(*state);
    return 0;
}

static void test_compose_checks_apply(void **state)
{
    const char *root = *state;
    struct compose_file *cf =
        must_parse_fixture("docker-compose.part5-redis.yml");
    struct hostdirs_opts o;
    struct preflight p;
    char path[1024], *out = NULL;
    size_t outlen = 0;
    struct sockaddr_un sun;
    struct stat st;
    int fd, sock;

    preflight_init(&p);
    preflight_check(cf, &manager, &p);
    fd = open(root, O_PATH | O_DIRECTORY);
    assert_true(fd >= 0);
    o.root_fd = fd;
    o.root_name = root;
    o.uid = geteuid() == 0 ? 999 : geteuid();
    o.gid = geteuid() == 0 ? 999 : getegid();

    /* Dry run: says what it would do, changes nothing. */
    o.dry_run = 1;
    o.out = open_memstream(&out, &outlen);
    assert_int_equal(hostdirs_apply(&p, &o), 1); /* no docker.sock there */
    fclose(o.out);
    assert_non_null(strstr(out, "would create: "));
    assert_non_null(strstr(out, "/home/docker/data (owner "));
    free(out);
    snprintf(path, sizeof(path), "%s/home", root);
    assert_int_equal(stat(path, &st), -1);
    assert_finding(&p, 1, PREFLIGHT_ERROR, 23, 9,
                   "/var/run/docker.sock does not exist on this node");
    preflight_free(&p);

    /* For real: the directory exists afterwards, with the owner. */
    preflight_check(cf, &manager, &p);
    o.dry_run = 0;
    o.out = open_memstream(&out, &outlen);
    assert_int_equal(hostdirs_apply(&p, &o), 1);
    fclose(o.out);
    assert_non_null(strstr(out, "created: "));
    free(out);
    snprintf(path, sizeof(path), "%s/home/docker/data", root);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, o.uid);
    assert_int_equal(st.st_gid, o.gid);
    snprintf(path, sizeof(path), "%s/home/docker", root);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    preflight_free(&p);

    /*
     * A second run finds it there, and the Docker socket too once there is
     * one: /var/run is a symbolic link to /run, as on Debian, resolved
     * inside the host root.
     */
    snprintf(path, sizeof(path), "%s/run", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/var", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/var/run", root);
    assert_int_equal(symlink("/run", path), 0);
    snprintf(path, sizeof(path), "%s/run/docker.sock", root);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(sun.sun_path));
    strcpy(sun.sun_path, path);
    assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
    preflight_check(cf, &manager, &p);
    o.out = open_memstream(&out, &outlen);
    assert_int_equal(hostdirs_apply(&p, &o), 0);
    fclose(o.out);
    assert_non_null(strstr(out, "/home/docker/data exists"));
    assert_non_null(strstr(out, "/var/run/docker.sock exists"));
    free(out);
    close(sock);
    preflight_free(&p);
    close(fd);
    compose_free(cf);
}

/*
 * A symbolic link in the path of a directory prepare creates is never
 * followed (issue 11, item 2): neither to the test machine's own files nor
 * inside the host root. It is an error that names the link, whether or
 * not its target exists, and nothing is created anywhere.
 */
static void test_compose_checks_apply_symlink(void **state)
{
    const char *root = *state;
    struct compose_file *cf;
    struct hostdirs_opts o;
    struct preflight p;
    char path[1024], *out = NULL;
    size_t outlen = 0;
    struct stat st;
    int fd, pass;

    snprintf(path, sizeof(path), "%s/home", root);
    assert_int_equal(symlink("/part5-test-escape", path), 0);
    cf = must_parse("services:\n  redis:\n    image: redis\n"
                    "    volumes: [\"/home/docker/data:/data\"]\n");
    fd = open(root, O_PATH | O_DIRECTORY);
    o.root_fd = fd;
    o.root_name = root;
    o.uid = geteuid();
    o.gid = getegid();
    o.dry_run = 0;

    /* The link's target missing, then existing in the host root. */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            snprintf(path, sizeof(path), "%s/part5-test-escape", root);
            assert_int_equal(mkdir(path, 0755), 0);
        }
        preflight_init(&p);
        preflight_check(cf, &manager, &p);
        o.out = open_memstream(&out, &outlen);
        assert_int_equal(hostdirs_apply(&p, &o), 1);
        fclose(o.out);
        free(out);
        assert_finding(&p, p.nfindings - 1, PREFLIGHT_ERROR, 4, 15,
                       "/home is a symbolic link");
        preflight_free(&p);
    }
    assert_int_equal(stat("/part5-test-escape", &st), -1);
    snprintf(path, sizeof(path), "%s/part5-test-escape/docker", root);
    assert_int_equal(stat(path, &st), -1);
    close(fd);
    compose_free(cf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_checks_part3),
        cmocka_unit_test(test_compose_checks_part5_redis),
        cmocka_unit_test(test_compose_checks_good_stack),
        cmocka_unit_test(test_compose_checks_mistakes),
        cmocka_unit_test(test_compose_checks_redis_variants),
        cmocka_unit_test(test_compose_checks_unpinned_binds),
        cmocka_unit_test(test_compose_checks_bind_source_trailing_slash),
        cmocka_unit_test(test_compose_checks_constraints),
        cmocka_unit_test_setup_teardown(test_compose_checks_apply, setup_root,
                                        teardown_root),
        cmocka_unit_test_setup_teardown(test_compose_checks_apply_symlink,
                                        setup_root, teardown_root),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
