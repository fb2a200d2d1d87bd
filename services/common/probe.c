/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe.c: the --healthcheck client. A Dockerfile HEALTHCHECK runs
 * "hello --healthcheck" in an image with no shell and no curl; this asks
 * the running server for its health page over loopback, every step
 * bounded by one deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "util.h"

/*
 * Waits until fd is ready for events or the deadline passes. Returns 0
 * when ready, -1 with errno set (ETIMEDOUT on the deadline).
 */
static int probe_wait(int fd, short events, uint64_t deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    uint64_t now;
    int rc;

    for (;;) {
        now = now_ms();
        if (now >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        rc = poll(&pfd, 1, (int)(deadline - now));
        if (rc > 0)
            return 0;
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
}

int http_probe(const char *host,
               int port,
               const char *path,
               int timeout_ms,
               char *err,
               size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    char portstr[16], req[512], resp[256];
    size_t sent = 0, got = 0, reqlen;
    ssize_t n;
    int fd = -1, rc, status = -1, soerr;
    socklen_t slen = sizeof(soerr);

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        goto done;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        goto done;
    }
    if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            snprintf(err, errlen, "connecting to %s:%d: %s", host, port,
                     strerror(errno));
            goto done;
        }
        if (probe_wait(fd, POLLOUT, deadline) != 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0 ||
            soerr != 0) {
            snprintf(err, errlen, "connecting to %s:%d: %s", host, port,
                     strerror(errno == ETIMEDOUT ? ETIMEDOUT : soerr));
            goto done;
        }
    }
    reqlen = (size_t)snprintf(req, sizeof(req),
                              "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                              "User-Agent: healthcheck\r\n"
                              "Connection: close\r\n\r\n",
                              path, host, port);
    while (sent < reqlen) {
        if (probe_wait(fd, POLLOUT, deadline) != 0) {
            snprintf(err, errlen, "sending to %s:%d: %s", host, port,
                     strerror(errno));
            goto done;
        }
        n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "sending to %s:%d: %s", host, port,
                     strerror(errno));
            goto done;
        }
        if (n > 0)
            sent += (size_t)n;
    }

    /* The status line is all we need: "HTTP/1.1 200 OK". */
    while (got < sizeof(resp) - 1 && memchr(resp, '\n', got) == NULL) {
        if (probe_wait(fd, POLLIN, deadline) != 0) {
            snprintf(err, errlen, "waiting for %s:%d: %s", host, port,
                     strerror(errno));
            goto done;
        }
        n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
        if (n == 0)
            break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "reading from %s:%d: %s", host, port,
                     strerror(errno));
            goto done;
        }
        if (n > 0)
            got += (size_t)n;
    }
    resp[got] = '\0';
    if (strncmp(resp, "HTTP/1.", 7) != 0 || got < 12 ||
        sscanf(resp + 9, "%3d", &status) != 1) {
        snprintf(err, errlen, "%s:%d did not answer HTTP", host, port);
        status = -1;
    }
done:
    if (fd >= 0)
        close(fd);
    if (res != NULL)
        freeaddrinfo(res);
    return status;
}
