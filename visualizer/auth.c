/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c: the credentials file and the password check. See auth.h.
 *
 * The rules a reader needs:
 * - Secrets are only in memory this file owns, and are wiped before it is
 *   freed: the file is read straight into one buffer (read_file_into(),
 *   which makes no copy of its own) and wiped once parsed; each line is
 *   one allocation "user\0secret\0"; crypt's working memory (struct
 *   crypt_data, 32 KiB) is wiped after every hash.
 * - Every comparison with a secret runs over the candidate's length only
 *   and folds a length mismatch in without a branch (auth_equal()).
 * - A hash runs once per credential: the password that last matched a
 *   line's hash is kept with the line (good), wiped when replaced. Wrong
 *   passwords are never kept, so each costs a hash; the time hashes that
 *   did not match may take is bounded per second (AUTH_HASH_BUDGET_MS),
 *   because the server has one thread and a slow hash (bcrypt at cost 12:
 *   about 0.3 s) would otherwise let anyone stall it with wrong guesses.
 */
#include "auth.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct auth_line {
    char *mem;          /* "user\0secret\0": user and secret point in it */
    size_t mem_len;     /* bytes of mem */
    const char *user;   /* NUL-terminated */
    size_t user_len;    /* its length */
    const char *secret; /* a plaintext password or a crypt(3) hash */
    size_t secret_len;
    int hashed; /* secret is a hash */
    char *good; /* hashed: the last password that matched, or NULL */
    size_t good_len;
};

struct auth {
    struct auth_line *lines;
    size_t n;
    size_t plaintext;         /* lines with a plaintext password */
    size_t first_plain;       /* the first one's line number */
    const char *dummy;        /* the first hash, for users without a line */
    struct crypt_data *crypt; /* crypt_rn()'s memory; zero between uses */
    uint64_t window_ms;       /* start of the budget's second */
    uint64_t wasted_ms;       /* time of hashes that did not match in it */
    uint64_t hashes, throttled;
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

/*
 * Whether a line's secret (NUL-terminated) is a hash to check, a
 * plaintext password, or refused. Returns 1 (hash), 0 (plaintext), or -1
 * with the reason and the fix in why (which never quotes the secret).
 */
static int auth_secret_kind(const char *secret, char *why, size_t whylen)
{
    static const char fix[] = "make the line with htpasswd -B (bcrypt) or "
                              "mkpasswd -m yescrypt (README, Basic "
                              "authentication)";
    int rc;

    if (secret[0] == '{') {
        snprintf(why, whylen,
                 "{SCHEME} hashes (htpasswd -s, {SHA}, {SSHA}) are not "
                 "supported: %s",
                 fix);
        return -1;
    }
    if (secret[0] != '$')
        return 0;
    if (strncmp(secret, "$apr1$", 6) == 0) {
        snprintf(why, whylen,
                 "Apache's MD5 hash ($apr1$, htpasswd's default) is not "
                 "supported: %s",
                 fix);
        return -1;
    }
    rc = crypt_checksalt(secret);
    if (rc == CRYPT_SALT_OK)
        return 1;
    snprintf(why, whylen, "%s: %s",
             rc == CRYPT_SALT_METHOD_LEGACY || rc == CRYPT_SALT_TOO_CHEAP
                 ? "a weak password hash (MD5, DES or NT)"
                 : "not a password hash libcrypt accepts (bcrypt $2y$, "
                   "yescrypt $y$, SHA-512 $6$, SHA-256 $5$, scrypt $7$)",
             fix);
    return -1;
}

/*
 * Adds the line p (n bytes, no newline) of the file name. Returns 0, or
 * -1 with a message in err.
 */
static int auth_add_line(struct auth *a,
                         const char *p,
                         size_t n,
                         size_t lineno,
                         const char *name,
                         char *err,
                         size_t errlen)
{
    const char *colon = memchr(p, ':', n);
    struct auth_line *l;
    char why[256];
    int kind;

    if (colon == NULL || colon == p) {
        snprintf(err, errlen, "%s line %zu: expected user:password", name,
                 lineno);
        return -1;
    }
    if (memchr(p, '\0', n) != NULL) {
        snprintf(err, errlen, "%s line %zu: NUL byte", name, lineno);
        return -1;
    }
    if (a->n == AUTH_MAX_USERS) {
        snprintf(err, errlen, "%s: more than %d users", name, AUTH_MAX_USERS);
        return -1;
    }
    a->lines = xrealloc(a->lines, (a->n + 1) * sizeof(*a->lines));
    l = &a->lines[a->n++];
    memset(l, 0, sizeof(*l));
    l->mem_len = n + 1;
    l->mem = xmalloc(l->mem_len);
    memcpy(l->mem, p, n);
    l->mem[n] = '\0';
    l->user_len = (size_t)(colon - p);
    l->mem[l->user_len] = '\0';
    l->user = l->mem;
    l->secret = l->mem + l->user_len + 1;
    l->secret_len = n - l->user_len - 1;
    kind = auth_secret_kind(l->secret, why, sizeof(why));
    if (kind < 0) {
        snprintf(err, errlen, "%s line %zu: %s", name, lineno, why);
        return -1;
    }
    l->hashed = kind;
    if (kind == 1 && a->dummy == NULL)
        a->dummy = l->secret;
    if (kind == 0 && a->plaintext++ == 0)
        a->first_plain = lineno;
    return 0;
}

struct auth *auth_parse(
    const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct auth *a = xcalloc(1, sizeof(*a));
    const char *p = text, *end = text + len, *nl;
    size_t lineno = 0, n;

    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && p[0] != '#' &&
            auth_add_line(a, p, n, lineno, name, err, errlen) != 0)
            goto err;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (a->n == 0) {
        snprintf(err, errlen, "%s has no user:password line", name);
        goto err;
    }
    if (a->dummy != NULL)
        a->crypt = xcalloc(1, sizeof(*a->crypt));
    return a;
err:
    auth_free(a);
    return NULL;
}

struct auth *auth_load(const char *path, char *err, size_t errlen)
{
    char *text = xmalloc(AUTH_MAX_FILE + 1);
    struct auth *a = NULL;
    ssize_t len;

    len = read_file_into(path, text, AUTH_MAX_FILE + 1);
    if (len < 0 && errno == EFBIG)
        snprintf(err, errlen, "%s is larger than %d bytes", path,
                 AUTH_MAX_FILE);
    else if (len < 0)
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    else
        a = auth_parse(text, (size_t)len, path, err, errlen);
    explicit_bzero(text, AUTH_MAX_FILE + 1);
    free(text);
    return a;
}

/* Wipes and frees a kept password. */
static void auth_forget(struct auth_line *l)
{
    if (l->good != NULL) {
        explicit_bzero(l->good, l->good_len);
        free(l->good);
    }
    l->good = NULL;
    l->good_len = 0;
}

void auth_free(struct auth *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++) {
        explicit_bzero(a->lines[i].mem, a->lines[i].mem_len);
        free(a->lines[i].mem);
        auth_forget(&a->lines[i]);
    }
    free(a->lines);
    free(a->crypt);
    free(a);
}

size_t auth_users(const struct auth *a)
{
    return a->n;
}

size_t auth_plaintext(const struct auth *a, size_t *first_line)
{
    if (first_line != NULL)
        *first_line = a->plaintext > 0 ? a->first_plain : 0;
    return a->plaintext;
}

uint64_t auth_hashes(const struct auth *a)
{
    return a->hashes;
}

uint64_t auth_throttled(const struct auth *a)
{
    return a->throttled;
}

/*
 * Hashes password with the setting of hash and compares the result with
 * hash. Returns 1 on a match, 0 otherwise, and 0 unhashed when this
 * second's budget for hashes that did not match is spent.
 */
static int
auth_hash_matches(struct auth *a, const char *password, const char *hash)
{
    uint64_t t0 = now_ms();
    const char *out;
    int ok;

    if (t0 - a->window_ms >= 1000) {
        a->window_ms = t0;
        a->wasted_ms = 0;
    }
    if (a->wasted_ms >= AUTH_HASH_BUDGET_MS) {
        a->throttled++;
        return 0;
    }
    out = crypt_rn(password, hash, a->crypt, (int)sizeof(*a->crypt));
    ok = out != NULL && auth_equal(out, strlen(out), hash, strlen(hash));
    explicit_bzero(a->crypt, sizeof(*a->crypt));
    a->hashes++;
    if (!ok)
        a->wasted_ms += now_ms() - t0;
    return ok;
}

/* The password against one line whose user matched. */
static int auth_line_check(struct auth *a,
                           struct auth_line *l,
                           const char *password,
                           size_t plen)
{
    if (!l->hashed)
        return auth_equal(password, plen, l->secret, l->secret_len);
    if (l->good != NULL && auth_equal(password, plen, l->good, l->good_len))
        return 1;
    if (!auth_hash_matches(a, password, l->secret))
        return 0;
    auth_forget(l);
    l->good = xmalloc(plen + 1);
    memcpy(l->good, password, plen + 1);
    l->good_len = plen;
    return 1;
}

int auth_check(struct auth *a, const char *user, const char *password)
{
    size_t i, ulen, plen;
    int ok = 0, found = 0;

    if (user == NULL || password == NULL || strchr(user, ':') != NULL)
        return 0;
    ulen = strlen(user);
    plen = strlen(password);
    /* Every line's user is compared: no early exit tells which matched. */
    for (i = 0; i < a->n; i++) {
        if (!auth_equal(user, ulen, a->lines[i].user, a->lines[i].user_len))
            continue;
        found = 1;
        ok |= auth_line_check(a, &a->lines[i], password, plen);
    }
    if (!found && a->dummy != NULL)
        (void)auth_hash_matches(a, password, a->dummy);
    return ok;
}
