/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: hello, the web service of the Docker Get Started Part 5 stack.
 * Reads the configuration from the environment, then serves until SIGTERM.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "env.h"
#include "hello.h"
#include "log.h"
#include "server_env.h"
#include "version.h"

/* Defaults: the tutorial's (NAME World, port 80, Redis at "redis"). */
static struct hello_config cfg = {
    .name = "World",
    .port = 80,
    .redis_host = "redis",
    .redis_port = 6379,
    .redis_password_file = NULL,
    .redis_timeout_ms = 2000,
    SERVER_ENV_DEFAULTS,
};

static const struct env_var hello_env[] = {
    {"NAME", ENV_STRING, 0, 200, &cfg.name, "who the page greets"},
    SERVER_ENV_PORT(cfg),
    {"REDIS_HOST", ENV_HOST, 0, 253, &cfg.redis_host,
     "Redis host name or address"},
    {"REDIS_PORT", ENV_PORT, 1, 65535, &cfg.redis_port, "Redis port"},
    {"REDIS_PASSWORD_FILE", ENV_PATH, 0, 4096, &cfg.redis_password_file,
     "file holding the Redis password (a Docker secret)"},
    {"REDIS_TIMEOUT_MS", ENV_INT, 1, 60000, &cfg.redis_timeout_ms,
     "longest wait for Redis, in ms"},
    SERVER_ENV_LIMITS(cfg),
};

#define HELLO_NENV (sizeof(hello_env) / sizeof(hello_env[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hello [--help | --version | --healthcheck]\n"
            "\n"
            "The web service of the Docker Get Started Part 5 stack: GET /\n"
            "greets NAME, shows the host name and counts visits in Redis.\n"
            "Also: GET /api (JSON), /healthz (liveness), /metrics "
            "(Prometheus).\n"
            "\n"
            "--healthcheck asks the running server for /healthz on\n"
            "127.0.0.1:PORT and exits 0 when it answers 200, 1 otherwise.\n"
            "\n"
            "Environment:\n");
    env_usage(out, hello_env, HELLO_NENV);
}

int main(int argc, char **argv)
{
    char err[ENV_ERR_LEN], hostname[HOST_NAME_MAX + 1];
    char password[512], *pw = NULL;
    struct hello h;
    enum cli_mode mode;
    uv_loop_t *loop;
    int rc;

    log_init("hello");
    mode = cli_parse(argc, argv, "hello", usage);
    if (env_load(hello_env, HELLO_NENV, err, sizeof(err)) != 0)
        fatalx("%s", err);
    if (mode == CLI_HEALTHCHECK)
        return cli_healthcheck("hello", "127.0.0.1", cfg.port, "/healthz");

    if (cfg.redis_password_file != NULL) {
        if (env_read_secret(cfg.redis_password_file, password, sizeof(password),
                            err, sizeof(err)) != 0)
            fatalx("REDIS_PASSWORD_FILE: %s", err);
        pw = password;
    }
    if (gethostname(hostname, sizeof(hostname)) != 0)
        fatal("gethostname");
    hostname[sizeof(hostname) - 1] = '\0';

    loop = uv_default_loop();
    if (hello_start(&h, loop, &cfg, hostname, pw, err, sizeof(err)) != 0)
        fatalx("%s", err);
    if (pw != NULL)
        explicit_bzero(password, sizeof(password));
    log_info("hello %s listening on port %d as %s; redis at %s:%d "
             "(timeout %d ms%s)",
             PART5_VERSION, http_port(h.srv), hostname, cfg.redis_host,
             cfg.redis_port, cfg.redis_timeout_ms,
             pw != NULL ? ", with password" : "");

    rc = uv_run(loop, UV_RUN_DEFAULT);
    page_free(&h.page);
    uv_loop_close(loop);
    log_info("bye");
    return rc < 0 ? 1 : 0;
}
