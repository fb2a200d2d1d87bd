/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: visualizer, the live picture of a Docker swarm for the Get
 * Started Part 5 stack. Reads the configuration from the environment,
 * then serves until SIGTERM.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "docker_client.h"
#include "env.h"
#include "log.h"
#include "privdrop.h"
#include "server_env.h"
#include "version.h"
#include "visualizer.h"

static struct visualizer_config cfg = {
    .host = NULL,
    .port = 8080,
    .ctx_root = NULL,
    .docker_host = "unix:///var/run/docker.sock",
    .auth_file = NULL,
    .max_clients = 100,
    SERVER_ENV_DEFAULTS,
};

static const struct env_var viz_env[] = {
    SERVER_ENV_PORT(cfg),
    SERVER_ENV_HOST(cfg),
    {"CTX_ROOT", ENV_STRING, 0, VIZ_ROOT_MAX, &cfg.ctx_root,
     "path prefix when served behind a reverse proxy, e.g. /visualizer"},
    {"DOCKER_HOST", ENV_STRING, 0, 300, &cfg.docker_host,
     "the engine: unix:///path or tcp://host:port"},
    {"VISUALIZER_AUTH_FILE", ENV_PATH, 0, 4096, &cfg.auth_file,
     "file of user:password lines (a Docker secret) for basic auth"},
    {"VISUALIZER_MAX_CLIENTS", ENV_INT, 1, 10000, &cfg.max_clients,
     "open pages (event streams) at once"},
    SERVER_ENV_LIMITS(cfg),
};

#define VIZ_NENV (sizeof(viz_env) / sizeof(viz_env[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: visualizer [--help | --version | --healthcheck]\n"
            "\n"
            "A live picture of a Docker swarm: every node and the tasks on\n"
            "it, updated as the swarm changes. Reads the engine through\n"
            "DOCKER_HOST with a few fixed GET requests; never forwards a\n"
            "browser's request to it.\n"
            "\n"
            "  GET {CTX_ROOT}            the page\n"
            "  GET {CTX_ROOT}api/state   the model as JSON\n"
            "  GET {CTX_ROOT}api/events  the model, pushed (Server-Sent "
            "Events)\n"
            "  GET {CTX_ROOT}healthz     200 while serving (no auth)\n"
            "\n"
            "--healthcheck asks the running server for its healthz page\n"
            "and exits 0 when it answers 200, 1 otherwise.\n"
            "\n"
            "MAX_CONNECTIONS counts event streams; an open stream is not "
            "idle.\n"
            "\n"
            "Environment:\n");
    env_usage(out, viz_env, VIZ_NENV);
}

/*
 * visualizer --healthcheck, for the image's HEALTHCHECK: asks for
 * {CTX_ROOT}healthz, on the bound address when it is bound to one.
 */
static int healthcheck(void)
{
    char err[ENV_ERR_LEN], root[VIZ_ROOT_SIZE], path[VIZ_ROOT_SIZE + 16];
    const char *host = "127.0.0.1";

    if (viz_root_normalise(cfg.ctx_root, root, sizeof(root), err,
                           sizeof(err)) != 0) {
        fprintf(stderr, "visualizer: %s\n", err);
        return 1;
    }
    if (cfg.host != NULL && cfg.host[0] != '\0' &&
        strcmp(cfg.host, "0.0.0.0") != 0 && strcmp(cfg.host, "::") != 0)
        host = cfg.host;
    snprintf(path, sizeof(path), "%shealthz", root);
    return cli_healthcheck("visualizer", host, cfg.port, path);
}

/*
 * The image starts the visualizer as root, because the group owning the
 * Docker socket (docker on Debian, with a number that differs from host to
 * host) is only known on the node. Switch for good to the unprivileged
 * user "visualizer" (10002 in the image; nobody, 65534, when there is no
 * such user) with the socket's group as its only group: enough to read the
 * engine's API, nothing more. Never group 0: a root:root socket stops the
 * start with the way to fix it. No capability survives, no-new-privileges is
 * set (privdrop.h). Started as another user, only no-new-privileges is
 * set. Called once the auth file is read and the port bound.
 */
static void drop_root(void)
{
    struct docker_endpoint ep;
    struct privdrop_report rep;
    struct stat st;
    char err[256];
    uid_t uid = 65534;
    gid_t gid = 65534, socket_gid = 65534;

    if (geteuid() != 0) {
        if (privdrop_harden(err, sizeof(err)) != 0)
            fatalx("%s", err);
        return;
    }
    if (privdrop_passwd_user("/etc/passwd", "visualizer", &uid, &gid) != 0) {
        uid = 65534; /* nobody */
        gid = 65534;
    }
    if (uid == 0)
        fatalx("user visualizer has uid 0: refusing to run as root");
    if (docker_endpoint_parse(cfg.docker_host, &ep, err, sizeof(err)) != 0)
        fatalx("%s", err);
    if (ep.is_unix && stat(ep.path, &st) == 0)
        gid = socket_gid = st.st_gid;
    else if (ep.is_unix)
        log_warn("cannot read the group of the Docker socket %s (is it "
                 "mounted? -v /var/run/docker.sock:/var/run/docker.sock)",
                 ep.path);
    /* Group 0 opens whatever root's group may read or write: never. */
    if (socket_gid == 0)
        fatalx("the Docker socket %s belongs to group 0 (root): refusing to "
               "run in group root. Give the socket a group of its own on "
               "the host: dockerd --group docker (the default of Debian's "
               "and Docker's packages), or chgrp docker %s. To run in group "
               "0 all the same, start the container in it yourself "
               "(--user 10002:0)",
               ep.path, ep.path);
    if (gid == 0)
        fatalx("user visualizer has group 0 in /etc/passwd: refusing to run "
               "in group root");
    if (privdrop_to(uid, gid, &rep, err, sizeof(err)) != 0)
        fatalx("cannot drop root: %s", err);
    log_info("running as uid %u, gid %u%s", (unsigned)uid, (unsigned)gid,
             ep.is_unix ? " (the Docker socket's group)" : "");
}

int main(int argc, char **argv)
{
    char err[ENV_ERR_LEN];
    struct visualizer v;
    enum cli_mode mode;
    uv_loop_t *loop;
    int rc;

    log_init("visualizer");
    mode = cli_parse(argc, argv, "visualizer", usage);
    if (env_load(viz_env, VIZ_NENV, err, sizeof(err)) != 0)
        fatalx("%s", err);
    if (mode == CLI_HEALTHCHECK)
        return healthcheck();

    /*
     * Large buffers (a rendered model, the task list) come and go with
     * every update. A fixed mmap threshold makes malloc serve them with
     * mmap and return them whole when freed, instead of raising the
     * threshold and keeping them in the heap (glibc's default).
     */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);

    loop = uv_default_loop();
    if (visualizer_start(&v, loop, &cfg, err, sizeof(err)) != 0)
        fatalx("%s", err);
    /* Secrets read and port bound: root is not needed any more. */
    drop_root();
    log_info("visualizer %s listening on %s:%d%s; engine at %s%s",
             PART5_VERSION, cfg.host != NULL && cfg.host[0] ? cfg.host : "*",
             http_port(v.srv), v.root, cfg.docker_host,
             v.auth != NULL ? "; basic auth on" : "");

    rc = uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    log_info("bye");
    return rc < 0 ? 1 : 0;
}
