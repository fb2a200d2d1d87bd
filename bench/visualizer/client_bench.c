/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client_bench.c: the engine client candidates, each fetching GET /tasks
 * N times from a unix socket through the docker_client.h API on a libuv
 * loop and feeding the visualizer's streaming parser.
 *
 *   client_bench SOCKET N
 *
 * Built three times by run.sh: with visualizer/docker_client.c
 * (ours), and with docker_client_curl.c linked against libcurl-gnutls or
 * libcurl-openssl (-DCLIENT_CURL). Prints: wall ms per fetch, CPU ms per
 * fetch, RSS KiB after initialisation, peak RSS KiB, tasks parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CLIENT_CURL
#include <curl/curl.h>
#endif

#include "docker_client.h"
#include "docker_model.h"
#include "util.h"

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kib(int peak)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, peak ? "VmHWM:" : "VmRSS:", 6) == 0)
            v = atol(line + 6);
    if (f != NULL)
        fclose(f);
    return v;
}

struct fetch {
    struct docker_list list;
    struct docker_parse *parse;
    int done, failed;
};

static int on_data(void *arg, const char *data, size_t len)
{
    struct fetch *f = arg;

    return docker_parse_feed(f->parse, data, len);
}

static void on_done(void *arg, const struct docker_result *res)
{
    struct fetch *f = arg;

    f->done = 1;
    if (res->error != NULL || docker_parse_finish(f->parse) != 0) {
        fprintf(stderr, "fetch: %s\n",
                res->error ? res->error : docker_parse_error(f->parse));
        f->failed = 1;
    }
}

/* One fetch through the docker_client.h API. */
static size_t fetch_one(struct docker_client *c, uv_loop_t *loop)
{
    static const struct docker_req_ops ops = {on_data, on_done};
    struct fetch f;
    size_t n;

    memset(&f, 0, sizeof(f));
    docker_list_init(&f.list, sizeof(struct docker_task));
    f.parse = docker_parse_new(DOCKER_KIND_TASKS, &f.list);
    docker_client_get(c, DOCKER_GET_TASKS, 10000, &ops, &f);
    while (!f.done)
        uv_run(loop, UV_RUN_ONCE);
    if (f.failed)
        exit(1);
    n = f.list.n;
    docker_parse_free(f.parse);
    docker_list_free(&f.list);
    return n;
}

int main(int argc, char **argv)
{
    struct docker_endpoint ep;
    struct docker_client *c;
    uv_loop_t *loop = uv_default_loop();
    char err[256], host[200];
    double t0, w0;
    long init_rss;
    size_t n = 0;
    int i, count;
    struct timespec ts;

    if (argc != 3) {
        fprintf(stderr, "usage: client_bench SOCKET N\n");
        return 2;
    }
    count = atoi(argv[2]);
#ifdef CLIENT_CURL
    curl_global_init(CURL_GLOBAL_DEFAULT);
#endif
    snprintf(host, sizeof(host), "unix://%s", argv[1]);
    if (docker_endpoint_parse(host, &ep, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    c = docker_client_new(loop, &ep, err, sizeof(err));
    init_rss = rss_kib(0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    w0 = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    t0 = cpu_ms();
    for (i = 0; i < count; i++)
        n = fetch_one(c, loop);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("%.2f %.2f %ld %ld %zu\n",
           ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - w0) / count,
           (cpu_ms() - t0) / count, init_rss, rss_kib(1), n);
    docker_client_free(c);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
