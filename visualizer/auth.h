/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h: optional HTTP basic authentication for the visualizer.
 *
 * The credentials come from a file (VISUALIZER_AUTH_FILE, meant to be a
 * Docker secret) of lines "user:password". Blank lines and lines starting
 * with '#' are ignored; the first ':' separates the user from the password,
 * which may itself contain ':'. The file is read once, at start.
 */
#ifndef PART5_AUTH_H
#define PART5_AUTH_H

#include <stddef.h>

#define AUTH_MAX_FILE (64 * 1024)
#define AUTH_MAX_USERS 256

struct auth;

/*
 * Reads the credentials file. Returns the credentials, or NULL with a
 * message in err that names the file and line but never shows a password.
 * Free with auth_free().
 */
struct auth *auth_load(const char *path, char *err, size_t errlen);

/* Parses credentials from memory (what auth_load() reads); same contract. */
struct auth *auth_parse(
    const char *text, size_t len, const char *name, char *err, size_t errlen);

/* Wipes and frees the credentials. Accepts NULL. */
void auth_free(struct auth *a);

/* Number of users. */
size_t auth_users(const struct auth *a);

/*
 * Returns 1 when user and password match one line, else 0. The time it
 * takes does not depend on which line matched, how many bytes of a
 * password were right, or the stored passwords' lengths.
 */
int auth_check(const struct auth *a, const char *user, const char *password);

#endif
