/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_docker_model.c: engine JSON -> model -> JSON (visualizer
 * jscan.c, docker_fields.c, docker_arena.c and docker_json.c), with
 * replies recorded from a real engine (tests/fixtures/docker/, see its
 * README) and hand-made odd ones.
 *
 * The rendered model is read back with yajl's tree parser, so every check
 * is on the JSON a page receives.
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
#include <yajl/yajl_tree.h>

#include "docker_model.h"
#include "engine.h"
#include "jscan.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Reads tests/fixtures/docker/<name>; fails the test when missing. */
static char *must_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("PART5_FIXTURES");
    char path[1024];
    FILE *f;
    char *data;
    long size;

    snprintf(path, sizeof(path), "%s/docker/%s", dir ? dir : "tests/fixtures",
             name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

/* The lists of one recorded engine. */
struct engine_lists {
    struct docker_list nodes, services, tasks, containers;
};

static void lists_init(struct engine_lists *l)
{
    docker_list_init(&l->nodes, sizeof(struct docker_node));
    docker_list_init(&l->services, sizeof(struct docker_service));
    docker_list_init(&l->tasks, sizeof(struct docker_task));
    docker_list_init(&l->containers, sizeof(struct docker_container));
}

static void lists_free(struct engine_lists *l)
{
    docker_list_free(&l->nodes);
    docker_list_free(&l->services);
    docker_list_free(&l->tasks);
    docker_list_free(&l->containers);
}

/* Parses fixture dir/file into out; fails the test on a parse error. */
static void
must_parse(const char *dir, const char *file, enum docker_kind kind, void *out)
{
    char name[256], err[256];
    size_t len;
    char *data;

    snprintf(name, sizeof(name), "%s/%s", dir, file);
    data = must_fixture(name, &len);
    if (docker_parse_all(kind, out, data, len, err, sizeof(err)) != 0)
        fail_msg("%s: %s", name, err);
    free(data);
}

static void must_parse_swarm(const char *dir, struct engine_lists *l)
{
    lists_init(l);
    must_parse(dir, "nodes.json", DOCKER_KIND_NODES, &l->nodes);
    must_parse(dir, "services.json", DOCKER_KIND_SERVICES, &l->services);
    must_parse(dir, "tasks.json", DOCKER_KIND_TASKS, &l->tasks);
}

/* Renders lists as the server would; the caller frees the text. */
static char *render(const struct engine_lists *l, int swarm, size_t *len)
{
    struct docker_model m;
    struct buf b = BUF_INIT;
    size_t off;

    memset(&m, 0, sizeof(m));
    m.connected = 1;
    m.version = "20.10.24+dfsg1";
    m.api_version = "1.41";
    m.since = "2026-11-27T11:00:00Z";
    m.swarm = swarm;
    m.swarm_note = swarm ? NULL : "not a swarm";
    m.nodes = &l->nodes;
    m.services = &l->services;
    m.tasks = &l->tasks;
    m.containers = &l->containers;
    assert_int_equal(docker_model_json(&m, "2026-11-27T11:00:01Z", &b, &off),
                     0);
    assert_true(off > 0 && off < b.len);
    /* One line: an SSE data field cannot hold a newline. */
    assert_null(memchr(b.data, '\n', b.len));
    return buf_steal(&b, len);
}

/* Parses rendered JSON; fails the test when it is not valid JSON. */
static yajl_val must_tree(const char *json)
{
    char err[256];
    yajl_val v = yajl_tree_parse(json, err, sizeof(err));

    if (v == NULL)
        fail_msg("rendered model is not JSON: %s", err);
    return v;
}

static yajl_val get(yajl_val v, const char *k1, const char *k2)
{
    const char *path[] = {k1, k2, NULL};

    return yajl_tree_get(v, path, yajl_t_any);
}

static const char *get_str(yajl_val v, const char *key)
{
    yajl_val s = get(v, key, NULL);

    return YAJL_IS_STRING(s) ? YAJL_GET_STRING(s) : NULL;
}

static size_t arr_len(yajl_val v)
{
    return YAJL_IS_ARRAY(v) ? YAJL_GET_ARRAY(v)->len : 0;
}

static yajl_val arr_at(yajl_val v, size_t i)
{
    if (v == NULL || v->type != yajl_t_array || i >= v->u.array.len)
        fail_msg("no element %zu", i);
    return v->u.array.values[i];
}

/* 1 when the string member key of v is s. */
static int str_is(yajl_val v, const char *key, const char *s)
{
    const char *got = get_str(v, key);

    return got != NULL && strcmp(got, s) == 0;
}

/* The task of node n whose service is name and desired state is desired. */
static yajl_val find_task(yajl_val root, const char *service, const char *state)
{
    yajl_val nodes = get(root, "nodes", NULL);
    size_t i, k;

    for (i = 0; i < arr_len(nodes); i++) {
        yajl_val tasks = get(arr_at(nodes, i), "tasks", NULL);

        for (k = 0; k < arr_len(tasks); k++) {
            yajl_val t = arr_at(tasks, k);

            if (str_is(t, "service", service) && str_is(t, "state", state))
                return t;
        }
    }
    return NULL;
}

static yajl_val find_service(yajl_val root, const char *name)
{
    yajl_val services = get(root, "services", NULL);
    size_t i;

    for (i = 0; i < arr_len(services); i++)
        if (str_is(arr_at(services, i), "name", name))
            return arr_at(services, i);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Recorded replies                                                    */
/* ------------------------------------------------------------------ */

/* The one-node swarm: node, services, failed and rejected tasks. */
static void test_docker_model_swarm_manager(void **state)
{
    struct engine_lists l;
    yajl_val root, node, t, s;
    size_t len;
    char *json;

    (void)state;
    must_parse_swarm("swarm", &l);
    assert_int_equal(l.nodes.n, 1);
    assert_int_equal(l.services.n, 5);
    assert_true(l.tasks.n > 10);
    json = render(&l, 1, &len);
    root = must_tree(json);

    assert_true(YAJL_IS_TRUE(get(root, "swarm", NULL)));
    assert_int_equal(arr_len(get(root, "nodes", NULL)), 1);
    node = arr_at(get(root, "nodes", NULL), 0);
    assert_string_equal(get_str(node, "hostname"), "vm");
    assert_string_equal(get_str(node, "role"), "manager");
    assert_true(YAJL_IS_TRUE(get(node, "leader", NULL)));
    assert_string_equal(get_str(node, "status"), "ready");
    assert_string_equal(get_str(node, "availability"), "active");
    assert_string_equal(get_str(node, "engine_version"), "20.10.24+dfsg1");
    assert_int_equal(YAJL_GET_INTEGER(get(node, "cpus", NULL)), 2);
    assert_true(YAJL_GET_INTEGER(get(node, "memory_bytes", NULL)) >
                1000000000LL);
    /* A hostile label value is kept verbatim: the page renders it as text. */
    assert_string_equal(get_str(get(node, "labels", NULL), "vizt-zone"),
                        "<img src=x onerror=alert(3)>");

    /* A command that exits 1, and an image that does not exist. */
    t = find_task(root, "vizt-fx-exit1", "failed");
    assert_non_null(t);
    assert_string_equal(get_str(t, "error"), "task: non-zero exit (1)");
    assert_string_equal(get_str(t, "desired_state"), "shutdown");
    t = find_task(root, "vizt-fx-noimage", "rejected");
    assert_non_null(t);
    assert_string_equal(get_str(t, "error"),
                        "No such image: vizt-does-not-exist:1");
    assert_string_equal(get_str(t, "image"), "vizt-does-not-exist:1");

    /* A stack's task: its stack, its slot; a global one has no slot. */
    t = find_task(root, "vizt-fx_web", "running");
    assert_non_null(t);
    assert_string_equal(get_str(t, "stack"), "vizt-fx");
    assert_true(YAJL_IS_INTEGER(get(t, "slot", NULL)));
    assert_null(get_str(t, "error"));
    /* Times lose their nanoseconds. */
    assert_int_equal(strlen(get_str(t, "since")), 20);
    t = find_task(root, "vizt-fx_agent", "running");
    assert_non_null(t);
    assert_true(YAJL_IS_NULL(get(t, "slot", NULL)));

    s = find_service(root, "vizt-fx_web");
    assert_non_null(s);
    assert_string_equal(get_str(s, "mode"), "replicated");
    assert_string_equal(get_str(s, "stack"), "vizt-fx");
    assert_int_equal(YAJL_GET_INTEGER(get(s, "replicas", NULL)), 3);
    assert_int_equal(YAJL_GET_INTEGER(get(s, "running", NULL)), 3);
    s = find_service(root, "vizt-fx_agent");
    assert_string_equal(get_str(s, "mode"), "global");
    assert_int_equal(YAJL_GET_INTEGER(get(s, "replicas", NULL)), 1);
    s = find_service(root, "vizt-fx-noimage");
    assert_int_equal(YAJL_GET_INTEGER(get(s, "running", NULL)), 0);

    assert_int_equal(arr_len(get(root, "containers", NULL)), 0);
    assert_int_equal(arr_len(get(root, "unassigned", NULL)), 0);
    yajl_tree_free(root);
    free(json);
    lists_free(&l);
}

/*
 * Nothing outside the whitelist reaches the model: the recorded services
 * and tasks carry Env (SECRET_TOKEN=hunter2-must-not-leak, PASSWORD=
 * hunter2), Args and labels with script in them.
 */
static void test_docker_model_no_secrets(void **state)
{
    static const char *const forbidden[] = {
        "hunter2",  "SECRET_TOKEN", "PASSWORD",      "Env",        "Args",
        "alert(1)", "alert(2)",     "</script>",     "<script>",   "SWMTKN",
        "TLSInfo",  "CERTIFICATE",  "ContainerSpec", "JoinTokens",
    };
    struct engine_lists l;
    size_t len, i;
    char *json, *raw;

    (void)state;
    raw = must_fixture("swarm/tasks.json", &len);
    assert_non_null(strstr(raw, "hunter2-must-not-leak"));
    assert_non_null(strstr(raw, "onerror=alert(2)"));
    free(raw);
    must_parse_swarm("swarm", &l);
    json = render(&l, 1, &len);
    for (i = 0; i < sizeof(forbidden) / sizeof(*forbidden); i++)
        if (strstr(json, forbidden[i]) != NULL)
            fail_msg("the model contains \"%s\"", forbidden[i]);
    free(json);
    lists_free(&l);

    lists_init(&l);
    must_parse("multinode", "nodes.json", DOCKER_KIND_NODES, &l.nodes);
    json = render(&l, 1, &len);
    assert_null(strstr(json, "CERTIFICATE"));
    free(json);
    lists_free(&l);
}

/* Three nodes: leader first, a drained worker, a down worker. */
static void test_docker_model_multinode(void **state)
{
    struct engine_lists l;
    yajl_val root, nodes, n, s, labels;
    size_t len, i, k, total = 0;
    char *json;

    (void)state;
    must_parse_swarm("multinode", &l);
    json = render(&l, 1, &len);
    root = must_tree(json);
    nodes = get(root, "nodes", NULL);
    assert_int_equal(arr_len(nodes), 3);
    n = arr_at(nodes, 0);
    assert_string_equal(get_str(n, "hostname"), "myvm1");
    assert_true(YAJL_IS_TRUE(get(n, "leader", NULL)));
    assert_string_equal(get_str(n, "addr"), "172.19.0.2");
    n = arr_at(nodes, 1);
    assert_string_equal(get_str(n, "hostname"), "myvm2");
    assert_string_equal(get_str(n, "role"), "worker");
    assert_true(YAJL_IS_FALSE(get(n, "leader", NULL)));
    assert_string_equal(get_str(n, "availability"), "drain");
    labels = get(n, "labels", NULL);
    assert_string_equal(get_str(labels, "zone"), "b");
    assert_string_equal(get_str(labels, "rack"), "<b>r2</b>");
    /* The drain shut its tasks down; they are still listed. */
    for (k = 0; k < arr_len(get(n, "tasks", NULL)); k++)
        assert_string_equal(
            get_str(arr_at(get(n, "tasks", NULL), k), "desired_state"),
            "shutdown");
    n = arr_at(nodes, 2);
    assert_string_equal(get_str(n, "hostname"), "myvm3");
    assert_string_equal(get_str(n, "status"), "down");

    /* Every task is somewhere, and tasks are sorted by service, slot. */
    for (i = 0; i < arr_len(nodes); i++) {
        yajl_val tasks = get(arr_at(nodes, i), "tasks", NULL);

        total += arr_len(tasks);
        for (k = 1; k < arr_len(tasks); k++) {
            const char *a = get_str(arr_at(tasks, k - 1), "service");
            const char *b = get_str(arr_at(tasks, k), "service");

            assert_true(a != NULL && b != NULL && strcmp(a, b) <= 0);
        }
    }
    total += arr_len(get(root, "unassigned", NULL));
    assert_int_equal(total, l.tasks.n);

    s = find_service(root, "getstartedlab_web");
    assert_int_equal(YAJL_GET_INTEGER(get(s, "replicas", NULL)), 5);
    assert_int_equal(YAJL_GET_INTEGER(get(s, "running", NULL)), 5);
    assert_string_equal(get_str(s, "stack"), "getstartedlab");
    s = find_service(root, "monitor");
    assert_string_equal(get_str(s, "mode"), "global");
    assert_true(YAJL_IS_NULL(get(s, "stack", NULL)));
    yajl_tree_free(root);
    free(json);
    lists_free(&l);
}

/* Not a swarm: containers by compose project, hostile labels as text. */
static void test_docker_model_nonswarm(void **state)
{
    struct engine_lists l;
    struct docker_info info;
    yajl_val root, cs, c;
    size_t len, i;
    char *json, note[512];
    int found_evil = 0, found_lonely = 0;

    (void)state;
    lists_init(&l);
    must_parse("nonswarm", "containers.json", DOCKER_KIND_CONTAINERS,
               &l.containers);
    must_parse("nonswarm", "info.json", DOCKER_KIND_INFO, &info);
    assert_string_equal(info.local_state, "inactive");
    assert_int_equal(engine_swarm_mode(&info, note, sizeof(note)), 0);
    assert_non_null(strstr(note, "docker swarm init"));
    json = render(&l, 0, &len);
    root = must_tree(json);
    assert_true(YAJL_IS_FALSE(get(root, "swarm", NULL)));
    assert_string_equal(get_str(root, "swarm_note"), "not a swarm");
    assert_int_equal(arr_len(get(root, "nodes", NULL)), 0);
    assert_int_equal(arr_len(get(root, "services", NULL)), 0);
    cs = get(root, "containers", NULL);
    assert_int_equal(arr_len(cs), 4);
    for (i = 0; i < arr_len(cs); i++) {
        const char *name;

        c = arr_at(cs, i);
        name = get_str(c, "name");
        assert_non_null(name);
        assert_non_null(get_str(c, "id"));
        assert_int_equal(strlen(get_str(c, "id")), 12);
        assert_true(name != NULL && name[0] != '/');
        assert_non_null(get_str(c, "created"));
        assert_int_equal(strlen(get_str(c, "created")), 20);
        if (str_is(c, "name", "vizt-fx-evil")) {
            found_evil = 1;
            assert_string_equal(get_str(c, "project"),
                                "<img src=x onerror=alert(1)>");
            assert_string_equal(get_str(c, "service"), "\"quoted\"\\n");
        }
        if (str_is(c, "name", "vizt-fx-lonely")) {
            found_lonely = 1;
            assert_true(YAJL_IS_NULL(get(c, "project", NULL)));
            assert_string_equal(get_str(c, "state"), "exited");
        }
    }
    assert_true(found_evil && found_lonely);
    /* Grouped: projects sorted, containers without one last. */
    assert_true(YAJL_IS_NULL(get(arr_at(cs, 3), "project", NULL)));
    assert_string_equal(get_str(arr_at(cs, 1), "project"), "vizt-demo");
    assert_string_equal(get_str(arr_at(cs, 2), "project"), "vizt-demo");
    /* The command line is not in the model. */
    assert_null(strstr(json, "script"));
    yajl_tree_free(root);
    free(json);
    lists_free(&l);
}

/* /info decides the mode: manager, worker, not in a swarm. */
static void test_docker_model_info_modes(void **state)
{
    struct docker_info info;
    struct docker_version v;
    char note[512];

    (void)state;
    must_parse("swarm", "info.json", DOCKER_KIND_INFO, &info);
    assert_string_equal(info.local_state, "active");
    assert_int_equal(info.control_available, 1);
    assert_int_equal(engine_swarm_mode(&info, note, sizeof(note)), 1);
    assert_string_equal(note, "");
    must_parse("worker", "info.json", DOCKER_KIND_INFO, &info);
    assert_int_equal(info.control_available, 0);
    assert_int_equal(engine_swarm_mode(&info, note, sizeof(note)), 0);
    assert_non_null(strstr(note, "worker"));
    memset(&info, 0, sizeof(info));
    strcpy(info.local_state, "locked");
    assert_int_equal(engine_swarm_mode(&info, note, sizeof(note)), 0);
    assert_non_null(strstr(note, "docker swarm unlock"));
    must_parse("swarm", "version.json", DOCKER_KIND_VERSION, &v);
    assert_string_equal(v.version, "20.10.24+dfsg1");
    assert_string_equal(v.api_version, "1.41");
}

/* Event lines, and the engine's error replies. */
static void test_docker_model_events(void **state)
{
    struct docker_event ev;
    char err[256], msg[256];
    char *data, *line, *save = NULL;
    size_t len;
    int services = 0, tasks = 0;

    (void)state;
    data = must_fixture("swarm/events.jsonl", &len);
    for (line = strtok_r(data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        assert_int_equal(docker_parse_all(DOCKER_KIND_EVENT, &ev, line,
                                          strlen(line), err, sizeof(err)),
                         0);
        if (strcmp(ev.type, "service") == 0) {
            services++;
            assert_string_equal(ev.action, "update");
            assert_string_equal(ev.name, "vizt-fx_web");
            assert_int_equal(ev.swarm_task, 0);
        } else if (strcmp(ev.type, "container") == 0) {
            tasks += ev.swarm_task;
        }
    }
    assert_int_equal(services, 2);
    assert_true(tasks >= 1);
    free(data);

    data = must_fixture("nonswarm/events.jsonl", &len);
    line = strtok_r(data, "\n", &save);
    assert_int_equal(docker_parse_all(DOCKER_KIND_EVENT, &ev, line,
                                      strlen(line), err, sizeof(err)),
                     0);
    assert_string_equal(ev.type, "container");
    assert_int_equal(ev.swarm_task, 0);
    free(data);

    data = must_fixture("worker/nodes.json", &len);
    docker_error_message(data, len, msg, sizeof(msg));
    assert_non_null(strstr(msg, "not a swarm manager"));
    free(data);
    docker_error_message("<html>502</html>", 16, msg, sizeof(msg));
    assert_string_equal(msg, "");
}

/* ------------------------------------------------------------------ */
/* Chunking, odd and hostile input                                     */
/* ------------------------------------------------------------------ */

/*
 * The parser is fed as the network delivers: a byte at a time, or in
 * uneven chunks, it must build the same model as from one buffer.
 */
static void test_docker_model_chunked(void **state)
{
    static const size_t steps[] = {1, 7, 4096, 16384};
    struct engine_lists whole, parts;
    size_t len, jlen1, jlen2, i, off, n;
    char *data, *json1, *json2;

    (void)state;
    must_parse_swarm("multinode", &whole);
    json1 = render(&whole, 1, &jlen1);
    data = must_fixture("multinode/tasks.json", &len);
    for (i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
        struct docker_parse *p;

        lists_init(&parts);
        must_parse("multinode", "nodes.json", DOCKER_KIND_NODES, &parts.nodes);
        must_parse("multinode", "services.json", DOCKER_KIND_SERVICES,
                   &parts.services);
        p = docker_parse_new(DOCKER_KIND_TASKS, &parts.tasks);
        for (off = 0; off < len; off += n) {
            n = len - off < steps[i] ? len - off : steps[i];
            assert_int_equal(docker_parse_feed(p, data + off, n), 0);
        }
        assert_int_equal(docker_parse_finish(p), 0);
        docker_parse_free(p);
        json2 = render(&parts, 1, &jlen2);
        assert_int_equal(jlen1, jlen2);
        assert_memory_equal(json1, json2, jlen1);
        free(json2);
        lists_free(&parts);
    }
    free(data);
    free(json1);
    lists_free(&whole);
}

/* Parses text as kind into a fresh list; returns the parse's result. */
static int parse_text(enum docker_kind kind,
                      const char *text,
                      struct docker_list *l,
                      size_t item,
                      char *err)
{
    docker_list_init(l, item);
    return docker_parse_all(kind, l, text, strlen(text), err, 256);
}

/* Records without what they need are skipped, odd types read as absent. */
static void test_docker_model_odd_fields(void **state)
{
    static const char tasks[] =
        "[{\"ServiceID\":\"s1\"}," /* no ID: skipped */
        "{\"ID\":\"t1\"},"         /* no service: skipped */
        "{\"ID\":\"t2\",\"ServiceID\":\"s1\",\"Slot\":\"3\","
        "\"Status\":{\"State\":7,\"Err\":null,\"Message\":[1,2]},"
        "\"DesiredState\":true,\"Spec\":{\"ContainerSpec\":{\"Image\":"
        "\"img:1@sha256:0123456789abcdef\",\"Labels\":{"
        "\"com.docker.stack.namespace\":\"st\"}}}},"
        "42, \"str\", [1,[2]], null," /* not objects */
        "{\"ID\":\"t3\",\"ServiceID\":\"s1\",\"Slot\":2.0,\"NodeID\":\"\","
        "\"Unknown\":{\"Deep\":{\"Deeper\":[{\"ID\":\"nope\"}]}}}]";
    static const char nodes[] =
        "[{\"ID\":\"n1\",\"Spec\":{\"Labels\":{\"a\":1,\"b\":\"x\","
        "\"c\":null,\"d\":{\"e\":\"f\"}}},\"Description\":{\"Resources\":"
        "{\"NanoCPUs\":1500000000,\"MemoryBytes\":-5}}}]";
    struct docker_list l;
    const struct docker_task *t;
    const struct docker_node *n;
    char err[256];

    (void)state;
    assert_int_equal(parse_text(DOCKER_KIND_TASKS, tasks, &l,
                                sizeof(struct docker_task), err),
                     0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.skipped, 2 + 4);
    t = DOCKER_LIST_AT(&l, struct docker_task, 0);
    assert_string_equal(t->id, "t2");
    assert_int_equal(t->slot, -1); /* a string is not a slot */
    assert_null(t->state);
    assert_null(t->error);
    assert_null(t->message);
    assert_null(t->desired_state);
    assert_string_equal(t->image, "img:1");
    assert_string_equal(t->stack, "st");
    t = DOCKER_LIST_AT(&l, struct docker_task, 1);
    assert_int_equal(t->slot, 2);
    assert_null(t->node_id); /* "" means not yet placed */
    docker_list_free(&l);

    assert_int_equal(parse_text(DOCKER_KIND_NODES, nodes, &l,
                                sizeof(struct docker_node), err),
                     0);
    n = DOCKER_LIST_AT(&l, struct docker_node, 0);
    assert_int_equal(n->nlabels, 1); /* only string values are labels */
    assert_string_equal(n->labels[0].key, "b");
    assert_true(n->cpus > 1.49 && n->cpus < 1.51);
    assert_int_equal(n->memory, -1);
    assert_null(n->hostname);
    docker_list_free(&l);
}

/*
 * A rolling update under way, as Docker 20.10 reports it: UpdateStatus,
 * placement, resources, the traffic labels, the tasks' creation times
 * and network addresses.
 */
static void test_docker_model_update_and_placement(void **state)
{
    static const char services[] =
        "[{\"ID\":\"s-web\",\"Spec\":{\"Name\":\"st_web\",\"Labels\":{"
        "\"com.docker.stack.namespace\":\"st\","
        "\"part5.visualizer.scrape\":\"true\"},\"TaskTemplate\":{"
        "\"ContainerSpec\":{\"Image\":\"part5/hello:1.0.1@sha256:ab\","
        "\"Env\":[\"SECRET=x\"]},\"Resources\":{\"Limits\":{\"NanoCPUs\":"
        "100000000,\"MemoryBytes\":52428800},\"Reservations\":{"
        "\"MemoryBytes\":8388608}},\"Placement\":{\"Constraints\":["
        "\"node.role == worker\",\"node.labels.zone != cold\"],"
        "\"MaxReplicas\":3}},\"Mode\":{\"Replicated\":{\"Replicas\":3}}},"
        "\"UpdateStatus\":{\"State\":\"updating\",\"StartedAt\":"
        "\"2026-12-01T00:50:26.22774788Z\",\"Message\":\"update in "
        "progress\"}},"
        "{\"ID\":\"s-port\",\"Spec\":{\"Name\":\"port\",\"Labels\":{"
        "\"part5.visualizer.scrape\":\"true\","
        "\"part5.visualizer.scrape.port\":\"9100\"}}},"
        "{\"ID\":\"s-badport\",\"Spec\":{\"Name\":\"badport\",\"Labels\":{"
        "\"part5.visualizer.scrape\":\"true\","
        "\"part5.visualizer.scrape.port\":\"80; rm\"}}},"
        "{\"ID\":\"s-yes\",\"Spec\":{\"Name\":\"yes\",\"Labels\":{"
        "\"part5.visualizer.scrape\":\"yes\"}},\"UpdateStatus\":{\"State\":"
        "\"rollback_completed\",\"StartedAt\":\"2026-12-01T00:40:00Z\","
        "\"CompletedAt\":\"2026-12-01T00:41:00.5Z\",\"Message\":\"rollback "
        "completed\"}}]";
    static const char tasks[] =
        "[{\"ID\":\"t-new\",\"ServiceID\":\"s-web\",\"NodeID\":\"n1\","
        "\"Slot\":1,\"CreatedAt\":\"2026-12-01T00:50:27.1Z\","
        "\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\","
        "\"NetworksAttachments\":[{\"Network\":{\"Spec\":{\"Name\":"
        "\"ingress\",\"Ingress\":true}},\"Addresses\":[\"10.0.0.7/24\"]},"
        "{\"Network\":{\"Spec\":{\"Name\":\"st_webnet\"}},\"Addresses\":["
        "\"10.0.1.7/24\",\"fd00::7/64\"]},{\"Addresses\":[\"<b>x</b>\","
        "\"10.0.2.7/24 \"]}]},"
        "{\"ID\":\"t-old\",\"ServiceID\":\"s-web\",\"NodeID\":\"n1\","
        "\"Slot\":2,\"CreatedAt\":\"2026-12-01T00:40:00Z\","
        "\"Status\":{\"State\":\"running\"},\"DesiredState\":\"running\","
        "\"NetworksAttachments\":[{\"Addresses\":[\"10.0.1.8/24\"]}]},"
        "{\"ID\":\"t-stopping\",\"ServiceID\":\"s-web\",\"NodeID\":\"n1\","
        "\"Slot\":1,\"CreatedAt\":\"2026-12-01T00:40:00Z\","
        "\"Status\":{\"State\":\"running\"},\"DesiredState\":\"shutdown\","
        "\"NetworksAttachments\":[{\"Addresses\":[\"10.0.1.9/24\"]}]},"
        "{\"ID\":\"t-pending\",\"ServiceID\":\"s-web\",\"Slot\":3,"
        "\"CreatedAt\":\"2026-12-01T00:50:28Z\",\"Status\":{\"State\":"
        "\"pending\",\"Err\":\"no suitable node (max replicas per node "
        "limit exceed)\"},\"DesiredState\":\"running\"}]";
    static const char nodes[] = "[{\"ID\":\"n1\",\"Description\":{"
                                "\"Hostname\":\"myvm1\"}}]";
    struct engine_lists l;
    const struct docker_service *s;
    const struct docker_task *t;
    yajl_val root, web, u, other;
    char err[256], *json;
    size_t len;

    (void)state;
    lists_init(&l);
    assert_int_equal(docker_parse_all(DOCKER_KIND_SERVICES, &l.services,
                                      services, strlen(services), err,
                                      sizeof(err)),
                     0);
    assert_int_equal(docker_parse_all(DOCKER_KIND_TASKS, &l.tasks, tasks,
                                      strlen(tasks), err, sizeof(err)),
                     0);
    assert_int_equal(docker_parse_all(DOCKER_KIND_NODES, &l.nodes, nodes,
                                      strlen(nodes), err, sizeof(err)),
                     0);
    s = DOCKER_LIST_AT(&l.services, struct docker_service, 0);
    assert_int_equal(s->scrape_port, 80);
    assert_int_equal(s->update_started_ms, 1796086226227LL);
    assert_int_equal(
        DOCKER_LIST_AT(&l.services, struct docker_service, 1)->scrape_port,
        9100);
    assert_int_equal(
        DOCKER_LIST_AT(&l.services, struct docker_service, 2)->scrape_port, 0);
    assert_int_equal(
        DOCKER_LIST_AT(&l.services, struct docker_service, 3)->scrape_port, 0);
    /* Only a running task's addresses are kept, and only addresses. */
    t = DOCKER_LIST_AT(&l.tasks, struct docker_task, 0);
    assert_string_equal(t->addrs, "10.0.0.7/24 10.0.1.7/24 fd00::7/64");
    assert_int_equal(t->created_ms, 1796086227100LL);
    assert_null(DOCKER_LIST_AT(&l.tasks, struct docker_task, 2)->addrs);
    assert_null(DOCKER_LIST_AT(&l.tasks, struct docker_task, 3)->addrs);

    json = render(&l, 1, &len);
    assert_null(strstr(json, "SECRET"));
    assert_null(strstr(json, "10.0.1.7")); /* addresses stay server-side */
    root = must_tree(json);
    web = find_service(root, "st_web");
    assert_non_null(web);
    u = get(web, "update", NULL);
    assert_true(str_is(u, "state", "updating"));
    assert_true(str_is(u, "message", "update in progress"));
    assert_true(str_is(u, "started_at", "2026-12-01T00:50:26Z"));
    assert_true(YAJL_IS_NULL(get(u, "completed_at", NULL)));
    /* t-new runs and was made after the start; t-old, t-pending not. */
    assert_int_equal(YAJL_GET_INTEGER(get(u, "updated", NULL)), 1);
    assert_int_equal(YAJL_GET_INTEGER(get(u, "total", NULL)), 3);
    assert_int_equal(arr_len(get(web, "constraints", NULL)), 2);
    assert_string_equal(
        YAJL_GET_STRING(arr_at(get(web, "constraints", NULL), 1)),
        "node.labels.zone != cold");
    assert_int_equal(YAJL_GET_INTEGER(get(web, "max_per_node", NULL)), 3);
    assert_true(YAJL_GET_DOUBLE(get(get(web, "limits", NULL), "cpus", NULL)) ==
                0.1);
    assert_int_equal(
        YAJL_GET_INTEGER(get(get(web, "limits", NULL), "memory_bytes", NULL)),
        52428800);
    assert_true(
        YAJL_IS_NULL(get(get(web, "reservations", NULL), "cpus", NULL)));
    assert_int_equal(YAJL_GET_INTEGER(get(get(web, "reservations", NULL),
                                          "memory_bytes", NULL)),
                     8388608);
    assert_true(YAJL_IS_TRUE(get(web, "metrics", NULL)));
    other = find_service(root, "yes");
    assert_true(YAJL_IS_FALSE(get(other, "metrics", NULL)));
    assert_true(YAJL_IS_NULL(get(other, "max_per_node", NULL)));
    assert_int_equal(arr_len(get(other, "constraints", NULL)), 0);
    u = get(other, "update", NULL);
    assert_true(str_is(u, "state", "rollback_completed"));
    assert_true(str_is(u, "completed_at", "2026-12-01T00:41:00Z"));
    assert_true(YAJL_IS_NULL(get(find_service(root, "port"), "update", NULL)));
    /* The pending task waits in "unassigned" with the scheduler's reason. */
    assert_int_equal(arr_len(get(root, "unassigned", NULL)), 1);
    assert_true(str_is(arr_at(get(root, "unassigned", NULL), 0), "error",
                       "no suitable node (max replicas per node limit "
                       "exceed)"));
    yajl_tree_free(root);
    free(json);
    lists_free(&l);
}

/* Malformed replies fail cleanly, with a reason, and never crash. */
static void test_docker_model_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "   ",
        "{\"ID\":\"x\"}",          /* an object where an array is expected */
        "[{\"ID\":\"x\"}",         /* cut short */
        "[{\"ID\":\"x\"},]",       /* trailing comma */
        "[{\"ID\":\"\xff\xfe\"}]", /* not UTF-8 */
        "[{\"ID\":\"x\"}] []",     /* trailing garbage */
        "<html><body>502 Bad Gateway</body></html>",
        "[1e999999, {\"ID\":}]",
        "\"just a string\"",
    };
    struct docker_list l;
    char err[256], deep[4096];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err[0] = '\0';
        assert_int_equal(parse_text(DOCKER_KIND_TASKS, bad[i], &l,
                                    sizeof(struct docker_task), err),
                         -1);
        assert_true(strlen(err) > 0);
        docker_list_free(&l);
    }
    /* Nesting deeper than the scanner's stack is refused, not followed. */
    memset(deep, '[', 2000);
    memset(deep + 2000, ']', 2000);
    deep[4000] = '\0';
    assert_int_equal(parse_text(DOCKER_KIND_TASKS, deep, &l,
                                sizeof(struct docker_task), err),
                     -1);
    assert_non_null(strstr(err, "deeper"));
    docker_list_free(&l);
    /* /info that is not an object. */
    {
        struct docker_info info;

        assert_int_equal(docker_parse_all(DOCKER_KIND_INFO, &info, "[]", 2, err,
                                          sizeof(err)),
                         -1);
    }
}

/*
 * A huge string is cut at JSCAN_MAX_VALUE on a character boundary, so
 * the model stays valid UTF-8; the rendering escapes quotes and controls.
 */
static void test_docker_model_long_and_hostile_strings(void **state)
{
    struct buf in = BUF_INIT;
    struct docker_list l;
    struct engine_lists el;
    const struct docker_task *t;
    char err[256];
    size_t i, len;
    char *json;
    yajl_val root;

    (void)state;
    buf_append_str(&in, "[{\"ID\":\"t\",\"ServiceID\":\"s\",\"Status\":{"
                        "\"Err\":\"");
    for (i = 0; i < 3000; i++)
        buf_append_str(&in, "\xc3\xa9"); /* é: two bytes each */
    buf_append_str(&in,
                   "\",\"Message\":\"a\\\"b\\u0000c\\n</script>\\u2028\"}}]");
    docker_list_init(&l, sizeof(struct docker_task));
    assert_int_equal(docker_parse_all(DOCKER_KIND_TASKS, &l, in.data, in.len,
                                      err, sizeof(err)),
                     0);
    t = DOCKER_LIST_AT(&l, struct docker_task, 0);
    assert_true(strlen(t->error) <= JSCAN_MAX_VALUE);
    assert_int_equal(strlen(t->error) % 2, 0);

    lists_init(&el);
    docker_list_move(&el.tasks, &l);
    json = render(&el, 1, &len);
    root = must_tree(json);
    t = DOCKER_LIST_AT(&el.tasks, struct docker_task, 0);
    {
        yajl_val task = arr_at(get(root, "unassigned", NULL), 0);
        const char *m = get_str(task, "message");

        /* The NUL ends the C string; what precedes it survives intact. */
        assert_string_equal(m, "a\"b");
        assert_string_equal(get_str(task, "service"), "s");
    }
    yajl_tree_free(root);
    free(json);
    buf_free(&in);
    lists_free(&el);
}

/* The bounds cap what a hostile engine can make the server hold. */
static void test_docker_model_bounds(void **state)
{
    struct buf in = BUF_INIT;
    struct docker_list l;
    const struct docker_node *n;
    char err[256];
    size_t i;

    (void)state;
    buf_append_str(&in, "[{\"ID\":\"n\",\"Spec\":{\"Labels\":{");
    for (i = 0; i < 500; i++)
        buf_printf(&in, "%s\"k%zu\":\"v\"", i ? "," : "", i);
    buf_append_str(&in, "}}}]");
    docker_list_init(&l, sizeof(struct docker_node));
    assert_int_equal(docker_parse_all(DOCKER_KIND_NODES, &l, in.data, in.len,
                                      err, sizeof(err)),
                     0);
    n = DOCKER_LIST_AT(&l, struct docker_node, 0);
    assert_int_equal(n->nlabels, DOCKER_MAX_LABELS);
    assert_true(l.truncated > 0);
    docker_list_free(&l);
    buf_free(&in);
}

static void test_docker_model_helpers(void **state)
{
    struct docker_arena a = {0};
    char t[32];

    (void)state;
    assert_string_equal(docker_strip_digest(&a, "redis@sha256:abc"), "redis");
    assert_string_equal(docker_strip_digest(&a, "a/b:1"), "a/b:1");
    assert_null(docker_strip_digest(&a, NULL));
    docker_iso_time(0, t, sizeof(t));
    assert_string_equal(t, "1970-01-01T00:00:00Z");
    docker_iso_time(1795778759, t, sizeof(t));
    assert_string_equal(t, "2026-11-27T11:25:59Z");
    assert_int_equal(jscan_utf8_cut("ab\xc3\xa9", 4, 3), 2);
    assert_int_equal(jscan_utf8_cut("abc", 3, 10), 3);
    {
        struct docker_list l;

        docker_list_init(&l, 1);
        l.arena = a;
        docker_list_free(&l);
    }
    docker_list_free(NULL);
}

/* Tasks on their way to their desired state keep the watcher looking. */
static void test_docker_model_moving(void **state)
{
    struct engine_lists l;
    struct docker_list tl;
    char err[256];

    (void)state;
    must_parse_swarm("multinode", &l);
    assert_int_equal(engine_tasks_moving(&l.tasks), 0);
    lists_free(&l);
    assert_int_equal(
        parse_text(DOCKER_KIND_TASKS,
                   "[{\"ID\":\"t\",\"ServiceID\":\"s\",\"DesiredState\":"
                   "\"running\",\"Status\":{\"State\":\"assigned\"}}]",
                   &tl, sizeof(struct docker_task), err),
        0);
    assert_int_equal(engine_tasks_moving(&tl), 1);
    docker_list_free(&tl);
    assert_int_equal(
        parse_text(DOCKER_KIND_TASKS,
                   "[{\"ID\":\"t\",\"ServiceID\":\"s\",\"DesiredState\":"
                   "\"shutdown\",\"Status\":{\"State\":\"running\"}}]",
                   &tl, sizeof(struct docker_task), err),
        0);
    assert_int_equal(engine_tasks_moving(&tl), 1);
    docker_list_free(&tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker_model_swarm_manager),
        cmocka_unit_test(test_docker_model_no_secrets),
        cmocka_unit_test(test_docker_model_multinode),
        cmocka_unit_test(test_docker_model_nonswarm),
        cmocka_unit_test(test_docker_model_info_modes),
        cmocka_unit_test(test_docker_model_events),
        cmocka_unit_test(test_docker_model_chunked),
        cmocka_unit_test(test_docker_model_odd_fields),
        cmocka_unit_test(test_docker_model_update_and_placement),
        cmocka_unit_test(test_docker_model_malformed),
        cmocka_unit_test(test_docker_model_long_and_hostile_strings),
        cmocka_unit_test(test_docker_model_bounds),
        cmocka_unit_test(test_docker_model_helpers),
        cmocka_unit_test(test_docker_model_moving),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
