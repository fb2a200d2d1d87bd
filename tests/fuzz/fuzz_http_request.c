/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http_request.c: libFuzzer target for a whole HTTP request, as the
 * servers receive it: the bytes go through libmicrohttpd into our server
 * (services/common/http.c, included here to reach its daemon) and a
 * handler that routes as both programs do: hello's routes, and the
 * visualizer's under CTX_ROOT /viz/ with basic authentication
 * (libmicrohttpd decodes the Authorization header, auth_check() decides).
 *
 * Each input is one client connection (a socketpair handed to
 * libmicrohttpd with MHD_add_connection()): the input is written, the
 * client half-closes, and everything the server answers is read until
 * it closes (or, for a request cut short, which libmicrohttpd keeps
 * until the idle timeout, until the test shuts the connection down). Pipelined
 * requests, methods, bodies, chunked uploads, escapes and headers all come from
 * the input. Beyond memory safety:
 * - every response starts with a status line "HTTP/1.x NNN ";
 * - every response of ours carries X-Content-Type-Options, and every one
 *   that is HTML carries the Content-Security-Policy;
 * - our handler answers only with the statuses it can send, and a
 *   protected route only with the right password;
 * - afterwards no connection and no request is left open (http.c's
 *   counters are back to zero).
 * libmicrohttpd's own answers to malformed requests (400, 413, 414, 431,
 * 505) are fixed texts without those headers: see SECURITY.md.
 */
#include <stddef.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "auth.h"
#include "hello.h"
#include "http.c"
#include "visualizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CSP "default-src 'none'"
#define FUZZ_OUT_MAX (1024 * 1024)
#define FUZZ_ROUNDS 2000

static uv_loop_t fuzz_loop;
static struct http_server *fuzz_srv;
static struct auth *fuzz_auth;

/* Routes as hello and the visualizer do; bodies mark who answered. */
static enum MHD_Result fuzz_handler(void *cls, struct http_req *req)
{
    enum hello_route hr = HELLO_ROUTE_PAGE;
    enum viz_route vr = VIZ_ROUTE_PAGE;
    char *user, *pass = NULL;
    unsigned status;
    int ok;

    (void)cls;
    if (strncmp(req->url, "/viz", 4) == 0) {
        status = viz_route("/viz/", req->method, req->url, &vr);
        if (status == 301)
            return http_send(req, 301, "text/plain; charset=utf-8",
                             "301 Moved Permanently\n", 22,
                             MHD_RESPMEM_PERSISTENT);
        if (status != 200)
            return http_send_error(req, status);
        if (vr != VIZ_ROUTE_HEALTHZ) {
            user = MHD_basic_auth_get_username_password(req->conn, &pass);
            ok = auth_check(fuzz_auth, user, pass);
            if (ok &&
                (user == NULL || pass == NULL || strcmp(user, "teacher") != 0 ||
                 strcmp(pass, "class room:42") != 0))
                abort(); /* let in with the wrong password */
            MHD_free(user);
            MHD_free(pass);
            if (!ok)
                return http_send_unauthorized(req, "visualizer");
        }
        return http_send(req, 200,
                         vr == VIZ_ROUTE_PAGE ? "text/html; charset=utf-8"
                                              : "text/plain",
                         "<p>viz</p>", 10, MHD_RESPMEM_PERSISTENT);
    }
    status = hello_route(req->method, req->url, &hr);
    if (status != 200)
        return http_send_error(req, status);
    return http_send(req, 200,
                     hr == HELLO_ROUTE_PAGE ? "text/html; charset=utf-8"
                                            : "application/json",
                     "<p>hello</p>", 12, MHD_RESPMEM_PERSISTENT);
}

static void fuzz_init(void)
{
    struct http_server_config cfg;
    char err[256];

    log_set_level(LOG_LEVEL_ERROR);
    uv_loop_init(&fuzz_loop);
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.csp = FUZZ_CSP;
    cfg.handler = fuzz_handler;
    fuzz_srv = http_server_new(&fuzz_loop, &cfg, err, sizeof(err));
    fuzz_auth =
        auth_parse("teacher:class room:42\n", 22, "creds", err, sizeof(err));
    if (fuzz_srv == NULL || fuzz_auth == NULL)
        abort();
}

/* Checks every response in what the server sent back. */
static void fuzz_check(char *out, size_t len)
{
    char *p = out, *next, *end, *head_end;
    long status;

    out[len] = '\0';
    if (len > 0 && strncmp(out, "HTTP/1.", 7) != 0)
        abort();
    while (p != NULL && *p != '\0') {
        if ((p[7] != '0' && p[7] != '1') || p[8] != ' ')
            abort();
        status = strtol(p + 9, &end, 10);
        if (end != p + 12 || *end != ' ' || status < 100 || status > 599)
            abort();
        /* Our bodies never hold "HTTP/1.": it starts the next one. */
        next = strstr(p + 12, "HTTP/1.");
        if (next != NULL)
            next[-1] = '\0';
        head_end = strstr(p, "\r\n\r\n");
        if (head_end != NULL)
            *head_end = '\0';
        if (strstr(p, "\r\nX-Content-Type-Options: nosniff") != NULL) {
            if (status != 200 && status != 301 && status != 401 &&
                status != 404 && status != 405)
                abort(); /* a status our handler never sends */
            if (strstr(p, "\r\nContent-Type: text/html") != NULL &&
                strstr(p, "\r\nContent-Security-Policy: " FUZZ_CSP) == NULL)
                abort();
        } else if (strstr(p, "\r\nContent-Type: text/html") != NULL) {
            abort(); /* HTML without our headers */
        }
        p = next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct sockaddr_in sin;
    char *out;
    size_t sent = 0, got = 0;
    ssize_t n;
    int sv[2], rounds, closed = 0, overflow = 0;
    static char scratch[65536];

    if (!ready) {
        fuzz_init();
        ready = 1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(40000);
    if (MHD_add_connection(fuzz_srv->daemon, sv[1], (struct sockaddr *)&sin,
                           sizeof(sin)) != MHD_YES)
        abort();
    out = malloc(FUZZ_OUT_MAX + 1);
    if (out == NULL)
        abort();
    for (rounds = 0; rounds < FUZZ_ROUNDS && !closed; rounds++) {
        if (sent < size) {
            n = write(sv[0], data + sent, size - sent);
            if (n > 0)
                sent += (size_t)n;
            if (sent == size)
                shutdown(sv[0], SHUT_WR);
        } else if (size == 0 && rounds == 0) {
            shutdown(sv[0], SHUT_WR);
        }
        http_run(fuzz_srv);
        uv_run(&fuzz_loop, UV_RUN_NOWAIT);
        for (;;) {
            n = read(sv[0], got < FUZZ_OUT_MAX ? out + got : scratch,
                     got < FUZZ_OUT_MAX ? FUZZ_OUT_MAX - got : sizeof(scratch));
            if (n > 0) {
                if (got < FUZZ_OUT_MAX)
                    got += (size_t)n;
                else
                    overflow = 1; /* too much to check: drained only */
                continue;
            }
            if (n == 0)
                closed = 1;
            break;
        }
    }
    /*
     * A request line cut short by the client's half-close is kept until
     * the idle timeout (libmicrohttpd waits for the rest): end it as the
     * visualizer ends a stream, by shutting the server's side down.
     */
    if (!closed)
        shutdown(sv[1], SHUT_RDWR);
    close(sv[0]);
    for (rounds = 0; rounds < FUZZ_ROUNDS && fuzz_srv->connections > 0;
         rounds++) {
        http_run(fuzz_srv);
        uv_run(&fuzz_loop, UV_RUN_NOWAIT);
    }
    if (fuzz_srv->connections != 0 || fuzz_srv->in_flight != 0)
        abort(); /* every connection and request was let go */
    if (!overflow)
        fuzz_check(out, got);
    free(out);
    return 0;
}
