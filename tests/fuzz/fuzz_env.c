/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_env.c: libFuzzer target for the configuration parser, env_parse()
 * (services/common/env.c), with every type of value, and for
 * env_read_secret() on a file holding the input.
 *
 * Input: the first byte picks the type, the next two the bounds; the
 * rest is the value (up to a NUL). The contract of env.h:
 * - a value accepted as a number is a whole decimal number within the
 *   bounds, and the destination holds it;
 * - an accepted string is at most max bytes, has no control character,
 *   is a host name or address for ENV_HOST and an absolute path for
 *   ENV_PATH, and the destination borrows it;
 * - a refused value leaves the destination as it was, and the message
 *   names the variable.
 * A secret read from a file is 1..size-1 bytes without NUL, CR or LF,
 * and no error message ever shows a byte of it.
 */
#include <stddef.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "env.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SENTINEL_INT (-123456789)

static const char fuzz_sentinel_str[] = "unchanged";

/* Reference check of a number: decimal digits with an optional sign. */
static int fuzz_is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static void fuzz_parse(enum env_type type, long min, long max, const char *v)
{
    const char *str = fuzz_sentinel_str;
    int num = FUZZ_SENTINEL_INT;
    enum log_level level = LOG_LEVEL_INFO;
    struct env_var var = {"FUZZ_VAR", type, min, max, NULL, "fuzz"};
    char err[ENV_ERR_LEN];
    size_t i;
    int rc;

    if (type == ENV_INT || type == ENV_PORT)
        var.dest = &num;
    else if (type == ENV_LOGLEVEL)
        var.dest = &level;
    else
        var.dest = &str;
    err[0] = '\0';
    rc = env_parse(&var, v, err, sizeof(err));
    if (rc != 0) {
        if (rc != -1 || strstr(err, "FUZZ_VAR") == NULL)
            abort();
        if (num != FUZZ_SENTINEL_INT || str != fuzz_sentinel_str)
            abort(); /* a refused value leaves the destination alone */
        return;
    }
    switch (type) {
    case ENV_INT:
    case ENV_PORT:
        /* strtol's leading blanks are the only leeway. */
        v += strspn(v, " \t\n\v\f\r");
        if (!fuzz_is_decimal(v) || num < min || num > max ||
            num != (int)strtol(v, NULL, 10))
            abort();
        break;
    case ENV_STRING:
    case ENV_HOST:
    case ENV_PATH:
        if (str != v || (long)strlen(v) > max)
            abort();
        for (i = 0; v[i] != '\0'; i++)
            if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
                abort();
        if (type == ENV_PATH && v[0] != '/')
            abort();
        if (type == ENV_HOST &&
            (v[0] == '\0' ||
             strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789-._:[]") != strlen(v)))
            abort();
        break;
    case ENV_LOGLEVEL:
        if (level < LOG_LEVEL_DEBUG || level > LOG_LEVEL_ERROR)
            abort();
        log_set_level(LOG_LEVEL_ERROR);
        break;
    }
}

/*
 * The input as a secret file (in memory): an accepted secret is the
 * file's one line; a refused one is wiped from the buffer, and the
 * message is one of env.c's fixed sentences about the file, so it
 * cannot quote a byte of the secret.
 */
static void fuzz_secret(const uint8_t *data, size_t size, size_t cap)
{
    char path[64], buf[64], err[256], want[3][256];
    int fd = memfd_create("fuzz-secret", MFD_CLOEXEC);
    size_t len;

    if (fd < 0)
        return;
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    err[0] = '\0';
    if (env_read_secret(path, buf, cap, err, sizeof(err)) == 0) {
        len = strlen(buf);
        if (len == 0 || len >= cap || strpbrk(buf, "\r\n") != NULL ||
            memcmp(buf, data, len) != 0)
            abort();
    } else {
        if (buf[0] != '\0')
            abort();
        snprintf(want[0], sizeof(want[0]),
                 "secret file %s is larger than %zu bytes", path, cap - 1);
        snprintf(want[1], sizeof(want[1]), "secret file %s is empty", path);
        snprintf(want[2], sizeof(want[2]),
                 "secret file %s must hold one line (it has line breaks or "
                 "NUL bytes inside)",
                 path);
        if (strcmp(err, want[0]) != 0 && strcmp(err, want[1]) != 0 &&
            strcmp(err, want[2]) != 0)
            abort();
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum env_type types[] = {ENV_INT,  ENV_PORT, ENV_STRING,
                                          ENV_HOST, ENV_PATH, ENV_LOGLEVEL};
    enum env_type type;
    long min, max;
    char *value;

    if (size < 3)
        return 0;
    log_set_level(LOG_LEVEL_ERROR);
    type = types[data[0] % 6];
    /* Bounds like the programs' tables: small, ports, or wide. */
    min = (long)(int8_t)data[1];
    max = data[2] == 255 ? 1000000 : min + data[2] * 300;
    if (type == ENV_PORT) {
        min = data[1] & 1;
        max = 65535;
    }
    value = strndup((const char *)data + 3, size - 3);
    if (value == NULL)
        abort();
    fuzz_parse(type, min, max, value);
    free(value);
    fuzz_secret(data + 3, size - 3, 8 + data[0] / 6);
    return 0;
}
