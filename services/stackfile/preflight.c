/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preflight.c: the stack file's findings and the host paths it needs. See
 * preflight.h.
 *
 * The checks follow what goes wrong with the tutorial's Part 5 file: the
 * placeholder image left in, "bind source path does not exist" because the
 * directory was never created on the node that runs Redis, a Redis without
 * --appendonly yes or without a placement constraint (its data stays on
 * another node after rescheduling), relative bind paths (resolved where
 * `docker stack deploy` runs, not on the node) and Redis published to the
 * world without a password.
 */
#include "preflight.h"

#include <stdarg.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

void preflight_init(struct preflight *p)
{
    memset(p, 0, sizeof(*p));
}

void preflight_free(struct preflight *p)
{
    size_t i;

    for (i = 0; i < p->nfindings; i++)
        free(p->findings[i].msg);
    free(p->findings);
    for (i = 0; i < p->npaths; i++) {
        free(p->paths[i].path);
        free(p->paths[i].service);
    }
    free(p->paths);
    preflight_init(p);
}

void preflight_add(struct preflight *p,
                   enum preflight_level level,
                   struct compose_pos pos,
                   const char *fmt,
                   ...)
{
    struct buf b = BUF_INIT;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    buf_reserve(&b, n > 0 ? (size_t)n : 0);
    va_start(ap, fmt);
    vsnprintf(b.data, b.cap, fmt, ap);
    va_end(ap);
    if (p->nfindings == p->cap_findings) {
        p->cap_findings = p->cap_findings < 8 ? 8 : p->cap_findings * 2;
        p->findings =
            xrealloc(p->findings, p->cap_findings * sizeof(*p->findings));
    }
    p->findings[p->nfindings].level = level;
    p->findings[p->nfindings].pos = pos;
    p->findings[p->nfindings].msg = buf_steal(&b, NULL);
    p->nfindings++;
}

/*
 * Orders findings as they appear in the file; errors first at one place.
 */
static int finding_cmp(const void *a, const void *b)
{
    const struct preflight_finding *x = a, *y = b;

    if (x->pos.line != y->pos.line)
        return x->pos.line < y->pos.line ? -1 : 1;
    if (x->pos.column != y->pos.column)
        return x->pos.column < y->pos.column ? -1 : 1;
    if (x->level != y->level)
        return x->level == PREFLIGHT_ERROR ? -1 : 1;
    return strcmp(x->msg, y->msg);
}

void preflight_sort(struct preflight *p)
{
    if (p->nfindings > 1)
        qsort(p->findings, p->nfindings, sizeof(*p->findings), finding_cmp);
}

size_t preflight_errors(const struct preflight *p)
{
    size_t i, n = 0;

    for (i = 0; i < p->nfindings; i++)
        n += p->findings[i].level == PREFLIGHT_ERROR;
    return n;
}

int preflight_is_redis(const struct compose_service *s)
{
    char name[256];
    const char *b, *word;
    size_t n;

    if (s->image != NULL) {
        /* The repository's last component, without tag or digest. */
        b = base_name(s->image);
        n = strcspn(b, ":@");
        if (n >= sizeof(name))
            n = sizeof(name) - 1;
        memcpy(name, b, n);
        name[n] = '\0';
        if (strstr(name, "redis") != NULL)
            return 1;
    }
    if (s->ncommand > 0) {
        word = base_name(s->command[0].text);
        if (strcmp(word, "redis-server") == 0 ||
            strcmp(word, "redis-bootstrap") == 0)
            return 1;
    }
    return 0;
}

/* Copies s without leading and trailing blanks into out (n bytes). */
static void trim_into(const char *s, size_t len, char *out, size_t n)
{
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

int preflight_constraint(const char *expr, const struct preflight_node *node)
{
    char key[128], value[256];
    const char *op = strstr(expr, "==");
    int equal = 1, same;

    if (op == NULL) {
        op = strstr(expr, "!=");
        equal = 0;
    }
    if (op == NULL)
        return -1;
    trim_into(expr, (size_t)(op - expr), key, sizeof(key));
    trim_into(op + 2, strlen(op + 2), value, sizeof(value));
    if (strcmp(key, "node.role") == 0)
        same = strcasecmp(value, node->role) == 0;
    else if (strcmp(key, "node.hostname") == 0 && node->hostname != NULL)
        same = strcmp(value, node->hostname) == 0;
    else
        return -1;
    return equal ? same : !same;
}

/* Finds a word of the command, case-insensitive; its index or -1. */
static long find_word(const struct compose_service *s, const char *word)
{
    size_t i;

    for (i = 0; i < s->ncommand; i++) {
        if (strcasecmp(s->command[i].text, word) == 0)
            return (long)i;
    }
    return -1;
}

/* The value after an option of the command ("--port 6380"), or NULL. */
static const char *option_value(const struct compose_service *s,
                                const char *opt)
{
    long i = find_word(s, opt);

    if (i < 0 || (size_t)i + 1 >= s->ncommand)
        return NULL;
    return s->command[i + 1].text;
}

/* Whether the command hands redis-server a configuration file. */
static int has_config_file(const struct compose_service *s)
{
    size_t i, n;

    for (i = 0; i < s->ncommand; i++) {
        n = strlen(s->command[i].text);
        if (n > 5 && strcmp(s->command[i].text + n - 5, ".conf") == 0)
            return 1;
    }
    return 0;
}

/*
 * The service's environment variable name, or NULL.
 */
static const struct compose_env *find_env(const struct compose_service *s,
                                          const char *name)
{
    size_t i;

    for (i = 0; i < s->nenvironment; i++) {
        if (strcmp(s->environment[i].name, name) == 0)
            return &s->environment[i];
    }
    return NULL;
}

/* Where a finding about the service as a whole goes: its name. */
static struct compose_pos svc_pos(const struct compose_service *s)
{
    return s->pos;
}

/* Whether a published port's address keeps it on this host. */
static int is_loopback(const char *ip)
{
    return ip != NULL &&
           (strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
            strcmp(ip, "localhost") == 0);
}

/* Whether something is mounted on dir (trailing slashes of targets aside). */
static int has_volume_on(const struct compose_service *s, const char *dir)
{
    size_t i, n;
    int found = 0;

    for (i = 0; i < s->nvolumes; i++) {
        n = strlen(s->volumes[i].target);
        while (n > 1 && s->volumes[i].target[n - 1] == '/')
            n--;
        if (strlen(dir) == n && strncmp(s->volumes[i].target, dir, n) == 0)
            found = 1;
    }
    return found;
}

/*
 * Redis keeps its data across redeploys: --appendonly yes, a volume on its
 * data directory, and a fixed node for that volume. conf: the command
 * hands Redis a configuration file, which may set the first two.
 */
static void
check_redis_data(const struct compose_service *s, int conf, struct preflight *p)
{
    const char *dir, *appendonly;

    appendonly = option_value(s, "--appendonly");
    if (!conf && (appendonly == NULL || strcasecmp(appendonly, "yes") != 0))
        preflight_add(
            p, PREFLIGHT_WARNING, s->has_command ? s->command_pos : svc_pos(s),
            "service %s: Redis runs without --appendonly yes, so the data "
            "(the visit counter) is lost on redeploy: add `command: "
            "redis-server --appendonly yes`",
            s->name);
    dir = option_value(s, "--dir");
    if (dir == NULL)
        dir = "/data";
    if (!has_volume_on(s, dir) && !conf)
        preflight_add(p, PREFLIGHT_WARNING, svc_pos(s),
                      "service %s: nothing is mounted on Redis' data "
                      "directory %s, so the data stays inside the container "
                      "and is lost when the task is replaced: add `volumes: "
                      "[\"/home/docker/data:%s\"]`",
                      s->name, dir, dir);
    if (s->nconstraints == 0)
        preflight_add(p, PREFLIGHT_WARNING,
                      s->has_deploy ? s->deploy_pos : svc_pos(s),
                      "service %s: Redis is not pinned to a node, so after "
                      "rescheduling it starts on another node with another "
                      "(empty) data directory: add `deploy: placement: "
                      "constraints: [node.role == manager]`",
                      s->name);
}

/*
 * Redis' port published beyond loopback with no password in sight (none
 * on the command line, no REDIS_PASSWORD_FILE: env).
 */
static void check_redis_published(const struct compose_service *s,
                                  int conf,
                                  const struct compose_env *env,
                                  struct preflight *p)
{
    const char *portstr = option_value(s, "--port");
    unsigned long redis_port = 6379;
    char *end;
    size_t i;

    if (find_word(s, "--requirepass") >= 0 ||
        (env != NULL && env->value != NULL && env->value[0] != '\0'))
        return;
    if (portstr != NULL) {
        redis_port = strtoul(portstr, &end, 10);
        if (*end != '\0' || redis_port == 0 || redis_port > 65535)
            redis_port = 6379;
    }
    for (i = 0; i < s->nports; i++) {
        const struct compose_port *pt = &s->ports[i];

        if (redis_port < pt->target || redis_port > pt->target_end ||
            is_loopback(pt->host_ip) || strcmp(pt->protocol, "udp") == 0)
            continue;
        /*
         * A warning, not an error: the tutorial's own Part 5 file does
         * this on purpose, and refusing it would refuse the tutorial. The
         * production file shows the fix.
         */
        preflight_add(
            p, PREFLIGHT_WARNING, pt->pos,
            "service %s: Redis' port %lu is published on every address of "
            "every node%s, so anyone who can reach them can read and wipe "
            "the data: remove this ports: entry (web reaches redis over the "
            "stack's network) or set REDIS_PASSWORD_FILE to a Docker secret "
            "(see compose/docker-compose.prod.yml)",
            s->name, redis_port,
            conf ? " and no password is visible here (check requirepass in "
                   "the .conf file)"
                 : " without a password");
    }
}

/*
 * The secret that REDIS_PASSWORD_FILE (env) names under /run/secrets must
 * be given to the service.
 */
static void check_redis_secret(const struct compose_service *s,
                               const struct compose_env *env,
                               struct preflight *p)
{
    const char *name, *t;
    size_t i;

    if (env == NULL || env->value == NULL ||
        strncmp(env->value, "/run/secrets/", 13) != 0)
        return;
    name = env->value + 13;
    for (i = 0; i < s->nsecrets; i++) {
        t = s->secrets[i].target != NULL ? s->secrets[i].target
                                         : s->secrets[i].source;
        if (strcmp(base_name(t), name) == 0)
            return;
    }
    preflight_add(p, PREFLIGHT_ERROR, env->pos,
                  "service %s: REDIS_PASSWORD_FILE is %s but the service has "
                  "no secret '%s': add `secrets: [%s]` to it (and a "
                  "top-level secrets: entry)",
                  s->name, env->value, name, name);
}

/* The checks that only concern the stack's Redis. */
static void check_redis(const struct compose_service *s, struct preflight *p)
{
    const struct compose_env *env = find_env(s, "REDIS_PASSWORD_FILE");
    int conf = has_config_file(s);

    check_redis_data(s, conf, p);
    check_redis_published(s, conf, env, p);
    check_redis_secret(s, env, p);
}

/*
 * Whether a bind source looks like a file or socket rather than a
 * directory. A path ending in '/' is a directory: its base name is empty,
 * and is tested before anything after it is read.
 */
static int looks_like_file(const char *path)
{
    const char *b = base_name(path);

    return strncmp(path, "/var/run/", 9) == 0 ||
           strncmp(path, "/run/", 5) == 0 ||
           (b[0] != '\0' && strchr(b + 1, '.') != NULL);
}

/*
 * Whether the service runs on node: 1 when its constraints say so, 0 when
 * they exclude it, -1 when unpinned or when a constraint cannot be told.
 */
static int runs_here(const struct compose_service *s,
                     const struct preflight_node *node)
{
    size_t i;
    int all = 1, r;

    if (s->nconstraints == 0)
        return -1;
    for (i = 0; i < s->nconstraints; i++) {
        r = preflight_constraint(s->constraints[i].text, node);
        if (r == 0)
            return 0;
        if (r < 0)
            all = -1;
    }
    return all;
}

/*
 * Adds the host path of a bind mount, once: when two services mount the
 * same path it is created for Redis if either of them is Redis.
 */
static void add_path(struct preflight *p,
                     const struct compose_service *s,
                     const struct compose_volume *v,
                     int pinned)
{
    struct preflight_path *pp;
    size_t i;

    for (i = 0; i < p->npaths; i++) {
        if (strcmp(p->paths[i].path, v->source) == 0) {
            p->paths[i].redis |= preflight_is_redis(s);
            return;
        }
    }
    if (p->npaths == p->cap_paths) {
        p->cap_paths = p->cap_paths < 8 ? 8 : p->cap_paths * 2;
        p->paths = xrealloc(p->paths, p->cap_paths * sizeof(*p->paths));
    }
    pp = &p->paths[p->npaths++];
    pp->path = xstrdup(v->source);
    pp->service = xstrdup(s->name);
    pp->pos = v->pos;
    pp->redis = preflight_is_redis(s);
    pp->pinned = pinned;
    pp->action = looks_like_file(v->source) && !pp->redis ? PREFLIGHT_MUST_EXIST
                                                          : PREFLIGHT_MKDIR;
}

/* The checks every service gets, and the host paths it needs here. */
static void check_service(const struct compose_service *s,
                          const struct preflight_node *node,
                          struct preflight *p)
{
    const struct compose_volume *v;
    size_t i;
    int here = runs_here(s, node);

    if (s->image == NULL)
        preflight_add(p, PREFLIGHT_ERROR, svc_pos(s),
                      "service %s has no image: `docker stack deploy` needs "
                      "one (it ignores build:); add `image: NAME:TAG`",
                      s->name);
    else if (strstr(s->image, "username/repo") != NULL)
        preflight_add(p, PREFLIGHT_ERROR, s->image_pos,
                      "service %s: image '%s' is the tutorial's placeholder: "
                      "replace it with the image you pushed (e.g. "
                      "yourname/get-started:part2)",
                      s->name, s->image);
    for (i = 0; i < s->nvolumes; i++) {
        v = &s->volumes[i];
        if (v->type != COMPOSE_VOLUME_BIND || v->source == NULL)
            continue;
        if (strchr(v->source, '$') != NULL) {
            preflight_add(p, PREFLIGHT_WARNING, v->pos,
                          "service %s: bind path '%s' uses a variable: "
                          "prepare cannot tell which directory it is; "
                          "create it by hand on the node",
                          s->name, v->source);
            continue;
        }
        if (v->source[0] != '/') {
            preflight_add(p, PREFLIGHT_WARNING, v->pos,
                          "service %s: bind path '%s' is relative: it is "
                          "resolved on the machine that runs `docker stack "
                          "deploy`, not on the node that runs the task; use "
                          "an absolute path such as /home/docker/data",
                          s->name, v->source);
            continue;
        }
        if (here == 0)
            continue;
        if (here < 0 && s->nconstraints == 0 && !preflight_is_redis(s))
            preflight_add(p, PREFLIGHT_WARNING, v->pos,
                          "service %s is not pinned to a node but "
                          "bind-mounts %s: that path must exist on every "
                          "node that may run it (or pin the service with "
                          "deploy.placement.constraints)",
                          s->name, v->source);
        add_path(p, s, v, here > 0);
    }
    if (preflight_is_redis(s))
        check_redis(s, p);
}

void preflight_check(const struct compose_file *cf,
                     const struct preflight_node *node,
                     struct preflight *p)
{
    size_t i;

    for (i = 0; i < cf->nservices; i++)
        check_service(&cf->services[i], node, p);
    preflight_sort(p);
}
