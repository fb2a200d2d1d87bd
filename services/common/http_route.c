/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_route.c: routing tables and reason phrases (see http.h): pure
 * functions, apart from the server itself in http.c.
 */
#include <string.h>

#include "http.h"

const char *http_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Unknown";
}

unsigned http_method_bit(const char *method)
{
    if (strcmp(method, "GET") == 0)
        return HTTP_GET;
    if (strcmp(method, "HEAD") == 0)
        return HTTP_HEAD;
    return HTTP_OTHER;
}

unsigned http_route_match(const struct http_route *routes,
                          size_t n,
                          const char *method,
                          const char *path,
                          int *id)
{
    size_t i;
    unsigned bit = http_method_bit(method);

    for (i = 0; i < n; i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        if ((routes[i].methods & bit) == 0)
            return 405;
        *id = routes[i].id;
        return 200;
    }
    return 404;
}
