/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_host.c: the fixed request paths and DOCKER_HOST, shared by the
 * engine client (docker_client.c) and its benchmark peers. See
 * docker_client.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_client.h"

static const char *const docker_paths[DOCKER_GET_COUNT] = {
    [DOCKER_GET_PING] = "/_ping",
    [DOCKER_GET_VERSION] = "/version",
    [DOCKER_GET_INFO] = "/info",
    [DOCKER_GET_NODES] = "/nodes",
    [DOCKER_GET_SERVICES] = "/services",
    [DOCKER_GET_TASKS] = "/tasks",
    [DOCKER_GET_CONTAINERS] = "/containers/json?all=1",
    /* filters={"type":["service","node","container"]} */
    [DOCKER_GET_EVENTS] = ("/events?filters=%7B%22type%22%3A%5B%22service%22"
                           "%2C%22node%22%2C%22container%22%5D%7D"),
};

const char *docker_get_path(enum docker_get what)
{
    if ((unsigned)what >= DOCKER_GET_COUNT)
        return "?";
    return docker_paths[what];
}

int docker_endpoint_parse(const char *docker_host,
                          struct docker_endpoint *ep,
                          char *err,
                          size_t errlen)
{
    const char *rest, *colon;
    size_t hostlen, i;
    char *end;
    long port = 2375;

    memset(ep, 0, sizeof(*ep));
    if (strncmp(docker_host, "unix://", 7) == 0) {
        rest = docker_host + 7;
        if (rest[0] != '/' || strlen(rest) >= sizeof(ep->path)) {
            snprintf(err, errlen,
                     "invalid DOCKER_HOST=\"%.60s\": expected "
                     "unix:///absolute/path (at most %zu bytes)",
                     docker_host, sizeof(ep->path) - 1);
            return -1;
        }
        ep->is_unix = 1;
        snprintf(ep->path, sizeof(ep->path), "%s", rest);
        snprintf(ep->base, sizeof(ep->base), "http://docker");
        return 0;
    }
    if (strncmp(docker_host, "tcp://", 6) != 0) {
        snprintf(err, errlen,
                 "invalid DOCKER_HOST=\"%.60s\": expected unix:///path or "
                 "tcp://host:port (TLS, ssh:// and npipe:// are not "
                 "supported; put a socket proxy in between)",
                 docker_host);
        return -1;
    }
    rest = docker_host + 6;
    hostlen = strcspn(rest, "/");
    if (rest[hostlen] == '/' && rest[hostlen + 1] != '\0') {
        snprintf(err, errlen,
                 "invalid DOCKER_HOST=\"%.60s\": no path allowed after "
                 "host:port",
                 docker_host);
        return -1;
    }
    colon = memrchr(rest, ':', hostlen);
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', hostlen);

        colon = close != NULL && close + 1 < rest + hostlen && close[1] == ':'
                    ? close + 1
                    : NULL;
        if (close == NULL)
            hostlen = 0;
    }
    if (colon != NULL) {
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (end != rest + hostlen || errno != 0 || port < 1 || port > 65535) {
            snprintf(err, errlen,
                     "invalid DOCKER_HOST=\"%.60s\": bad port number",
                     docker_host);
            return -1;
        }
        hostlen = (size_t)(colon - rest);
    }
    for (i = 0; i < hostlen; i++) {
        unsigned char ch = (unsigned char)rest[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
              ch == ':' || ch == '[' || ch == ']'))
            hostlen = 0;
    }
    if (hostlen == 0 || hostlen > 253) {
        snprintf(err, errlen,
                 "invalid DOCKER_HOST=\"%.60s\": expected tcp://host:port",
                 docker_host);
        return -1;
    }
    snprintf(ep->base, sizeof(ep->base), "http://%.*s:%ld", (int)hostlen, rest,
             port);
    /* The address itself, without the brackets of an IPv6 literal. */
    if (rest[0] == '[')
        snprintf(ep->host, sizeof(ep->host), "%.*s", (int)hostlen - 2,
                 rest + 1);
    else
        snprintf(ep->host, sizeof(ep->host), "%.*s", (int)hostlen, rest);
    ep->port = (int)port;
    return 0;
}
