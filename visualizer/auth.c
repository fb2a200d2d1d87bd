/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c: the credentials file and a constant-time check. See auth.h.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct auth {
    char **creds; /* "user:password", each NUL-terminated */
    size_t *lens; /* their lengths */
    size_t n;
};

/*
 * Compares the candidate a (alen bytes) with the secret b (blen bytes).
 * The loop runs over the candidate's length only, so its time tells the
 * attacker nothing they did not send; a length mismatch is folded into
 * the result without a branch.
 */
static int auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;
    unsigned char d = 0;
    size_t diff = alen ^ blen;

    for (i = 0; i < alen; i++)
        d |= (unsigned char)(a[i] ^ (blen > 0 ? b[i % blen] : 0));
    return (d | (diff != 0)) == 0;
}

struct auth *auth_parse(
    const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct auth *a = xcalloc(1, sizeof(*a));
    const char *p = text, *end = text + len, *nl, *colon;
    size_t lineno = 0, n;

    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && p[0] != '#') {
            colon = memchr(p, ':', n);
            if (colon == NULL || colon == p) {
                snprintf(err, errlen, "%s line %zu: expected user:password",
                         name, lineno);
                goto err;
            }
            if (memchr(p, '\0', n) != NULL) {
                snprintf(err, errlen, "%s line %zu: NUL byte", name, lineno);
                goto err;
            }
            if (a->n == AUTH_MAX_USERS) {
                snprintf(err, errlen, "%s: more than %d users", name,
                         AUTH_MAX_USERS);
                goto err;
            }
            a->creds = xrealloc(a->creds, (a->n + 1) * sizeof(*a->creds));
            a->lens = xrealloc(a->lens, (a->n + 1) * sizeof(*a->lens));
            a->lens[a->n] = n;
            a->creds[a->n] = xmalloc(n + 1);
            memcpy(a->creds[a->n], p, n);
            a->creds[a->n][n] = '\0';
            a->n++;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (a->n == 0) {
        snprintf(err, errlen, "%s has no user:password line", name);
        goto err;
    }
    return a;
err:
    auth_free(a);
    return NULL;
}

struct auth *auth_load(const char *path, char *err, size_t errlen)
{
    char *text = xmalloc(AUTH_MAX_FILE + 1);
    struct auth *a = NULL;
    size_t len = 0;
    ssize_t got;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    for (;;) {
        got = read(fd, text + len, AUTH_MAX_FILE + 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto done;
        }
        if (got == 0)
            break;
        len += (size_t)got;
        if (len > AUTH_MAX_FILE) {
            snprintf(err, errlen, "%s is larger than %d bytes", path,
                     AUTH_MAX_FILE);
            goto done;
        }
    }
    a = auth_parse(text, len, path, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    explicit_bzero(text, AUTH_MAX_FILE + 1);
    free(text);
    return a;
}

void auth_free(struct auth *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++) {
        explicit_bzero(a->creds[i], a->lens[i]);
        free(a->creds[i]);
    }
    free(a->creds);
    free(a->lens);
    free(a);
}

size_t auth_users(const struct auth *a)
{
    return a->n;
}

int auth_check(const struct auth *a, const char *user, const char *password)
{
    struct buf cand = BUF_INIT;
    size_t i;
    int ok = 0;

    if (user == NULL || password == NULL || strchr(user, ':') != NULL)
        return 0;
    buf_append_str(&cand, user);
    buf_append(&cand, ":", 1);
    buf_append_str(&cand, password);
    /* Every line is compared: no early exit tells which one matched. */
    for (i = 0; i < a->n; i++)
        ok |= auth_equal(cand.data, cand.len, a->creds[i], a->lens[i]);
    explicit_bzero(cand.data, cand.len);
    buf_free(&cand);
    return ok;
}
