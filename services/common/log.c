/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: the logger every program of the stack shares. See log.h.
 *
 * A line looks like
 *     2026-11-27T11:03:46.123Z hello info: listening on 0.0.0.0:80
 * UTC with milliseconds, so lines from several replicas sort together.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

enum log_level log_min_level = LOG_LEVEL_INFO;

static const char *log_progname = "part5";

static const char *const log_level_names[] = {
    [LOG_LEVEL_DEBUG] = "debug",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_WARN] = "warn",
    [LOG_LEVEL_ERROR] = "error",
};

void log_init(const char *progname)
{
    const char *slash;

    if (progname != NULL) {
        slash = strrchr(progname, '/');
        log_progname = slash != NULL ? slash + 1 : progname;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IOLBF, 0);
}

void log_set_level(enum log_level level)
{
    log_min_level = level;
}

int log_parse_level(const char *name, enum log_level *out)
{
    size_t i;

    for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
        if (strcasecmp(name, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_escape(const char *msg, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t n = 0;
    char esc[9];
    size_t k;

    for (; *p != '\0'; p++) {
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* A C1 control in UTF-8 (U+009B is CSI): both bytes. */
            k = (size_t)snprintf(esc, sizeof(esc), "\\xc2\\x%02x", *++p);
        } else if (*p >= 0x20 && *p != 0x7f) {
            if (n + 1 >= size)
                break;
            out[n++] = (char)*p;
            continue;
        } else if (*p == '\n') {
            k = (size_t)snprintf(esc, sizeof(esc), "\\n");
        } else if (*p == '\r') {
            k = (size_t)snprintf(esc, sizeof(esc), "\\r");
        } else if (*p == '\t') {
            k = (size_t)snprintf(esc, sizeof(esc), "\\t");
        } else {
            k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
        }
        if (n + k >= size)
            break;
        memcpy(out + n, esc, k);
        n += k;
    }
    out[n] = '\0';
}

void log_emitv(enum log_level level,
               int with_errno,
               const char *fmt,
               va_list ap)
{
    int saved_errno = errno;
    char msg[1024], line[1024], stamp[32];
    struct timeval tv;
    struct tm tm;
    FILE *out = level >= LOG_LEVEL_WARN ? stderr : stdout;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_escape(msg, line, sizeof(line));

    /*
     * One fprintf per line: with line buffering this is one write(2), so
     * lines from several threads never interleave mid-line.
     */
    if (with_errno)
        fprintf(out, "%s.%03dZ %s %s: %s: %s\n", stamp,
                (int)(tv.tv_usec / 1000), log_progname, log_level_names[level],
                line, strerror(saved_errno));
    else
        fprintf(out, "%s.%03dZ %s %s: %s\n", stamp, (int)(tv.tv_usec / 1000),
                log_progname, log_level_names[level], line);
    errno = saved_errno;
}

void log_emit(enum log_level level, int with_errno, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emitv(level, with_errno, fmt, ap);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emitv(LOG_LEVEL_ERROR, 1, fmt, ap);
    va_end(ap);
    exit(1);
}

void fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emitv(LOG_LEVEL_ERROR, 0, fmt, ap);
    va_end(ap);
    exit(1);
}
