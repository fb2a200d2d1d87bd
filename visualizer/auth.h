/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h: optional HTTP basic authentication for the visualizer.
 *
 * The credentials come from a file (VISUALIZER_AUTH_FILE, meant to be a
 * Docker secret) of lines "user:secret", the format of Apache's htpasswd
 * and nginx's auth_basic_user_file. Blank lines and lines starting with
 * '#' are ignored; the first ':' separates the user from the secret.
 *
 * The secret is a crypt(3) hash when it starts with '$': bcrypt ($2y$,
 * $2b$, $2a$: htpasswd -B), yescrypt ($y$: mkpasswd, Debian's default),
 * SHA-512 ($6$) or SHA-256 ($5$) crypt, scrypt ($7$), checked with
 * libcrypt (libxcrypt). Hashes libcrypt calls weak or does not know
 * (Apache's MD5 $apr1$, htpasswd's default; $1$; {SHA} and other {SCHEME}
 * lines) stop the start with the way to make a good one. Any other secret
 * is a plaintext password, still accepted (the caller warns about it).
 * The file is read once, at start.
 */
#ifndef PART5_AUTH_H
#define PART5_AUTH_H

#include <stddef.h>

#include <stdint.h>

#define AUTH_MAX_FILE (64 * 1024)
#define AUTH_MAX_USERS 256

/*
 * Wall-clock time a second that hashes which did not match (wrong
 * passwords, users without a line) may take on the server's one thread.
 * Past it, a password that is not already known is refused without being
 * hashed, so wrong passwords (which cost a hash each) can slow logins
 * down but not stop the server. Hashes that match do not count: a class
 * logging in at once is never refused for it.
 */
#define AUTH_HASH_BUDGET_MS 250

struct auth;

/*
 * Reads the credentials file. Returns the credentials, or NULL with a
 * message in err that names the file and line but never shows a password
 * or a hash. Free with auth_free().
 */
struct auth *auth_load(const char *path, char *err, size_t errlen);

/* Parses credentials from memory (what auth_load() reads); same contract. */
struct auth *auth_parse(
    const char *text, size_t len, const char *name, char *err, size_t errlen);

/* Wipes and frees the credentials. Accepts NULL. */
void auth_free(struct auth *a);

/* Number of users (lines). */
size_t auth_users(const struct auth *a);

/*
 * Lines with a plaintext password; *first_line (when not NULL) receives
 * the line number of the first, or 0.
 */
size_t auth_plaintext(const struct auth *a, size_t *first_line);

/*
 * Returns 1 when user and password match a line, else 0.
 *
 * Plaintext lines are compared in constant time. A hash is computed once
 * per credential: the last password that matched a line's hash is kept
 * (in memory only, wiped when replaced and by auth_free()), and a request
 * with that same password is compared with it in constant time instead.
 * Any other password costs one hash, within AUTH_HASH_BUDGET_MS. A user
 * without a line costs a hash as well (of the first hashed line), so the
 * time taken does not tell which users exist.
 */
int auth_check(struct auth *a, const char *user, const char *password);

/* Hashes computed so far (for the log and the tests). */
uint64_t auth_hashes(const struct auth *a);

/* Passwords refused unchecked because the hash budget was spent. */
uint64_t auth_throttled(const struct auth *a);

#endif
