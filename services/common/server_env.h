/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server_env.h: the settings both HTTP servers (hello and the visualizer)
 * read from the environment, declared once: PORT, HOST, MAX_CONNECTIONS,
 * IDLE_TIMEOUT and LOG_LEVEL, with the same bounds, help and defaults.
 *
 * A program's config struct has the fields these name:
 *
 *     int port, max_connections, idle_timeout_s, log_level;
 *     const char *host;                  (only with SERVER_ENV_HOST)
 *
 * Its defaults include SERVER_ENV_DEFAULTS, and its env table (env.h)
 * lists the shared variables among its own:
 *
 *     static struct my_config cfg = {.port = 80, SERVER_ENV_DEFAULTS};
 *     static const struct env_var env[] = {
 *         SERVER_ENV_PORT(cfg),
 *         {"NAME", ENV_STRING, ...},
 *         SERVER_ENV_LIMITS(cfg),
 *     };
 *
 * A field of another type than the one named is a compile-time warning
 * (an error with -Werror), not a silent write through the wrong type.
 */
#ifndef PART5_SERVER_ENV_H
#define PART5_SERVER_ENV_H

#include <stddef.h>

#include "env.h"
#include "http.h"
#include "log.h"

/* &field as the void * of an env_var, if field has the type named. */
#define SERVER_ENV_INT(field) ((void *)(1 ? &(field) : (int *)NULL))
#define SERVER_ENV_STR(field) ((void *)(1 ? &(field) : (const char **)NULL))

#define SERVER_ENV_DEFAULTS                                                    \
    .max_connections = HTTP_DEFAULT_CONN_LIMIT,                                \
    .idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT_S, .log_level = LOG_LEVEL_INFO

#define SERVER_ENV_PORT(cfg)                                                   \
    {                                                                          \
        "PORT", ENV_PORT, 0, 65535, SERVER_ENV_INT((cfg).port),                \
            "TCP port to listen on (0: any free port)"                         \
    }

#define SERVER_ENV_HOST(cfg)                                                   \
    {                                                                          \
        "HOST", ENV_HOST, 0, 253, SERVER_ENV_STR((cfg).host),                  \
            "address to bind (default: all addresses, IPv6 and IPv4)"          \
    }

#define SERVER_ENV_LIMITS(cfg)                                                 \
    {"MAX_CONNECTIONS",                                                        \
     ENV_INT,                                                                  \
     16,                                                                       \
     1000000,                                                                  \
     SERVER_ENV_INT((cfg).max_connections),                                    \
     "open HTTP connections at most"},                                         \
        {"IDLE_TIMEOUT",                                                       \
         ENV_INT,                                                              \
         1,                                                                    \
         3600,                                                                 \
         SERVER_ENV_INT((cfg).idle_timeout_s),                                 \
         "seconds before an idle HTTP connection is closed"},                  \
    {                                                                          \
        "LOG_LEVEL", ENV_LOGLEVEL, 0, 0, SERVER_ENV_INT((cfg).log_level),      \
            "debug, info, warn or error"                                       \
    }

#endif
