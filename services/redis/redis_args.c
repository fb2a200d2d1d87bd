/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis_args.c: the entrypoint's command line. See redis_args.h.
 */
#include "redis_args.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/*
 * Words of a config line looked at: the name and up to 16 values (Redis
 * binds at most 16 addresses); the rest of a longer line is ignored.
 */
#define REDIS_ARGS_MAX_WORDS 17

/* Whether s ends in suffix. */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Replaces *slot with a copy of value (or NULL). */
static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value != NULL ? xstrdup(value) : NULL;
}

/*
 * Records one setting (name without dashes, case-insensitive, as Redis
 * reads it) in s: value is its first value, all every value separated by
 * spaces (bind takes several). Other settings are ignored.
 */
static void settings_apply(struct redis_args_settings *s,
                           const char *name,
                           const char *value,
                           const char *all)
{
    if (strcasecmp(name, "dir") == 0)
        set_str(&s->dir, value);
    else if (strcasecmp(name, "dbfilename") == 0)
        set_str(&s->dbfilename, value);
    else if (strcasecmp(name, "appendfilename") == 0)
        set_str(&s->appendfilename, value);
    else if (strcasecmp(name, "appenddirname") == 0)
        set_str(&s->appenddirname, value);
    else if (strcasecmp(name, "appendonly") == 0)
        set_str(&s->appendonly, value);
    else if (strcasecmp(name, "port") == 0)
        set_str(&s->port, value);
    else if (strcasecmp(name, "bind") == 0)
        set_str(&s->bind, all);
    else if (strcasecmp(name, "requirepass") == 0) {
        set_str(&s->requirepass, value);
        s->has_requirepass = value != NULL && value[0] != '\0';
    } else if (strcasecmp(name, "protected-mode") == 0)
        s->has_protected_mode = 1;
    else if (strcasecmp(name, "include") == 0)
        s->has_include = 1;
}

/*
 * Frees the strings of one set of settings and clears it.
 */
static void settings_free(struct redis_args_settings *s)
{
    free(s->dir);
    free(s->dbfilename);
    free(s->appendfilename);
    free(s->appenddirname);
    free(s->appendonly);
    free(s->port);
    free(s->bind);
    if (s->requirepass != NULL)
        explicit_bzero(s->requirepass, strlen(s->requirepass));
    free(s->requirepass);
    memset(s, 0, sizeof(*s));
}

void redis_args_append(struct redis_args *a, const char *value)
{
    a->argv = xrealloc(a->argv, (a->argc + 2) * sizeof(*a->argv));
    a->argv[a->argc++] = xstrdup(value);
    a->argv[a->argc] = NULL;
}

void redis_args_set_arg(struct redis_args *a, size_t i, const char *value)
{
    if (i < a->argc)
        set_str(&a->argv[i], value);
}

/*
 * Reads redis-server's arguments as Redis 7 does: an optional config file
 * first (any argument not starting with '-'), "-" for a config on stdin
 * (first or last), then options "--name value..." whose values run until
 * the next "--".
 */
static void parse_redis_options(struct redis_args *a)
{
    struct buf all = BUF_INIT;
    size_t i = 1, j;
    const char *arg;

    if (a->argc > 1 && a->argv[1][0] != '-') {
        a->config_index = 1;
        i = 2;
    }
    for (; i < a->argc; i++) {
        arg = a->argv[i];
        if (strcmp(arg, "-") == 0 && (i == 1 || i == a->argc - 1)) {
            a->stdin_config = 1;
        } else if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0') {
            /* Its values: up to the next option or a final "-". */
            buf_reset(&all);
            buf_reserve(&all, 0);
            for (j = i + 1; j < a->argc && strncmp(a->argv[j], "--", 2) != 0 &&
                            !(j == a->argc - 1 && strcmp(a->argv[j], "-") == 0);
                 j++)
                buf_printf(&all, "%s%s", j > i + 1 ? " " : "", a->argv[j]);
            settings_apply(&a->args, arg + 2, j > i + 1 ? a->argv[i + 1] : "",
                           all.data);
        }
    }
    buf_free(&all);
}

int redis_args_parse(struct redis_args *a,
                     int argc,
                     const char *const *argv,
                     char *err,
                     size_t errlen)
{
    int i;

    memset(a, 0, sizeof(*a));
    if (argc < 1 || argv[0] == NULL || argv[0][0] == '\0') {
        snprintf(err, errlen,
                 "no command given: run e.g. `redis-bootstrap redis-server "
                 "--appendonly yes`");
        return -1;
    }
    a->argv = xcalloc(1, sizeof(*a->argv));
    if (argv[0][0] == '-' || ends_with(argv[0], ".conf")) {
        redis_args_append(a, "redis-server");
        a->prepended = 1;
    }
    for (i = 0; i < argc; i++)
        redis_args_append(a, argv[i]);
    a->is_redis = strcmp(base_name(a->argv[0]), "redis-server") == 0;
    if (a->is_redis)
        parse_redis_options(a);
    return 0;
}

void redis_args_free(struct redis_args *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->argc; i++)
        free(a->argv[i]);
    free(a->argv);
    settings_free(&a->args);
    settings_free(&a->file);
    memset(a, 0, sizeof(*a));
}

/* The value of a hexadecimal digit. */
static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return tolower(c) - 'a' + 10;
}

/*
 * Splits one line of a Redis config file into at most max words as Redis'
 * sdssplitargs does ("..." with \n \t \xHH escapes, '...' with \'). Words
 * go into out (caller frees each). Returns the number of words, or -1 on
 * an unbalanced quote (Redis itself would then refuse the file).
 */
static int
split_config_line(const char *p, const char *end, char **out, int max)
{
    struct buf w = BUF_INIT;
    int n = 0, quote;

    for (;;) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p >= end || n == max)
            break;
        buf_reset(&w);
        buf_reserve(&w, 0);
        quote = 0;
        if (*p == '"' || *p == '\'')
            quote = *p++;
        for (;;) {
            if (p >= end) {
                if (quote != 0)
                    goto err;
                break;
            }
            if (quote == 0 && isspace((unsigned char)*p))
                break;
            if (quote != 0 && *p == quote) {
                p++;
                break;
            }
            if (quote == '"' && *p == '\\' && p + 1 < end) {
                p++;
                if (*p == 'x' && p + 2 < end && isxdigit((unsigned char)p[1]) &&
                    isxdigit((unsigned char)p[2])) {
                    char c = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));

                    buf_append(&w, &c, 1);
                    p += 3;
                    continue;
                }
                switch (*p) {
                case 'n': buf_append(&w, "\n", 1); break;
                case 'r': buf_append(&w, "\r", 1); break;
                case 't': buf_append(&w, "\t", 1); break;
                default: buf_append(&w, p, 1); break;
                }
                p++;
                continue;
            }
            if (quote == '\'' && *p == '\\' && p + 1 < end && p[1] == '\'') {
                buf_append(&w, "'", 1);
                p += 2;
                continue;
            }
            buf_append(&w, p++, 1);
        }
        out[n++] = buf_steal(&w, NULL);
    }
    buf_free(&w);
    return n;
err:
    buf_free(&w);
    while (n > 0)
        free(out[--n]);
    return -1;
}

void redis_args_read_config(struct redis_args *a, const char *text, size_t len)
{
    const char *p = text, *end = text + len, *eol;
    char *words[REDIS_ARGS_MAX_WORDS];
    struct buf all = BUF_INIT;
    int n, i;

    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        while (p < eol && isspace((unsigned char)*p))
            p++;
        if (p < eol && *p != '#') {
            n = split_config_line(p, eol, words, REDIS_ARGS_MAX_WORDS);
            buf_reset(&all);
            buf_reserve(&all, 0);
            for (i = 1; i < n; i++)
                buf_printf(&all, "%s%s", i > 1 ? " " : "", words[i]);
            if (n >= 1)
                settings_apply(&a->file, words[0], n >= 2 ? words[1] : "",
                               all.data);
            while (n > 0)
                free(words[--n]);
        }
        p = eol + 1;
    }
    buf_free(&all);
}

const char *redis_args_dir(const struct redis_args *a)
{
    if (a->args.dir != NULL)
        return a->args.dir;
    if (a->file.dir != NULL)
        return a->file.dir;
    return REDIS_ARGS_DEFAULT_DIR;
}

int redis_args_dir_is_default(const struct redis_args *a)
{
    return a->args.dir == NULL && a->file.dir == NULL;
}

const char *redis_args_dbfilename(const struct redis_args *a)
{
    if (a->args.dbfilename != NULL)
        return a->args.dbfilename;
    return a->file.dbfilename != NULL ? a->file.dbfilename : "dump.rdb";
}

const char *redis_args_appendfilename(const struct redis_args *a)
{
    if (a->args.appendfilename != NULL)
        return a->args.appendfilename;
    return a->file.appendfilename != NULL ? a->file.appendfilename
                                          : "appendonly.aof";
}

const char *redis_args_appenddirname(const struct redis_args *a)
{
    if (a->args.appenddirname != NULL)
        return a->args.appenddirname;
    return a->file.appenddirname != NULL ? a->file.appenddirname
                                         : "appendonlydir";
}

int redis_args_appendonly(const struct redis_args *a)
{
    const char *v =
        a->args.appendonly != NULL ? a->args.appendonly : a->file.appendonly;

    return v != NULL && strcasecmp(v, "yes") == 0;
}

int redis_args_has_requirepass(const struct redis_args *a)
{
    return a->args.has_requirepass || a->file.has_requirepass;
}

int redis_args_has_protected_mode(const struct redis_args *a)
{
    return a->args.has_protected_mode || a->file.has_protected_mode;
}

const char *redis_args_port(const struct redis_args *a)
{
    if (a->args.port != NULL)
        return a->args.port;
    return a->file.port != NULL ? a->file.port : "6379";
}

const char *redis_args_bind(const struct redis_args *a)
{
    return a->args.bind != NULL ? a->args.bind : a->file.bind;
}

const char *redis_args_requirepass(const struct redis_args *a)
{
    const char *v =
        a->args.requirepass != NULL ? a->args.requirepass : a->file.requirepass;

    return v != NULL && v[0] != '\0' ? v : NULL;
}

void redis_args_config_requirepass(struct buf *b, const char *password)
{
    const unsigned char *p;

    buf_append_str(b, "requirepass \"");
    for (p = (const unsigned char *)password; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            buf_printf(b, "\\x%02x", *p);
        else
            buf_append(b, p, 1);
    }
    buf_append_str(b, "\"\n");
}
