/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_auth.c: libFuzzer target for the visualizer's basic
 * authentication (visualizer/auth.c): the credentials file
 * parser, auth_parse(), and the constant-time check, auth_check().
 *
 * Input: a credentials file, then after a NUL byte the "user:password"
 * a browser sends (split at its first ':', as libmicrohttpd does with
 * the decoded Authorization header). The contract of auth.h:
 * - every "user:password" line of a file that parses is accepted, with
 *   exactly its password; a longer or shorter one is not;
 * - auth_check() agrees with a plain comparison against every line
 *   (constant time changes how, never what);
 * - a file that is refused says why without quoting a password.
 * Files with a hashed line ('$') are only parsed here: a fuzzed hash may
 * ask for any cost (bcrypt's 2^31 rounds), and the hashes are checked
 * with files made by htpasswd and mkpasswd (tests/unit/
 * test_visualizer_route.c, tests/reliability/test_visualizer_hardening.py).
 */
#include <stddef.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The plain comparison auth_check() must agree with. */
static int
fuzz_reference(const char *text, size_t len, const char *user, const char *pass)
{
    const char *p = text, *end = text + len, *nl;
    size_t n, ulen = strlen(user), plen = strlen(pass);

    if (strchr(user, ':') != NULL)
        return 0;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && p[0] != '#' && n == ulen + 1 + plen &&
            memcmp(p, user, ulen) == 0 && p[ulen] == ':' &&
            memcmp(p + ulen + 1, pass, plen) == 0)
            return 1;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return 0;
}

/*
 * Every line of a parsed file is accepted, and only with its password
 * (the first 64 lines: each check compares every line, and a fuzzer
 * needs fast inputs).
 */
static void fuzz_lines(struct auth *a, const char *text, size_t len)
{
    const char *p = text, *end = text + len, *nl, *colon;
    char user[256], pass[258];
    size_t n, ulen, plen;
    int lines = 0;

    while (p < end && lines++ < 64) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        colon = n > 0 && p[0] != '#' ? memchr(p, ':', n) : NULL;
        if (colon != NULL) {
            ulen = (size_t)(colon - p);
            plen = n - ulen - 1;
            if (ulen < sizeof(user) && plen + 2 < sizeof(pass)) {
                memcpy(user, p, ulen);
                user[ulen] = '\0';
                memcpy(pass, colon + 1, plen);
                pass[plen] = '\0';
                if (auth_check(a, user, pass) != 1)
                    abort();
                /* One byte more is another password. */
                pass[plen] = '\x01';
                pass[plen + 1] = '\0';
                if (auth_check(a, user, pass) !=
                    fuzz_reference(text, len, user, pass))
                    abort();
            }
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t flen = nul != NULL ? (size_t)(nul - data) : size;
    char err[256], *cand, *colon, *pass;
    const char *text = (const char *)data;
    struct auth *a;

    err[0] = '\0';
    a = auth_parse(text, flen, "creds", err, sizeof(err));
    if (a == NULL) {
        if (strncmp(err, "creds", 5) != 0)
            abort(); /* the message names the file */
        /* It quotes no password: every message is one of auth.c's. */
        if (strstr(err, "expected user:password") == NULL &&
            strstr(err, "NUL byte") == NULL &&
            strstr(err, "more than") == NULL &&
            strstr(err, "has no user:password line") == NULL &&
            strstr(err, "htpasswd -B") == NULL)
            abort();
        return 0;
    }
    if (auth_users(a) == 0 || auth_users(a) > AUTH_MAX_USERS ||
        auth_plaintext(a, NULL) > auth_users(a))
        abort();
    if (auth_plaintext(a, NULL) < auth_users(a)) {
        auth_free(a); /* a hashed line: parsed, not checked (above) */
        return 0;
    }
    fuzz_lines(a, text, flen);
    if (nul != NULL) {
        cand = strndup((const char *)nul + 1, size - flen - 1);
        if (cand == NULL)
            abort();
        colon = strchr(cand, ':');
        pass = colon != NULL ? colon + 1 : NULL;
        if (colon != NULL)
            *colon = '\0';
        if (auth_check(a, cand, pass) !=
            (pass != NULL && fuzz_reference(text, flen, cand, pass)))
            abort();
        free(cand);
    }
    if (auth_check(a, NULL, "x") != 0 || auth_check(a, "x", NULL) != 0)
        abort();
    auth_free(a);
    return 0;
}
