/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_visualizer_route.c: the visualizer's pure decisions: CTX_ROOT,
 * routing (nothing but the contract's routes exists, whatever the path
 * tricks), DOCKER_HOST, the credentials file and the frame comparison.
 */
/* cmocka.h needs these first; clang-format would sort it before them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "docker_client.h"
#include "sse.h"
#include "visualizer.h"

static void must_root(const char *in, const char *want)
{
    char out[VIZ_ROOT_SIZE], err[256];

    if (viz_root_normalise(in, out, sizeof(out), err, sizeof(err)) != 0)
        fail_msg("CTX_ROOT \"%s\": %s", in ? in : "(null)", err);
    assert_string_equal(out, want);
}

static void must_not_root(const char *in)
{
    char out[VIZ_ROOT_SIZE], err[256] = "";

    assert_int_equal(viz_root_normalise(in, out, sizeof(out), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "CTX_ROOT"));
}

static void test_visualizer_route_root(void **state)
{
    char big[VIZ_ROOT_MAX + 10];

    (void)state;
    must_root(NULL, "/");
    must_root("", "/");
    must_root("/", "/");
    must_root("viz", "/viz/");
    must_root("/viz", "/viz/");
    must_root("/viz/", "/viz/");
    must_root("//a///b//", "/a/b/");
    must_root("/tools/swarm-viz_1.0", "/tools/swarm-viz_1.0/");
    must_not_root("/a/../b");
    must_not_root("/./a");
    must_not_root("/a b");
    must_not_root("/a?b");
    must_not_root("/a#b");
    must_not_root("/a%2fb");
    must_not_root("/a\\b");
    must_not_root("/<script>");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    must_not_root(big);
    /*
     * The longest CTX_ROOT, without slashes, gains two: it must fit (an
     * out-of-bounds write of the NUL, found by tests/fuzz/fuzz_route.c).
     */
    big[VIZ_ROOT_MAX] = '\0';
    {
        char want[VIZ_ROOT_SIZE];

        want[0] = '/';
        memcpy(want + 1, big, VIZ_ROOT_MAX);
        want[VIZ_ROOT_MAX + 1] = '/';
        want[VIZ_ROOT_MAX + 2] = '\0';
        must_root(big, want);
        assert_int_equal(strlen(want), VIZ_ROOT_MAX + 2);
    }
}

static unsigned route(const char *root, const char *method, const char *path)
{
    enum viz_route r = VIZ_ROUTE_PAGE;

    return viz_route(root, method, path, &r);
}

static void must_route(const char *root, const char *path, enum viz_route want)
{
    enum viz_route r = (enum viz_route) - 1;

    assert_int_equal(viz_route(root, "GET", path, &r), 200);
    assert_int_equal(r, want);
    r = (enum viz_route) - 1;
    assert_int_equal(viz_route(root, "HEAD", path, &r), 200);
    assert_int_equal(r, want);
}

/* The contract's routes under "/" and under a prefix. */
static void test_visualizer_route_table(void **state)
{
    (void)state;
    must_route("/", "/", VIZ_ROUTE_PAGE);
    must_route("/", "/app.js", VIZ_ROUTE_APP_JS);
    must_route("/", "/style.css", VIZ_ROUTE_STYLE_CSS);
    must_route("/", "/favicon.svg", VIZ_ROUTE_FAVICON);
    must_route("/", "/api/state", VIZ_ROUTE_STATE);
    must_route("/", "/api/traffic", VIZ_ROUTE_TRAFFIC);
    must_route("/", "/api/events", VIZ_ROUTE_EVENTS);
    must_route("/", "/healthz", VIZ_ROUTE_HEALTHZ);
    must_route("/viz/", "/viz/", VIZ_ROUTE_PAGE);
    must_route("/viz/", "/viz/api/state", VIZ_ROUTE_STATE);
    must_route("/viz/", "/viz/api/traffic", VIZ_ROUTE_TRAFFIC);
    must_route("/viz/", "/viz/healthz", VIZ_ROUTE_HEALTHZ);
    assert_int_equal(route("/viz/", "GET", "/viz"), 301);
    assert_int_equal(route("/viz/", "HEAD", "/viz"), 301);
    assert_int_equal(route("/a/b/", "GET", "/a/b"), 301);
    assert_int_equal(route("/viz/", "GET", "/"), 404);
    assert_int_equal(route("/viz/", "GET", "/api/state"), 404);
    assert_int_equal(route("/viz/", "GET", "/vizapi/state"), 404);
    assert_int_equal(route("/", "POST", "/api/state"), 405);
    assert_int_equal(route("/", "DELETE", "/"), 405);
}

/*
 * What the original visualizer passed to the engine must lead nowhere:
 * every such path is a 404, decided without any engine request (the
 * router has no access to the engine client at all).
 */
static void test_visualizer_route_no_passthrough(void **state)
{
    static const char *const paths[] = {
        "/swarm",
        "/api/../swarm",
        "/apis/swarm",
        "/../swarm",
        "//swarm",
        "/%2e%2e/swarm",
        "/api/swarm",
        "/api/state/",
        "/api/state/../../swarm",
        "/api//state",
        "/api/events/x",
        "/containers/json",
        "/v1.41/swarm",
        "/_ping",
        "/api/nodes",
        "/index.html",
        "/app.js/",
        "/healthz/",
        "/HEALTHZ",
        "/api/State",
        "/api/state\r\nX: y",
        "",
        "api/state",
        "/api/state%00",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        unsigned s = route("/", "GET", paths[i]);

        if (s != 404)
            fail_msg("GET %s answered %u, not 404", paths[i], s);
        s = route("/viz/", "GET", paths[i]);
        if (s != 404)
            fail_msg("GET %s under /viz/ answered %u, not 404", paths[i], s);
    }
}

static void must_endpoint(const char *host, int is_unix, const char *want)
{
    struct docker_endpoint ep;
    char err[256];

    if (docker_endpoint_parse(host, &ep, err, sizeof(err)) != 0)
        fail_msg("DOCKER_HOST %s: %s", host, err);
    assert_int_equal(ep.is_unix, is_unix);
    assert_string_equal(is_unix ? ep.path : ep.base, want);
}

static void must_not_endpoint(const char *host)
{
    struct docker_endpoint ep;
    char err[256] = "";

    assert_int_equal(docker_endpoint_parse(host, &ep, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "DOCKER_HOST"));
}

static void test_visualizer_route_docker_host(void **state)
{
    (void)state;
    must_endpoint("unix:///var/run/docker.sock", 1, "/var/run/docker.sock");
    must_endpoint("tcp://127.0.0.1:2375", 0, "http://127.0.0.1:2375");
    must_endpoint("tcp://docker-proxy:2375/", 0, "http://docker-proxy:2375");
    must_endpoint("tcp://docker", 0, "http://docker:2375");
    must_endpoint("tcp://[::1]:2375", 0, "http://[::1]:2375");
    must_not_endpoint("");
    must_not_endpoint("/var/run/docker.sock");
    must_not_endpoint("unix://relative.sock");
    must_not_endpoint("https://host:2376");
    must_not_endpoint("ssh://user@host");
    must_not_endpoint("npipe:////./pipe/docker_engine");
    must_not_endpoint("tcp://");
    must_not_endpoint("tcp://host:0");
    must_not_endpoint("tcp://host:99999");
    must_not_endpoint("tcp://host:2375/swarm");
    must_not_endpoint("tcp://ho st:2375");
    must_not_endpoint("tcp://user@host:2375");
    /* Every request path is fixed. */
    assert_string_equal(docker_get_path(DOCKER_GET_TASKS), "/tasks");
    assert_string_equal(docker_get_path(DOCKER_GET_CONTAINERS),
                        "/containers/json?all=1");
    assert_string_equal(docker_get_path(DOCKER_GET_COUNT), "?");
}

static struct auth *must_auth(const char *text)
{
    char err[256];
    struct auth *a = auth_parse(text, strlen(text), "creds", err, sizeof(err));

    if (a == NULL)
        fail_msg("%s", err);
    return a;
}

static void test_visualizer_route_auth(void **state)
{
    struct auth *a;
    char err[256], path[] = "/tmp/vizt-auth-XXXXXX";
    int fd;

    (void)state;
    a = must_auth("# teachers\nalice:s3cret\r\n\nbob:pa:ss:word\n");
    assert_int_equal(auth_users(a), 2);
    assert_int_equal(auth_check(a, "alice", "s3cret"), 1);
    assert_int_equal(auth_check(a, "bob", "pa:ss:word"), 1);
    assert_int_equal(auth_check(a, "alice", "s3cre"), 0);
    assert_int_equal(auth_check(a, "alice", "s3cret "), 0);
    assert_int_equal(auth_check(a, "alice", ""), 0);
    assert_int_equal(auth_check(a, "bob", "s3cret"), 0);
    assert_int_equal(auth_check(a, "alice:s3cret", ""), 0);
    assert_int_equal(auth_check(a, "alic", "e:s3cret"), 0);
    assert_int_equal(auth_check(a, NULL, NULL), 0);
    assert_int_equal(auth_check(a, "alice", NULL), 0);
    auth_free(a);
    auth_free(NULL);

    assert_null(auth_parse("", 0, "creds", err, sizeof(err)));
    assert_non_null(strstr(err, "no user:password"));
    assert_null(
        auth_parse("# only a comment\n", 17, "creds", err, sizeof(err)));
    assert_null(auth_parse("alice\n", 6, "creds", err, sizeof(err)));
    assert_non_null(strstr(err, "line 1"));
    assert_null(auth_parse("ok:1\n:nouser\n", 13, "creds", err, sizeof(err)));
    assert_non_null(strstr(err, "line 2"));
    /* The message never shows a password. */
    assert_null(strstr(err, "nouser"));

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "carol:x\n", 8), 8);
    close(fd);
    a = auth_load(path, err, sizeof(err));
    assert_non_null(a);
    assert_int_equal(auth_check(a, "carol", "x"), 1);
    auth_free(a);
    unlink(path);
    assert_null(auth_load(path, err, sizeof(err)));
    assert_non_null(strstr(err, path));
}

/* The path of tests/fixtures/auth/<name>. */
static void auth_fixture(const char *name, char *path, size_t size)
{
    const char *dir = getenv("PART5_FIXTURES");

    snprintf(path, size, "%s/auth/%s", dir ? dir : "tests/fixtures", name);
}

/* Loads tests/fixtures/auth/<name>, or fails the test. */
static struct auth *must_auth_fixture(const char *name)
{
    char path[512], err[256];
    struct auth *a;

    auth_fixture(name, path, sizeof(path));
    a = auth_load(path, err, sizeof(err));
    if (a == NULL)
        fail_msg("%s", err);
    return a;
}

/*
 * The lines of Apache's htpasswd -B and of mkpasswd (tests/fixtures/auth/
 * README.md): each user gets in with the password, never with the hash.
 */
static void test_visualizer_route_auth_hashes(void **state)
{
    struct auth *a;

    (void)state;
    a = must_auth_fixture("htpasswd-bcrypt");
    assert_int_equal(auth_users(a), 2);
    assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    assert_int_equal(auth_check(a, "erin", "cost ten"), 1);
    assert_int_equal(auth_check(a, "alice", "correct horsE"), 0);
    assert_int_equal(auth_check(a, "alice", "cost ten"), 0);
    assert_int_equal(auth_check(a, "mallory", "correct horse"), 0);
    assert_int_equal(
        auth_check(a, "alice",
                   "$2y$05$0BJPoPD0XsWHFSS.YdJcQ.Xdvt8NbwuSrtSS06TQzfauaqjL2"
                   "ixF6"),
        0);
    /* Again: the answer does not change once a credential is known. */
    assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    assert_int_equal(auth_check(a, "alice", "correct horse "), 0);
    auth_free(a);

    a = must_auth_fixture("mkpasswd-yescrypt");
    assert_int_equal(auth_check(a, "bob", "battery staple"), 1);
    assert_int_equal(auth_check(a, "bob", "battery stapler"), 0);
    auth_free(a);
    a = must_auth_fixture("mkpasswd-sha512");
    assert_int_equal(auth_check(a, "carol", "tr0ub4dor&3"), 1);
    assert_int_equal(auth_check(a, "carol", ""), 0);
    auth_free(a);
}

/*
 * A hash runs once per credential: the same good password again is
 * compared with the one kept, a wrong one or an unknown user costs a hash
 * each, within the budget; a known credential still gets in when the
 * budget is spent.
 */
static void test_visualizer_route_auth_cache(void **state)
{
    struct auth *a;
    uint64_t h;
    size_t line;
    int i;

    (void)state;
    a = must_auth_fixture("htpasswd-bcrypt");
    assert_int_equal(auth_plaintext(a, &line), 0);
    assert_int_equal(line, 0);
    h = auth_hashes(a);
    assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    assert_int_equal(auth_hashes(a), h + 1);
    for (i = 0; i < 10; i++)
        assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    assert_int_equal(auth_hashes(a), h + 1);
    assert_int_equal(auth_check(a, "alice", "correct horse!"), 0);
    assert_int_equal(auth_hashes(a), h + 2);
    /* An unknown user costs a hash too: its time does not tell. */
    assert_int_equal(auth_check(a, "mallory", "correct horse"), 0);
    assert_int_equal(auth_hashes(a), h + 3);
    assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    assert_int_equal(auth_hashes(a), h + 3);

    /*
     * Wrong passwords for erin (bcrypt at cost 10, tens of ms a hash):
     * past AUTH_HASH_BUDGET_MS in a second they are refused unhashed, and
     * alice, already known, still gets in.
     */
    h = auth_hashes(a);
    for (i = 0; i < 40; i++)
        assert_int_equal(auth_check(a, "erin", "guess"), 0);
    assert_true(auth_throttled(a) > 0);
    assert_true(auth_hashes(a) - h < 40);
    assert_int_equal(auth_check(a, "alice", "correct horse"), 1);
    auth_free(a);

    a = must_auth("# two teachers\nann:$2y$05$0BJPoPD0XsWHFSS.YdJcQ.Xdvt8Nbw"
                  "uSrtSS06TQzfauaqjL2ixF6\nben:plain\nbo:plain too\n");
    assert_int_equal(auth_plaintext(a, &line), 2);
    assert_int_equal(line, 3);
    assert_int_equal(auth_check(a, "ann", "correct horse"), 1);
    assert_int_equal(auth_check(a, "ben", "plain"), 1);
    assert_int_equal(auth_check(a, "bo", "plain"), 0);
    auth_free(a);
}

/*
 * Hashes auth.c cannot check are refused with the way to make one it
 * can, never taken for plaintext passwords, and never quoted.
 */
static void test_visualizer_route_auth_refused_hashes(void **state)
{
    static const char *const files[] = {"htpasswd-md5", "htpasswd-sha1"};
    char path[512], err[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        auth_fixture(files[i], path, sizeof(path));
        err[0] = '\0';
        assert_null(auth_load(path, err, sizeof(err)));
        if (strstr(err, "line 1") == NULL || strstr(err, "htpasswd -B") == NULL)
            fail_msg("%s: \"%s\"", files[i], err);
        assert_null(strstr(err, "$apr1$0rI6"));
        assert_null(strstr(err, "EfatjsUq"));
    }
    /* A '$' line that is no hash crypt(3) knows is refused as well. */
    assert_null(auth_parse("dan:$ecret\n", 11, "creds", err, sizeof(err)));
    assert_non_null(strstr(err, "line 1"));
    assert_null(strstr(err, "$ecret"));
}

static struct sse_frame *frame(const char *json, size_t body_off)
{
    struct buf b = BUF_INIT;
    size_t len;
    char *data;

    buf_append_str(&b, SSE_STATE_PREFIX);
    buf_append_str(&b, json);
    buf_append_str(&b, "\n\n");
    data = buf_steal(&b, &len);
    return sse_frame_new(data, len, body_off);
}

/* Two renderings that differ only in generated_at are the same frame. */
static void test_visualizer_route_frames(void **state)
{
    const char *j1 = "{\"v\":1,\"generated_at\":\"A\",\"x\":1}";
    const char *j2 = "{\"v\":1,\"generated_at\":\"B\",\"x\":1}";
    const char *j3 = "{\"v\":1,\"generated_at\":\"B\",\"x\":2}";
    size_t off = strlen("{\"v\":1,\"generated_at\":\"A\"");
    struct sse_frame *a = frame(j1, off), *b = frame(j2, off),
                     *c = frame(j3, off);

    (void)state;
    assert_int_equal(a->json_len, strlen(j1));
    assert_memory_equal(a->data + a->json_off, j1, a->json_len);
    assert_int_equal(sse_frame_same(a, b), 1);
    assert_int_equal(sse_frame_same(b, c), 0);
    assert_int_equal(sse_frame_same(a, NULL), 0);
    sse_frame_ref(a);
    sse_frame_unref(a);
    sse_frame_unref(a);
    sse_frame_unref(b);
    sse_frame_unref(c);
    sse_frame_unref(NULL);
}

/*
 * The hub lets go of a frame nobody asks for or holds (a whole tick), and
 * takes the next rendering of the same model back as its current frame
 * without publishing it; a model that changed meanwhile is published.
 */
static void test_visualizer_route_hub_trim(void **state)
{
    const char *j1 = "{\"v\":1,\"generated_at\":\"A\",\"x\":1}";
    const char *j2 = "{\"v\":1,\"generated_at\":\"B\",\"x\":1}";
    const char *j3 = "{\"v\":1,\"generated_at\":\"C\",\"x\":2}";
    size_t off = strlen("{\"v\":1,\"generated_at\":\"A\"");
    struct sse_hub_config cfg = {4, 15000, 10000, 2000};
    struct sse_frame *f;
    struct sse_hub *hub;
    uv_loop_t loop;

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    hub = sse_hub_new(&loop, &cfg);
    assert_int_equal(sse_hub_offer(hub, frame(j1, off), 0), 1);
    assert_int_equal(sse_hub_offer(hub, frame(j2, off), 1), 0); /* unchanged */
    sse_hub_trim(hub); /* published since the last tick: kept */
    assert_int_equal(sse_hub_released(hub), 0);
    f = sse_frame_ref(sse_hub_current(hub)); /* as GET /api/state holds it */
    sse_hub_trim(hub);                       /* asked for: kept */
    sse_hub_trim(hub);                       /* held: kept */
    assert_int_equal(sse_hub_released(hub), 0);
    assert_ptr_equal(sse_hub_current(hub), f);
    sse_frame_unref(f);
    sse_hub_trim(hub); /* asked for by the line above: kept */
    sse_hub_trim(hub);
    assert_int_equal(sse_hub_released(hub), 1);
    assert_null(sse_hub_current(hub));
    /* The same model re-read (a resync): not published, not kept. */
    assert_int_equal(sse_hub_offer(hub, frame(j2, off), 0), 0);
    assert_int_equal(sse_hub_released(hub), 1);
    assert_null(sse_hub_current(hub));
    /* Rendered again for a page: current, not published. */
    assert_int_equal(sse_hub_offer(hub, frame(j2, off), 1), 0);
    assert_int_equal(sse_hub_released(hub), 0);
    f = sse_hub_current(hub);
    assert_non_null(f);
    assert_memory_equal(f->data + f->json_off, j2, strlen(j2));
    sse_hub_trim(hub);
    sse_hub_trim(hub);
    assert_int_equal(sse_hub_released(hub), 1);
    /* The model changed while no frame was kept: published. */
    assert_int_equal(sse_hub_offer(hub, frame(j3, off), 0), 1);
    assert_int_equal(sse_hub_released(hub), 0);
    f = sse_hub_current(hub);
    assert_memory_equal(f->data + f->json_off, j3, strlen(j3));
    sse_hub_close(hub);
    sse_hub_free(hub);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A traffic frame: its JSON after the traffic event's prefix. */
static void test_visualizer_route_traffic_frame(void **state)
{
    const char *j = "{\"version\":1,\"at\":\"A\",\"tasks\":{}}";
    struct buf b = BUF_INIT;
    struct sse_frame *f;
    size_t len;
    char *data;

    (void)state;
    buf_append_str(&b, SSE_TRAFFIC_PREFIX);
    buf_append_str(&b, j);
    buf_append_str(&b, "\n\n");
    data = buf_steal(&b, &len);
    f = sse_frame_new_traffic(data, len, 5);
    assert_int_equal(f->json_len, strlen(j));
    assert_memory_equal(f->data + f->json_off, j, f->json_len);
    assert_memory_equal(f->data, "event: traffic\ndata: {", 22);
    sse_frame_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visualizer_route_root),
        cmocka_unit_test(test_visualizer_route_table),
        cmocka_unit_test(test_visualizer_route_no_passthrough),
        cmocka_unit_test(test_visualizer_route_docker_host),
        cmocka_unit_test(test_visualizer_route_auth),
        cmocka_unit_test(test_visualizer_route_auth_hashes),
        cmocka_unit_test(test_visualizer_route_auth_cache),
        cmocka_unit_test(test_visualizer_route_auth_refused_hashes),
        cmocka_unit_test(test_visualizer_route_frames),
        cmocka_unit_test(test_visualizer_route_hub_trim),
        cmocka_unit_test(test_visualizer_route_traffic_frame),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
