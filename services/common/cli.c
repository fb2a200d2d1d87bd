/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.c: see cli.h.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "version.h"

enum cli_mode
cli_parse(int argc, char **argv, const char *prog, void (*usage)(FILE *out))
{
    if (argc == 1)
        return CLI_SERVE;
    if (argc == 2 && strcmp(argv[1], "--healthcheck") == 0)
        return CLI_HEALTHCHECK;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        exit(0);
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", prog, PART5_VERSION);
        exit(0);
    }
    if (argc == 2)
        fprintf(stderr, "%s: unknown argument %s\n", prog, argv[1]);
    else
        fprintf(stderr, "%s: takes at most one argument\n", prog);
    usage(stderr);
    exit(2);
}

int cli_healthcheck(const char *prog,
                    const char *host,
                    int port,
                    const char *path)
{
    char err[256];
    int status;

    if (port == 0) {
        fprintf(stderr,
                "%s: --healthcheck needs PORT set to the server's "
                "port\n",
                prog);
        return 1;
    }
    status = http_probe(host, port, path, 3000, err, sizeof(err));
    if (status == 200)
        return 0;
    if (status < 0)
        fprintf(stderr, "%s: unhealthy: %s\n", prog, err);
    else
        fprintf(stderr, "%s: unhealthy: %s answered %d\n", prog, path, status);
    return 1;
}
