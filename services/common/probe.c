/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe.c: the --healthcheck client. A Dockerfile HEALTHCHECK runs
 * "hello --healthcheck" in an image with no shell and no curl; this asks
 * the running server for its health page over loopback, every step
 * bounded by one deadline.
 *
 * Every failure returns -1 with a message in the caller's err, which the
 * caller prints: no path leaves it unset.
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
 * The longest request: a HOST of 253 bytes and a path of a 200-byte
 * CTX_ROOT plus "healthz" take about 560 bytes; anything longer is
 * refused before connecting.
 */
#define PROBE_REQUEST_MAX 1024

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

/*
 * Writes the request into req (PROBE_REQUEST_MAX bytes); an IPv6 address
 * goes in brackets in the Host header. Returns its length, or -1 with a
 * message in err when it does not fit.
 */
static int probe_request(char *req,
                         const char *host,
                         int port,
                         const char *path,
                         char *err,
                         size_t errlen)
{
    int v6 = strchr(host, ':') != NULL && host[0] != '[';
    int len;

    len = snprintf(req, PROBE_REQUEST_MAX,
                   "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n"
                   "User-Agent: healthcheck\r\n"
                   "Connection: close\r\n\r\n",
                   path, v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (len < 0 || len >= PROBE_REQUEST_MAX) {
        snprintf(err, errlen,
                 "request too long (host %zu bytes, path %zu bytes; at most "
                 "%d in all)",
                 strlen(host), strlen(path), PROBE_REQUEST_MAX - 1);
        return -1;
    }
    return len;
}

/*
 * Opens a non-blocking connection to res and waits until it is
 * established. Returns the descriptor, or -1 with a message in err.
 */
static int probe_connect(const struct addrinfo *res,
                         const char *host,
                         int port,
                         uint64_t deadline,
                         char *err,
                         size_t errlen)
{
    socklen_t slen;
    int fd, soerr = 0;

    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, res->ai_addr, res->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        soerr = errno;
    } else if (probe_wait(fd, POLLOUT, deadline) != 0) {
        soerr = errno;
    } else {
        slen = sizeof(soerr);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0)
            soerr = errno;
    }
    if (soerr == 0)
        return fd;
    snprintf(err, errlen, "connecting to %s:%d: %s", host, port,
             strerror(soerr));
    close(fd);
    return -1;
}

/* Sends len bytes of req. Returns 0, or -1 with a message in err. */
static int probe_send(int fd,
                      const char *req,
                      size_t len,
                      uint64_t deadline,
                      char *err,
                      size_t errlen)
{
    size_t sent = 0;
    ssize_t n;

    while (sent < len) {
        if (probe_wait(fd, POLLOUT, deadline) != 0)
            goto fail;
        n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            goto fail;
        if (n > 0)
            sent += (size_t)n;
    }
    return 0;
fail:
    snprintf(err, errlen, "sending: %s", strerror(errno));
    return -1;
}

/*
 * Reads the status line into resp (size bytes, NUL-terminated): up to
 * its end of line, the end of the stream, or size - 1 bytes. Returns 0,
 * or -1 with a message in err.
 */
static int probe_read_status_line(int fd,
                                  char *resp,
                                  size_t size,
                                  uint64_t deadline,
                                  char *err,
                                  size_t errlen)
{
    size_t got = 0;
    ssize_t n;

    resp[0] = '\0';
    while (got < size - 1 && memchr(resp, '\n', got) == NULL) {
        if (probe_wait(fd, POLLIN, deadline) != 0) {
            snprintf(err, errlen, "waiting for the answer: %s",
                     strerror(errno));
            return -1;
        }
        n = recv(fd, resp + got, size - 1 - got, 0);
        if (n == 0)
            break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "reading the answer: %s", strerror(errno));
            return -1;
        }
        if (n > 0)
            got += (size_t)n;
        resp[got] = '\0';
    }
    return 0;
}

/*
 * The status code of a status line "HTTP/1.x NNN reason" (RFC 9112
 * section 4: exactly three digits, then a space or the end of the line),
 * or -1 when line is not one or the code is outside 100-599.
 */
static int probe_parse_status(const char *line)
{
    const char *d = line + 9;
    int status;

    if (strncmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
        line[8] != ' ')
        return -1;
    if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' ||
        d[2] > '9' || (d[3] != ' ' && d[3] != '\r' && d[3] != '\n'))
        return -1;
    status = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    return status >= 100 && status <= 599 ? status : -1;
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
    char portstr[16], req[PROBE_REQUEST_MAX], resp[256], why[160];
    int fd = -1, rc, status = -1, reqlen;

    if (errlen > 0)
        err[0] = '\0';
    reqlen = probe_request(req, host, port, path, err, errlen);
    if (reqlen < 0)
        return -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    fd = probe_connect(res, host, port, deadline, err, errlen);
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    if (probe_send(fd, req, (size_t)reqlen, deadline, why, sizeof(why)) != 0 ||
        probe_read_status_line(fd, resp, sizeof(resp), deadline, why,
                               sizeof(why)) != 0) {
        snprintf(err, errlen, "%s:%d: %s", host, port, why);
        goto done;
    }
    status = probe_parse_status(resp);
    if (status < 0)
        snprintf(err, errlen, "%s:%d did not answer HTTP", host, port);
done:
    close(fd);
    return status;
}
