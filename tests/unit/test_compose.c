/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_compose.c: the compose reader (services/stackfile/compose.c) on the
 * tutorial's files exactly as printed, on short and long syntax, anchors
 * and merge keys, and on broken input: one clear error each, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "util.h"

/* Reads tests/fixtures/compose/<name> into a buffer the caller frees. */
static char *must_read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PART5_FIXTURES");
    char path[1024];
    struct buf b = BUF_INIT;
    char chunk[4096];
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
    return buf_steal(&b, len);
}

/* Parses a fixture that must be read without error. */
static struct compose_file *must_parse_fixture(const char *name)
{
    struct compose_error err;
    struct compose_file *cf;
    size_t len;
    char *data = must_read_fixture(name, &len);

    cf = compose_parse(data, len, &err);
    free(data);
    if (cf == NULL)
        fail_msg("%s: %u:%u: %s", name, err.pos.line, err.pos.column, err.msg);
    return cf;
}

/* Parses a string that must fail with code at line:column. */
static void must_fail(const char *yaml,
                      enum compose_errcode code,
                      unsigned line,
                      unsigned column,
                      const char *needle)
{
    struct compose_error err;
    struct compose_file *cf = compose_parse(yaml, strlen(yaml), &err);

    if (cf != NULL) {
        compose_free(cf);
        fail_msg("parsed, but should fail: %s", yaml);
    }
    if (err.code != code || err.pos.line != line || err.pos.column != column ||
        strstr(err.msg, needle) == NULL)
        fail_msg("got code %d at %u:%u \"%s\", want code %d at %u:%u with "
                 "\"%s\"",
                 err.code, err.pos.line, err.pos.column, err.msg, code, line,
                 column, needle);
}

static struct compose_file *must_parse(const char *yaml)
{
    struct compose_error err;
    struct compose_file *cf = compose_parse(yaml, strlen(yaml), &err);

    if (cf == NULL)
        fail_msg("%u:%u: %s\nin:\n%s", err.pos.line, err.pos.column, err.msg,
                 yaml);
    return cf;
}

static void assert_pos(struct compose_pos p, unsigned line, unsigned column)
{
    if (p.line != line || p.column != column)
        fail_msg("position %u:%u, want %u:%u", p.line, p.column, line, column);
}

static void test_compose_part3(void **state)
{
    struct compose_file *cf = must_parse_fixture("docker-compose.part3.yml");
    const struct compose_service *web;

    (void)state;
    assert_string_equal(cf->version, "3");
    assert_int_equal(cf->nservices, 1);
    web = compose_find_service(cf, "web");
    assert_non_null(web);
    assert_pos(web->pos, 3, 3);
    assert_string_equal(web->image, "username/repo:tag");
    assert_pos(web->image_pos, 5, 12);
    assert_int_equal(web->nports, 1);
    assert_int_equal(web->ports[0].target, 80);
    assert_int_equal(web->ports[0].published, 80);
    assert_null(web->ports[0].host_ip);
    assert_string_equal(web->ports[0].protocol, "tcp");
    assert_pos(web->ports[0].pos, 15, 9);
    assert_int_equal(web->nvolumes, 0);
    assert_false(web->has_command);
    assert_true(web->has_deploy);
    assert_int_equal(web->nconstraints, 0);
    compose_free(cf);
}

static void test_compose_part5_visualizer(void **state)
{
    struct compose_file *cf =
        must_parse_fixture("docker-compose.part5-visualizer.yml");
    const struct compose_service *vis;

    (void)state;
    assert_int_equal(cf->nservices, 2);
    assert_string_equal(cf->services[0].name, "web");
    vis = compose_find_service(cf, "visualizer");
    assert_non_null(vis);
    assert_string_equal(vis->image, "dockersamples/visualizer:stable");
    assert_int_equal(vis->nports, 1);
    assert_int_equal(vis->ports[0].target, 8080);
    assert_int_equal(vis->ports[0].published, 8080);
    assert_int_equal(vis->nvolumes, 1);
    assert_int_equal(vis->volumes[0].type, COMPOSE_VOLUME_BIND);
    assert_string_equal(vis->volumes[0].source, "/var/run/docker.sock");
    assert_string_equal(vis->volumes[0].target, "/var/run/docker.sock");
    assert_pos(vis->volumes[0].pos, 23, 9);
    assert_int_equal(vis->nconstraints, 1);
    assert_string_equal(vis->constraints[0].text, "node.role == manager");
    assert_pos(vis->constraints[0].pos, 26, 23);
    compose_free(cf);
}

static void test_compose_part5_redis(void **state)
{
    struct compose_file *cf =
        must_parse_fixture("docker-compose.part5-redis.yml");
    const struct compose_service *redis;

    (void)state;
    assert_int_equal(cf->nservices, 3);
    redis = compose_find_service(cf, "redis");
    assert_non_null(redis);
    assert_pos(redis->pos, 29, 3);
    assert_string_equal(redis->image, "redis");
    assert_true(redis->has_command);
    assert_int_equal(redis->ncommand, 3);
    assert_string_equal(redis->command[0].text, "redis-server");
    assert_string_equal(redis->command[1].text, "--appendonly");
    assert_string_equal(redis->command[2].text, "yes");
    assert_pos(redis->command_pos, 38, 14);
    assert_int_equal(redis->nvolumes, 1);
    assert_int_equal(redis->volumes[0].type, COMPOSE_VOLUME_BIND);
    assert_string_equal(redis->volumes[0].source, "/home/docker/data");
    assert_string_equal(redis->volumes[0].target, "/data");
    assert_false(redis->volumes[0].read_only);
    assert_pos(redis->volumes[0].pos, 34, 9);
    assert_int_equal(redis->nports, 1);
    assert_int_equal(redis->ports[0].target, 6379);
    assert_int_equal(redis->ports[0].published, 6379);
    assert_pos(redis->ports[0].pos, 32, 9);
    assert_int_equal(redis->nconstraints, 1);
    assert_string_equal(redis->constraints[0].text, "node.role == manager");
    compose_free(cf);
}

static void test_compose_anchors_and_merge_keys(void **state)
{
    struct compose_file *cf = must_parse_fixture("anchors.yml");
    const struct compose_service *web, *redis;
    size_t i;
    int saw_name = 0, saw_level = 0;

    (void)state;
    assert_int_equal(cf->nservices, 2);
    web = compose_find_service(cf, "web");
    redis = compose_find_service(cf, "redis");
    assert_non_null(web);
    assert_non_null(redis);

    /* Merged from &base, and through it the alias *pinned. */
    assert_string_equal(web->image, "example/hello:1.0");
    assert_pos(web->image_pos, 8, 10);
    assert_int_equal(web->nconstraints, 1);
    assert_string_equal(web->constraints[0].text, "node.role == manager");

    /* Keys written in the mapping win over merged ones. */
    assert_int_equal(web->nenvironment, 2);
    for (i = 0; i < web->nenvironment; i++) {
        if (strcmp(web->environment[i].name, "NAME") == 0) {
            assert_string_equal(web->environment[i].value, "Class");
            saw_name = 1;
        } else if (strcmp(web->environment[i].name, "LOG_LEVEL") == 0) {
            assert_string_equal(web->environment[i].value, "info");
            saw_level = 1;
        }
    }
    assert_true(saw_name && saw_level);

    /* A list of merged mappings; image overridden. */
    assert_string_equal(redis->image, "example/redis:1.0");
    assert_int_equal(redis->nconstraints, 1);
    assert_int_equal(redis->ncommand, 3);
    assert_string_equal(redis->command[2].text, "yes");
    assert_pos(redis->command[1].pos, 24, 31);
    compose_free(cf);
}

static void test_compose_long_syntax(void **state)
{
    struct compose_file *cf = must_parse_fixture("long-syntax.yml");
    const struct compose_service *r;

    (void)state;
    r = compose_find_service(cf, "redis");
    assert_non_null(r);
    assert_int_equal(r->ncommand, 5);

    assert_int_equal(r->nenvironment, 2);
    assert_string_equal(r->environment[0].name, "REDIS_PASSWORD_FILE");
    assert_string_equal(r->environment[0].value, "/run/secrets/redis_password");
    assert_string_equal(r->environment[1].name, "LOG_LEVEL");
    assert_null(r->environment[1].value);

    assert_int_equal(r->nvolumes, 5);
    assert_int_equal(r->volumes[0].type, COMPOSE_VOLUME_BIND);
    assert_true(r->volumes[0].long_syntax);
    assert_string_equal(r->volumes[0].source, "/home/docker/data");
    assert_string_equal(r->volumes[0].target, "/data");
    assert_pos(r->volumes[0].pos, 10, 9);
    assert_int_equal(r->volumes[1].type, COMPOSE_VOLUME_VOLUME);
    assert_string_equal(r->volumes[1].source, "cache");
    assert_true(r->volumes[1].read_only);
    assert_int_equal(r->volumes[2].type, COMPOSE_VOLUME_TMPFS);
    assert_null(r->volumes[2].source);
    assert_string_equal(r->volumes[2].target, "/tmp");
    assert_int_equal(r->volumes[3].type, COMPOSE_VOLUME_VOLUME);
    assert_false(r->volumes[3].long_syntax);
    assert_string_equal(r->volumes[3].source, "logs");
    assert_true(r->volumes[3].read_only);
    assert_int_equal(r->volumes[4].type, COMPOSE_VOLUME_VOLUME);
    assert_null(r->volumes[4].source);
    assert_string_equal(r->volumes[4].target, "/scratch");

    assert_int_equal(r->nports, 5);
    assert_true(r->ports[0].long_syntax);
    assert_int_equal(r->ports[0].target, 6380);
    assert_int_equal(r->ports[0].published, 6380);
    assert_string_equal(r->ports[0].mode, "host");
    assert_string_equal(r->ports[1].host_ip, "127.0.0.1");
    assert_int_equal(r->ports[1].published, 6390);
    assert_int_equal(r->ports[1].target, 6379);
    assert_string_equal(r->ports[2].host_ip, "::1");
    assert_int_equal(r->ports[2].published, 6391);
    assert_string_equal(r->ports[2].protocol, "tcp");
    assert_int_equal(r->ports[3].published, 9000);
    assert_int_equal(r->ports[3].published_end, 9002);
    assert_int_equal(r->ports[3].target, 8000);
    assert_int_equal(r->ports[3].target_end, 8002);
    assert_int_equal(r->ports[4].target, 6379);
    assert_int_equal(r->ports[4].published, 0);
    assert_string_equal(r->ports[4].mode, "ingress");

    assert_int_equal(r->nsecrets, 2);
    assert_string_equal(r->secrets[0].source, "redis_password");
    assert_null(r->secrets[0].target);
    assert_string_equal(r->secrets[1].source, "tls_key");
    assert_string_equal(r->secrets[1].target, "redis.key");

    assert_int_equal(r->nconstraints, 2);
    assert_string_equal(r->constraints[1].text, "node.hostname != myvm2");
    compose_free(cf);
}

static void test_compose_short_syntax(void **state)
{
    struct compose_file *cf;
    const struct compose_service *s;

    (void)state;
    cf = must_parse("services:\n"
                    "  s:\n"
                    "    image: x\n"
                    "    command: [redis-server, --port, 6380]\n"
                    "    ports: [\"6060:6060/udp\", \"127.0.0.1::80\", 3000]\n"
                    "    volumes: [\"~/d:/d:rw\", \"../d:/e:ro,z\", "
                    "\"n:/f:nocopy\"]\n");
    s = &cf->services[0];
    assert_null(cf->version);
    assert_string_equal(s->command[2].text, "6380");
    assert_pos(s->command[2].pos, 4, 37);
    assert_string_equal(s->ports[0].protocol, "udp");
    assert_int_equal(s->ports[0].target, 6060);
    assert_string_equal(s->ports[1].host_ip, "127.0.0.1");
    assert_int_equal(s->ports[1].published, 0);
    assert_int_equal(s->ports[1].target, 80);
    assert_int_equal(s->ports[2].target, 3000);
    assert_int_equal(s->volumes[0].type, COMPOSE_VOLUME_BIND);
    assert_string_equal(s->volumes[0].source, "~/d");
    assert_false(s->volumes[0].read_only);
    assert_int_equal(s->volumes[1].type, COMPOSE_VOLUME_BIND);
    assert_true(s->volumes[1].read_only);
    assert_int_equal(s->volumes[2].type, COMPOSE_VOLUME_VOLUME);
    compose_free(cf);

    /* A service with nothing in it, and flow mappings. */
    cf = must_parse("{services: {a: , b: {image: 'x:1', environment: {}}}}");
    assert_int_equal(cf->nservices, 2);
    assert_null(cf->services[0].image);
    assert_string_equal(cf->services[1].image, "x:1");
    compose_free(cf);
}

static void test_compose_split_words(void **state)
{
    char **w;
    int n;

    (void)state;
    n = compose_split_words("redis-server  --appendonly yes", &w);
    assert_int_equal(n, 3);
    assert_string_equal(w[0], "redis-server");
    assert_string_equal(w[2], "yes");
    compose_words_free(w, (size_t)n);
    n = compose_split_words("sh -c 'echo \"a b\"' \"x\\\"y\" '' a\\ b", &w);
    assert_int_equal(n, 6);
    assert_string_equal(w[2], "echo \"a b\"");
    assert_string_equal(w[3], "x\"y");
    assert_string_equal(w[4], "");
    assert_string_equal(w[5], "a b");
    compose_words_free(w, (size_t)n);
    assert_int_equal(compose_split_words("a 'b", &w), -1);
    assert_int_equal(compose_split_words("", &w), 0);
    compose_words_free(w, 0);
}

static void test_compose_fixture_errors(void **state)
{
    struct {
        const char *file;
        enum compose_errcode code;
        unsigned line, column;
        const char *needle;
    } cases[] = {
        {"tabs.yml", COMPOSE_ERR_YAML, 4, 1, "tab character"},
        {"duplicate-key.yml", COMPOSE_ERR_INVALID, 7, 5,
         "duplicate key 'image' (first at line 4, column 5)"},
        {"wrong-type.yml", COMPOSE_ERR_INVALID, 5, 14,
         "service redis: volumes must be a list"},
        {"empty.yml", COMPOSE_ERR_EMPTY, 0, 0, "the file is empty"},
        {"comments-only.yml", COMPOSE_ERR_EMPTY, 0, 0, "the file is empty"},
        {"binary.bin", COMPOSE_ERR_YAML, 1, 1, "not a text file"},
        {"not-compose.yml", COMPOSE_ERR_NOT_COMPOSE, 1, 1,
         "no 'services:' key"},
    };
    struct compose_error err;
    struct compose_file *cf;
    size_t i, len;
    char *data;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        data = must_read_fixture(cases[i].file, &len);
        cf = compose_parse(data, len, &err);
        free(data);
        assert_null(cf);
        if (err.code != cases[i].code || err.pos.line != cases[i].line ||
            err.pos.column != cases[i].column ||
            strstr(err.msg, cases[i].needle) == NULL)
            fail_msg("%s: got code %d at %u:%u \"%s\"", cases[i].file, err.code,
                     err.pos.line, err.pos.column, err.msg);
    }
}

static void test_compose_errors(void **state)
{
    char *big;

    (void)state;
    must_fail("hello world\n", COMPOSE_ERR_NOT_COMPOSE, 1, 1,
              "top level is a string");
    must_fail("- a\n- b\n", COMPOSE_ERR_NOT_COMPOSE, 1, 1,
              "top level is a list");
    must_fail("services:\n  - web\n", COMPOSE_ERR_NOT_COMPOSE, 2, 3,
              "'services:' is not a mapping");
    must_fail("services:\n  web: nginx\n", COMPOSE_ERR_INVALID, 2, 8,
              "service web must be a mapping");
    must_fail("services:\n  web:\n    image: [a, b]\n", COMPOSE_ERR_INVALID, 3,
              12, "image must be a string, not a list");
    must_fail("services:\n  web:\n    ports: [\"80:80:80:80\"]\n",
              COMPOSE_ERR_INVALID, 3, 13, "port \"80:80:80:80\" is not");
    must_fail("services:\n  web:\n    ports: [\"0:80\"]\n", COMPOSE_ERR_INVALID,
              3, 13, "ports 1-65535");
    must_fail("services:\n  web:\n    ports: [{published: 80}]\n",
              COMPOSE_ERR_INVALID, 3, 13, "needs 'target:'");
    must_fail("services:\n  web:\n    volumes: [\"/a:/b:rx\"]\n",
              COMPOSE_ERR_INVALID, 3, 15, "unknown mode 'rx'");
    must_fail("services:\n  web:\n    volumes: [\"/a:b\"]\n",
              COMPOSE_ERR_INVALID, 3, 15, "absolute path in the container");
    must_fail("services:\n  web:\n    volumes: [{source: /a, target: /b}]\n",
              COMPOSE_ERR_INVALID, 3, 15, "needs 'type:'");
    must_fail("services:\n  web:\n    volumes:\n      - type: bind\n"
              "        target: /b\n",
              COMPOSE_ERR_INVALID, 4, 9, "needs 'source:'");
    must_fail("services:\n  web:\n    volumes:\n      - {type: volume, "
              "target: /b, read_only: maybe}\n",
              COMPOSE_ERR_INVALID, 4, 47, "must be true or false");
    must_fail("services:\n  web:\n    command: echo 'hi\n", COMPOSE_ERR_INVALID,
              3, 14, "unclosed quote");
    must_fail("services:\n  web:\n    deploy: {placement: {constraints: "
              "node.role==manager}}\n",
              COMPOSE_ERR_INVALID, 3, 39, "constraints must be a list");
    must_fail("services:\n  web:\n    environment: {A: [1]}\n",
              COMPOSE_ERR_INVALID, 3, 22,
              "service web: environment A must be a string, not a list");
    must_fail("services:\n  web:\n    environment: 3\n", COMPOSE_ERR_INVALID, 3,
              18, "environment must be a mapping");
    must_fail("services:\n  web:\n    secrets: [{target: x}]\n",
              COMPOSE_ERR_INVALID, 3, 15, "needs 'source:'");
    must_fail("services:\n  web:\n    image: \"a\\0b\"\n", COMPOSE_ERR_INVALID,
              3, 12, "NUL character");
    must_fail("services:\n  web:\n    ? [a]\n    : b\n", COMPOSE_ERR_INVALID, 3,
              7, "keys of service web must be strings");

    /* YAML errors: undefined alias, a second document, bad indentation. */
    must_fail("services:\n  web: *nope\n", COMPOSE_ERR_YAML, 2, 8,
              "undefined alias");
    must_fail("services: {}\n---\nservices: {}\n", COMPOSE_ERR_YAML, 2, 1,
              "second YAML document");
    must_fail("services:\n  web:\n    image: a\n   ports: []\n",
              COMPOSE_ERR_YAML, 4, 4, "not valid YAML");
    must_fail("services:\n  web:\n    image: \"a\n", COMPOSE_ERR_YAML, 4, 1,
              "not valid YAML");

    /* Merge keys: wrong type, and an anchor that merges itself. */
    must_fail("services:\n  web:\n    <<: 3\n", COMPOSE_ERR_INVALID, 3, 9,
              "takes a mapping");
    must_fail("services:\n  web:\n    <<: [3]\n", COMPOSE_ERR_INVALID, 3, 10,
              "only mappings can be merged");
    must_fail("x: &a {<<: *a}\nservices:\n  web: *a\n", COMPOSE_ERR_INVALID, 1,
              4, "nested more than");

    /* A duplicate key inside an extension field counts too. */
    must_fail("x-a: {k: 1, k: 2}\nservices: {}\n", COMPOSE_ERR_INVALID, 1, 13,
              "duplicate key 'k'");

    /* Too large to be a compose file. */
    {
        struct compose_error err;

        big = xmalloc(COMPOSE_MAX_INPUT + 1);
        memset(big, 'a', COMPOSE_MAX_INPUT + 1);
        assert_null(compose_parse(big, COMPOSE_MAX_INPUT + 1, &err));
        assert_int_equal(err.code, COMPOSE_ERR_YAML);
        assert_non_null(strstr(err.msg, "larger than"));
        free(big);
    }
}

/*
 * An alias bomb: each level refers to the previous one ten times. libyaml
 * shares nodes, and the reader only walks the schema, so this is cheap.
 */
static void test_compose_alias_bomb(void **state)
{
    struct buf b = BUF_INIT;
    struct compose_file *cf;
    int i, j;

    (void)state;
    buf_append_str(&b, "x0: &a0 [lol]\n");
    for (i = 1; i < 30; i++) {
        buf_printf(&b, "x%d: &a%d [", i, i);
        for (j = 0; j < 10; j++)
            buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
        buf_append_str(&b, "]\n");
    }
    buf_append_str(&b, "services:\n  web:\n    image: x\n    environment: "
                       "[*a29]\n");
    {
        struct compose_error err;

        cf = compose_parse(b.data, b.len, &err);
        assert_null(cf);
        assert_int_equal(err.code, COMPOSE_ERR_INVALID);
    }
    buf_free(&b);

    /* Merge keys fanning out: refused by the work budget, not by time. */
    buf_init(&b);
    buf_append_str(&b, "x0: &m0 {k: v}\n");
    for (i = 1; i < 8; i++) {
        buf_printf(&b, "x%d: &m%d {<<: [", i, i);
        for (j = 0; j < 40; j++)
            buf_printf(&b, "%s*m%d", j ? ", " : "", i - 1);
        buf_append_str(&b, "]}\n");
    }
    buf_append_str(&b, "services:\n  web:\n    <<: *m7\n");
    {
        struct compose_error err;

        cf = compose_parse(b.data, b.len, &err);
        assert_null(cf);
        assert_int_equal(err.code, COMPOSE_ERR_INVALID);
        assert_non_null(strstr(err.msg, "merge keys"));
    }
    buf_free(&b);
}

/*
 * Every prefix of every fixture, and every fixture with each byte flipped
 * in turn: the reader returns a model or an error with a message, and
 * never crashes (run under ASan in CI).
 */
static void test_compose_never_crashes(void **state)
{
    static const char *const files[] = {
        "docker-compose.part3.yml",
        "docker-compose.part5-redis.yml",
        "docker-compose.part5-visualizer.yml",
        "anchors.yml",
        "long-syntax.yml",
        "good-stack.yml",
        "mistakes.yml",
    };
    struct compose_error err;
    struct compose_file *cf;
    size_t f, i, len;
    char *data, saved;

    (void)state;
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        data = must_read_fixture(files[f], &len);
        for (i = 0; i <= len; i++) {
            cf = compose_parse(data, i, &err);
            if (cf == NULL)
                assert_true(err.code != COMPOSE_OK && err.msg[0] != '\0');
            compose_free(cf);
        }
        for (i = 0; i < len; i++) {
            saved = data[i];
            data[i] = (char)(saved ^ 0x5a);
            cf = compose_parse(data, len, &err);
            if (cf == NULL)
                assert_true(err.code != COMPOSE_OK && err.msg[0] != '\0');
            compose_free(cf);
            data[i] = saved;
        }
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_part3),
        cmocka_unit_test(test_compose_part5_visualizer),
        cmocka_unit_test(test_compose_part5_redis),
        cmocka_unit_test(test_compose_anchors_and_merge_keys),
        cmocka_unit_test(test_compose_long_syntax),
        cmocka_unit_test(test_compose_short_syntax),
        cmocka_unit_test(test_compose_split_words),
        cmocka_unit_test(test_compose_fixture_errors),
        cmocka_unit_test(test_compose_errors),
        cmocka_unit_test(test_compose_alias_bomb),
        cmocka_unit_test(test_compose_never_crashes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
