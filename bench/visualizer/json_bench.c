/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_bench.c: the JSON candidates for GET /tasks, one per process so
 * that each peak RSS is its own.
 *
 *   json_bench jscan   FILE   streaming whitelist scan (the visualizer's)
 *   json_bench jansson FILE   jansson DOM (json_loadf), then the same fields
 *   json_bench tree    FILE   yajl_tree DOM (needs the whole text), same
 *
 * Prints: mode, CPU ms for parse + extraction, peak RSS KiB, tasks kept.
 * The file is read in 64 KiB pieces for jscan (as the network delivers
 * it); the DOM parsers get what they need (a stream for jansson, the
 * whole text for yajl_tree).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "docker_model.h"

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Peak RSS of this process (VmHWM). getrusage()'s ru_maxrss would do, but
 * Linux keeps it across execve(), so a child of a big parent starts high.
 */
static long peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0)
            v = atol(line + 6);
    if (f != NULL)
        fclose(f);
    return v;
}

/* The fields the model keeps, copied out of a DOM (strdup each). */
struct flat_task {
    char *id, *service, *node, *image, *state, *desired, *since, *err;
    long long slot;
};

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static size_t run_jansson(FILE *f)
{
    json_error_t e;
    json_t *root = json_loadf(f, 0, &e), *t;
    struct flat_task *out;
    size_t i, n;

    if (root == NULL || !json_is_array(root)) {
        fprintf(stderr, "jansson: %s\n", e.text);
        exit(1);
    }
    n = json_array_size(root);
    out = calloc(n, sizeof(*out));
    json_array_foreach(root, i, t)
    {
        json_t *st = json_object_get(t, "Status");
        json_t *cs =
            json_object_get(json_object_get(t, "Spec"), "ContainerSpec");

        out[i].id = dup_or_null(json_string_value(json_object_get(t, "ID")));
        out[i].service =
            dup_or_null(json_string_value(json_object_get(t, "ServiceID")));
        out[i].node =
            dup_or_null(json_string_value(json_object_get(t, "NodeID")));
        out[i].image =
            dup_or_null(json_string_value(json_object_get(cs, "Image")));
        out[i].state =
            dup_or_null(json_string_value(json_object_get(st, "State")));
        out[i].since =
            dup_or_null(json_string_value(json_object_get(st, "Timestamp")));
        out[i].err = dup_or_null(json_string_value(json_object_get(st, "Err")));
        out[i].desired =
            dup_or_null(json_string_value(json_object_get(t, "DesiredState")));
        out[i].slot = json_integer_value(json_object_get(t, "Slot"));
    }
    json_decref(root);
    return n;
}

static size_t run_tree(FILE *f)
{
    static const char *id[] = {"ID", NULL}, *svc[] = {"ServiceID", NULL},
                      *state[] = {"Status", "State", NULL},
                      *img[] = {"Spec", "ContainerSpec", "Image", NULL};
    char err[256], *text;
    long size;
    yajl_val root;
    size_t i, n;
    struct flat_task *out;

    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size)
        exit(1);
    text[size] = '\0';
    root = yajl_tree_parse(text, err, sizeof(err));
    if (root == NULL || !YAJL_IS_ARRAY(root)) {
        fprintf(stderr, "yajl_tree: %s\n", err);
        exit(1);
    }
    n = root->u.array.len;
    out = calloc(n, sizeof(*out));
    for (i = 0; i < n; i++) {
        yajl_val t = root->u.array.values[i];

        out[i].id =
            dup_or_null(YAJL_GET_STRING(yajl_tree_get(t, id, yajl_t_string)));
        out[i].service =
            dup_or_null(YAJL_GET_STRING(yajl_tree_get(t, svc, yajl_t_string)));
        out[i].state = dup_or_null(
            YAJL_GET_STRING(yajl_tree_get(t, state, yajl_t_string)));
        out[i].image =
            dup_or_null(YAJL_GET_STRING(yajl_tree_get(t, img, yajl_t_string)));
    }
    yajl_tree_free(root);
    free(text);
    return n;
}

static size_t run_jscan(FILE *f)
{
    struct docker_list l;
    struct docker_parse *p;
    char buf[65536];
    size_t got;

    docker_list_init(&l, sizeof(struct docker_task));
    p = docker_parse_new(DOCKER_KIND_TASKS, &l);
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
        if (docker_parse_feed(p, buf, got) != 0)
            break;
    if (docker_parse_finish(p) != 0) {
        fprintf(stderr, "jscan: %s\n", docker_parse_error(p));
        exit(1);
    }
    docker_parse_free(p);
    return l.n;
}

int main(int argc, char **argv)
{
    FILE *f;
    double t0;
    long base;
    size_t n;

    if (argc != 3) {
        fprintf(stderr, "usage: json_bench jscan|jansson|tree FILE\n");
        return 2;
    }
    f = fopen(argv[2], "rb");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }
    base = peak_kib();
    t0 = cpu_ms();
    if (strcmp(argv[1], "jansson") == 0)
        n = run_jansson(f);
    else if (strcmp(argv[1], "tree") == 0)
        n = run_tree(f);
    else
        n = run_jscan(f);
    printf("%s %.2f %ld %ld %zu\n", argv[1], cpu_ms() - t0, peak_kib(),
           peak_kib() - base, n);
    fclose(f);
    return 0;
}
