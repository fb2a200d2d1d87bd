/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h: one line per event, to stdout (debug, info) or stderr (warn,
 * error), line-buffered so Docker sees each line as it happens.
 *
 * The pairs log_warn/log_warnx and log_error/log_errorx follow OpenBSD
 * httpd: the first of each appends ": strerror(errno)", the second does not.
 * The macros test the level before anything is formatted, so a disabled
 * debug line costs one comparison (redis serverLog).
 */
#ifndef PART5_LOG_H
#define PART5_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

/* The lowest level written; set by log_init() and log_set_level(). */
extern enum log_level log_min_level;

/*
 * Sets the program name shown on every line and makes stdout and stderr
 * line-buffered. Call once, first thing in main().
 */
void log_init(const char *progname);

/* Changes the lowest level written. */
void log_set_level(enum log_level level);

/*
 * Parses "debug", "info", "warn" or "error" (case-insensitive) into *out.
 * Returns 0, or -1 when the name is none of these.
 */
int log_parse_level(const char *name, enum log_level *out);

/*
 * Writes one line at the given level. When with_errno is set, the text of
 * the errno value saved on entry is appended. Use the macros below.
 */
void log_emit(enum log_level level, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_emitv(enum log_level level,
               int with_errno,
               const char *fmt,
               va_list ap) __attribute__((format(printf, 3, 0)));

#define LOG_AT(level, with_errno, ...)                                         \
    do {                                                                       \
        if ((level) >= log_min_level)                                          \
            log_emit((level), (with_errno), __VA_ARGS__);                      \
    } while (0)

#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_LEVEL_WARN, 1, __VA_ARGS__)
#define log_warnx(...) LOG_AT(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_LEVEL_ERROR, 1, __VA_ARGS__)
#define log_errorx(...) LOG_AT(LOG_LEVEL_ERROR, 0, __VA_ARGS__)

/*
 * Copies msg into out (size bytes, NUL-terminated, cut to fit) with every
 * control character written as \n, \r, \t or \xNN, a C1 control (UTF-8
 * C2 80 to C2 9F) as \xc2\xNN: a message stays one line whatever it
 * quotes (an engine's error message, a path from the command line, a key
 * of a stack file), so nothing printed can forge a line or send escape
 * sequences to a terminal. Every log line goes through it. out holds all of
 * msg escaped when size is 4 * strlen(msg) + 1.
 */
void log_escape(const char *msg, char *out, size_t size);

/*
 * Startup failures: log at error level and exit(1) (redis initServer).
 * fatal() appends strerror(errno), fatalx() does not.
 */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

#endif
