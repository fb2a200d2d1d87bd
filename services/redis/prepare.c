/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prepare.c: `redis-bootstrap prepare`. See prepare.h.
 *
 * The order is fixed: read the file, check it (pure, services/stackfile),
 * then make the host paths exist (hostdirs.c, the only part that changes
 * anything), then print the findings, which hostdirs may have added to.
 */
#include "prepare.h"

#include <stdarg.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose.h"
#include "hostdirs.h"
#include "log.h"
#include "preflight.h"

void prepare_line(FILE *out, const char *fmt, ...)
{
    char *text = NULL, *esc;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* out of memory, as xmalloc() */
    esc = xmalloc(4 * (size_t)n + 1);
    log_escape(text, esc, 4 * (size_t)n + 1);
    fprintf(out, "%s\n", esc);
    free(esc);
    free(text);
}

/*
 * Reads one id of --owner, 1 to 2^31-1, ending at stop or at the end of s;
 * *next is left at that end. Returns 0, or -1 when s holds no such number.
 */
static int parse_id(const char *s, char stop, const char **next, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(s, &end, 10);
    if (errno != 0 || end == s || *out < 1 || *out > 0x7fffffffL ||
        (*end != '\0' && *end != stop))
        return -1;
    *next = end;
    return 0;
}

/* "UID:GID" or "UID" (then GID = UID), numeric. */
static int parse_owner(const char *s, uid_t *uid, gid_t *gid)
{
    const char *p;
    long u, g;

    if (strlen(s) >= 64 || parse_id(s, ':', &p, &u) != 0)
        return -1;
    g = u;
    if (*p == ':' && parse_id(p + 1, '\0', &p, &g) != 0)
        return -1;
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

/* Whether a is one of prepare's options that take the next argument. */
static int takes_value(const char *a)
{
    static const char *const with_value[] = {
        "-f", "--file", "-c", "--host-root", "--owner", "--role", "--hostname",
    };
    size_t i;

    for (i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++) {
        if (strcmp(a, with_value[i]) == 0)
            return 1;
    }
    return 0;
}

enum prepare_args prepare_parse_args(int argc,
                                     char **argv,
                                     struct prepare_opts *o,
                                     struct buf *why)
{
    static const struct prepare_opts defaults = {
        .file = "docker-compose.yml",
        .role = "manager",
        .uid = PREFLIGHT_REDIS_UID,
        .gid = PREFLIGHT_REDIS_GID,
    };
    int i;

    *o = defaults;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argc > i + 1 ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0)
            return PREPARE_ARGS_HELP;
        if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0) {
            o->dry_run = 1;
            continue;
        }
        if (!takes_value(a)) {
            buf_printf(why, "prepare: unknown option %s", a);
            return PREPARE_ARGS_BAD;
        }
        if (v == NULL) {
            buf_printf(why, "prepare: %s needs a value", a);
            return PREPARE_ARGS_BAD;
        }
        i++;
        if (strcmp(a, "--host-root") == 0) {
            o->host_root = v;
        } else if (strcmp(a, "--owner") == 0) {
            if (parse_owner(v, &o->uid, &o->gid) != 0) {
                buf_printf(why,
                           "prepare: --owner %s: give numeric UID:GID, not "
                           "root's (e.g. 999:999)",
                           v);
                return PREPARE_ARGS_BAD;
            }
        } else if (strcmp(a, "--role") == 0) {
            if (strcmp(v, "manager") != 0 && strcmp(v, "worker") != 0) {
                buf_printf(why, "prepare: --role %s: give manager or worker",
                           v);
                return PREPARE_ARGS_BAD;
            }
            o->role = v;
        } else if (strcmp(a, "--hostname") == 0) {
            o->hostname = v;
        } else {
            o->file = v;
        }
    }
    return PREPARE_ARGS_OK;
}

/*
 * The host name to match node.hostname constraints against: --hostname,
 * else the host root's /etc/hostname when there is one, else this
 * machine's.
 */
static void node_hostname(const struct prepare_opts *o, char *out, size_t n)
{
    char path[PATH_MAX];
    FILE *f;

    out[0] = '\0';
    if (o->hostname != NULL) {
        snprintf(out, n, "%s", o->hostname);
        return;
    }
    if (o->host_root != NULL) {
        snprintf(path, sizeof(path), "%s/etc/hostname", o->host_root);
        f = fopen(path, "re");
        if (f != NULL) {
            if (fgets(out, (int)n, f) == NULL)
                out[0] = '\0';
            fclose(f);
            out[strcspn(out, "\r\n")] = '\0';
        }
    }
    if (out[0] == '\0' && gethostname(out, n) != 0)
        out[0] = '\0';
    out[n - 1] = '\0';
}

/*
 * Prints a finding as a compiler would: file:line:column: level: message.
 */
static void
print_finding(FILE *out, const char *file, const struct preflight_finding *f)
{
    const char *level = f->level == PREFLIGHT_ERROR ? "error" : "warning";

    if (f->pos.line > 0)
        prepare_line(out, "%s:%u:%u: %s: %s", file, f->pos.line, f->pos.column,
                     level, f->msg);
    else
        prepare_line(out, "%s: %s: %s", file, level, f->msg);
}

/*
 * Prints every finding and the count of errors and warnings. Returns the
 * exit status they make.
 */
static int report(FILE *out, const char *file, const struct preflight *p)
{
    size_t i, nerr = preflight_errors(p), nwarn = p->nfindings - nerr;

    for (i = 0; i < p->nfindings; i++)
        print_finding(out, file, &p->findings[i]);
    prepare_line(out, "%s: %zu error%s, %zu warning%s", file, nerr,
                 nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s");
    return nerr > 0 ? PREPARE_EXIT_FINDINGS : 0;
}

/*
 * Parses and checks the stack file for node. Returns the model with p
 * filled, or NULL after printing why the file is not a compose file. The
 * caller frees the model with compose_free().
 */
static struct compose_file *check_stack(const struct prepare_opts *o,
                                        const char *data,
                                        size_t len,
                                        const struct preflight_node *node,
                                        struct preflight *p,
                                        FILE *errout)
{
    struct compose_error cerr;
    struct compose_file *cf;

    cf = compose_parse(data, len, &cerr);
    if (cf == NULL) {
        if (cerr.pos.line > 0)
            prepare_line(errout, "%s:%u:%u: error: %s", o->file, cerr.pos.line,
                         cerr.pos.column, cerr.msg);
        else
            prepare_line(errout, "%s: error: %s", o->file, cerr.msg);
        return NULL;
    }
    preflight_check(cf, node, p);
    return cf;
}

int prepare_stack(const struct prepare_opts *o,
                  const char *data,
                  size_t len,
                  FILE *out,
                  FILE *errout)
{
    const char *root = o->host_root != NULL ? o->host_root : "/";
    struct compose_file *cf;
    struct preflight p;
    struct preflight_node node;
    struct hostdirs_opts ho;
    char hostname[256];
    int rc = PREPARE_EXIT_UNREADABLE;

    preflight_init(&p);
    node_hostname(o, hostname, sizeof(hostname));
    node.role = o->role;
    node.hostname = hostname[0] != '\0' ? hostname : NULL;
    cf = check_stack(o, data, len, &node, &p, errout);
    if (cf == NULL)
        goto done; /* not YAML, not a compose file, or a wrong type: 2 */
    ho.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ho.root_fd < 0) {
        prepare_line(errout,
                     "redis-bootstrap: prepare: cannot open the host root %s: "
                     "%s: give an existing directory to --host-root",
                     root, strerror(errno));
        goto done;
    }
    prepare_line(out, "%s: this node: role %s, hostname %s%s%s", o->file,
                 o->role, node.hostname != NULL ? node.hostname : "(unknown)",
                 o->host_root != NULL ? ", host root " : "",
                 o->host_root != NULL ? o->host_root : "");
    if (o->dry_run)
        prepare_line(out, "%s: dry run: nothing is changed", o->file);
    ho.root_name = o->host_root;
    ho.uid = o->uid;
    ho.gid = o->gid;
    ho.dry_run = o->dry_run;
    ho.out = out;
    hostdirs_apply(&p, &ho);
    close(ho.root_fd);
    rc = report(out, o->file, &p);
done:
    preflight_free(&p);
    compose_free(cf);
    return rc;
}

int prepare_run(const struct prepare_opts *o, FILE *out, FILE *errout)
{
    char *data;
    size_t len = 0;
    int rc;

    data = read_file(o->file, COMPOSE_MAX_INPUT, &len);
    if (data == NULL && errno == EFBIG) {
        prepare_line(
            errout,
            "%s: error: the file is larger than %u MiB: is it really a "
            "compose file?",
            o->file, COMPOSE_MAX_INPUT / (1024 * 1024));
        return PREPARE_EXIT_UNREADABLE;
    }
    if (data == NULL) {
        prepare_line(errout,
                     "%s: error: cannot read the stack file: %s: give its path "
                     "with -f FILE",
                     o->file, strerror(errno));
        return PREPARE_EXIT_UNREADABLE;
    }
    rc = prepare_stack(o, data, len, out, errout);
    free(data);
    return rc;
}
