/* SPDX-License-Identifier: Apache-2.0 */
/*
 * env.c: the configuration table parser. See env.h.
 */
#include "env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* Returns 1 when s has no control characters (bytes < 0x20 and 0x7f). */
static int env_printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/*
 * Returns 1 when s looks like a host name or an IP address: letters,
 * digits, '-', '.', '_' and, for IPv6, ':' and '[' ']'.
 */
static int env_hostname(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
              c == ':' || c == '[' || c == ']'))
            return 0;
    }
    return 1;
}

int env_parse(const struct env_var *v,
              const char *value,
              char *err,
              size_t errlen)
{
    char *end;
    long n;
    enum log_level level;

    switch (v->type) {
    case ENV_INT:
    case ENV_PORT:
        errno = 0;
        n = strtol(value, &end, 10);
        if (value[0] == '\0' || *end != '\0' || errno != 0 || n < v->min ||
            n > v->max) {
            snprintf(err, errlen, "invalid %s=\"%.40s\": expected %s %ld-%ld",
                     v->name, value,
                     v->type == ENV_PORT ? "a port number" : "a whole number",
                     v->min, v->max);
            return -1;
        }
        *(int *)v->dest = (int)n;
        return 0;
    case ENV_STRING:
    case ENV_HOST:
    case ENV_PATH:
        if ((long)strlen(value) > v->max) {
            snprintf(err, errlen, "invalid %s: longer than %ld bytes", v->name,
                     v->max);
            return -1;
        }
        if (!env_printable(value)) {
            snprintf(err, errlen, "invalid %s: contains control characters",
                     v->name);
            return -1;
        }
        if (v->type == ENV_HOST && !env_hostname(value)) {
            snprintf(err, errlen,
                     "invalid %s=\"%.40s\": expected a host name or IP "
                     "address",
                     v->name, value);
            return -1;
        }
        if (v->type == ENV_PATH && value[0] != '/') {
            snprintf(err, errlen,
                     "invalid %s=\"%.40s\": expected an absolute path", v->name,
                     value);
            return -1;
        }
        *(const char **)v->dest = value;
        return 0;
    case ENV_LOGLEVEL:
        if (log_parse_level(value, &level) != 0) {
            snprintf(err, errlen,
                     "invalid %s=\"%.40s\": expected debug, info, warn or "
                     "error",
                     v->name, value);
            return -1;
        }
        *(enum log_level *)v->dest = level;
        log_set_level(level);
        return 0;
    }
    snprintf(err, errlen, "invalid %s: unknown type", v->name);
    return -1;
}

int env_load(const struct env_var *vars, size_t n, char *err, size_t errlen)
{
    size_t i;
    const char *value;

    for (i = 0; i < n; i++) {
        value = getenv(vars[i].name);
        if (value == NULL)
            continue;
        if (env_parse(&vars[i], value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

void env_usage(FILE *out, const struct env_var *vars, size_t n)
{
    size_t i;
    const char *s;

    for (i = 0; i < n; i++) {
        fprintf(out, "  %-22s %s", vars[i].name, vars[i].help);
        switch (vars[i].type) {
        case ENV_INT:
        case ENV_PORT:
            fprintf(out, " (default %d)", *(int *)vars[i].dest);
            break;
        case ENV_LOGLEVEL: fprintf(out, " (default info)"); break;
        default:
            s = *(const char **)vars[i].dest;
            if (s != NULL && s[0] != '\0')
                fprintf(out, " (default %s)", s);
            break;
        }
        fputc('\n', out);
    }
}

int env_read_secret(
    const char *path, char *buf, size_t size, char *err, size_t errlen)
{
    ssize_t got;
    size_t len;
    int rc = -1;

    /* The secret goes straight into buf: no other copy to wipe. */
    got = read_file_into(path, buf, size);
    if (got < 0) {
        if (errno == EFBIG)
            snprintf(err, errlen, "secret file %s is larger than %zu bytes",
                     path, size - 1);
        else
            snprintf(err, errlen, "cannot %s secret file %s: %s",
                     errno == EISDIR || errno == EIO ? "read" : "open", path,
                     strerror(errno));
        goto done;
    }
    len = (size_t)got;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    if (len == 0) {
        snprintf(err, errlen, "secret file %s is empty", path);
        goto done;
    }
    if (memchr(buf, '\0', len) != NULL || memchr(buf, '\n', len) != NULL ||
        memchr(buf, '\r', len) != NULL) {
        snprintf(err, errlen,
                 "secret file %s must hold one line (it has line breaks or "
                 "NUL bytes inside)",
                 path);
        goto done;
    }
    rc = 0;
done:
    if (rc != 0 && size > 0)
        explicit_bzero(buf, size);
    return rc;
}
