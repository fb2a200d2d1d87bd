/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_route.c: libFuzzer target for the HTTP routing of both servers:
 * http_route_match() and http_method_bit() (services/common/http.c),
 * hello_route() (web/hello.c), and the visualizer's CTX_ROOT
 * handling, viz_root_normalise() and viz_route()
 * (visualizer/visualizer.c).
 *
 * Input: up to three fields separated by '\n': a method, a request path
 * (as libmicrohttpd hands it over: decoded, without the query) and a
 * CTX_ROOT. Beyond memory safety, each answer must be one the contract
 * allows (docs/visualizer-api.md "Routes"):
 * - a route is found only for its exact path and for GET or HEAD;
 * - a normalised CTX_ROOT starts and ends with '/', has no empty, "."
 *   or ".." segment and only URL path characters, fits VIZ_ROOT_SIZE,
 *   and normalising it again changes nothing; a refused one says why,
 *   naming CTX_ROOT;
 * - viz_route() answers 200 only below the root, 301 only for the root
 *   without its slash, and nothing but 200, 301, 404 or 405.
 */
#include <stddef.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "http.h"
#include "visualizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The paths each server routes, below its root. */
static const char *const fuzz_hello_paths[] = {"/", "/api", "/healthz",
                                               "/metrics"};
static const char *const fuzz_viz_paths[] = {
    [VIZ_ROUTE_PAGE] = "",
    [VIZ_ROUTE_APP_JS] = "app.js",
    [VIZ_ROUTE_STYLE_CSS] = "style.css",
    [VIZ_ROUTE_FAVICON] = "favicon.svg",
    [VIZ_ROUTE_STATE] = "api/state",
    [VIZ_ROUTE_TRAFFIC] = "api/traffic",
    [VIZ_ROUTE_EVENTS] = "api/events",
    [VIZ_ROUTE_HEALTHZ] = "healthz",
};

/* Splits off the field up to '\n' (or the end) as a new C string. */
static char *fuzz_field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);

    if (s == NULL)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl != NULL ? nl + 1 : end;
    return s;
}

/* 1 when the method is one our servers accept. */
static int fuzz_get_or_head(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static void fuzz_hello(const char *method, const char *path)
{
    enum hello_route route = HELLO_ROUTE_PAGE;
    unsigned status = hello_route(method, path, &route);
    size_t i;
    int known = 0;

    for (i = 0; i < sizeof(fuzz_hello_paths) / sizeof(*fuzz_hello_paths); i++)
        known |= strcmp(path, fuzz_hello_paths[i]) == 0;
    if (status == 200) {
        if (!known || !fuzz_get_or_head(method) ||
            strcmp(path, fuzz_hello_paths[route]) != 0)
            abort();
    } else if (status == 405) {
        if (!known || fuzz_get_or_head(method))
            abort();
    } else if (status != 404 || known) {
        abort();
    }
    if (http_method_bit(method) != HTTP_OTHER && !fuzz_get_or_head(method))
        abort();
}

/* Checks a normalised root; returns 1 when it is well formed. */
static int fuzz_root_ok(const char *root)
{
    size_t n = strlen(root), i;

    if (n == 0 || root[0] != '/' || root[n - 1] != '/' || n > VIZ_ROOT_MAX + 2)
        return 0;
    if (strstr(root, "//") != NULL || strstr(root, "/./") != NULL ||
        strstr(root, "/../") != NULL)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)root[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c)))
            return 0;
    }
    return 1;
}

static void fuzz_viz(const char *method, const char *path, const char *in)
{
    char root[VIZ_ROOT_SIZE], again[VIZ_ROOT_SIZE], err[256];
    enum viz_route route = VIZ_ROUTE_PAGE;
    size_t rootlen, i;
    unsigned status;
    int known = 0;

    err[0] = '\0';
    if (viz_root_normalise(in, root, sizeof(root), err, sizeof(err)) != 0) {
        if (strstr(err, "CTX_ROOT") == NULL)
            abort();
        strcpy(root, "/");
    } else {
        if (!fuzz_root_ok(root))
            abort();
        /* Normalising again changes nothing (when it is short enough to
         * be a CTX_ROOT itself: the two slashes may make it longer). */
        if (strlen(root) <= VIZ_ROOT_MAX &&
            (viz_root_normalise(root, again, sizeof(again), err, sizeof(err)) !=
                 0 ||
             strcmp(root, again) != 0))
            abort();
    }
    rootlen = strlen(root);
    status = viz_route(root, method, path, &route);
    if (strncmp(path, root, rootlen) == 0)
        for (i = 0; i < sizeof(fuzz_viz_paths) / sizeof(*fuzz_viz_paths); i++)
            known |= strcmp(path + rootlen, fuzz_viz_paths[i]) == 0;
    switch (status) {
    case 200:
        if (!known || !fuzz_get_or_head(method) ||
            strcmp(path + rootlen, fuzz_viz_paths[route]) != 0)
            abort();
        break;
    case 301:
        if (rootlen < 2 || strlen(path) != rootlen - 1 ||
            strncmp(path, root, rootlen - 1) != 0)
            abort();
        break;
    case 404:
        if (known)
            abort();
        break;
    case 405:
        if (fuzz_get_or_head(method) ||
            !(known || (rootlen > 1 && strlen(path) == rootlen - 1 &&
                        strncmp(path, root, rootlen - 1) == 0)))
            abort();
        break;
    default: abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *method, *path, *root;

    method = fuzz_field(&p, end);
    path = fuzz_field(&p, end);
    root = fuzz_field(&p, end);
    fuzz_hello(method, path);
    fuzz_viz(method, path, root);
    free(method);
    free(path);
    free(root);
    return 0;
}
