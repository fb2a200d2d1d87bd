/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the command line the two servers share. With no argument they
 * serve; --help and --version print and exit 0; --healthcheck asks the
 * running server for its health page, for an image's HEALTHCHECK in an
 * image with no shell and no curl.
 */
#ifndef PART5_CLI_H
#define PART5_CLI_H

#include <stdio.h>

enum cli_mode {
    CLI_SERVE,
    CLI_HEALTHCHECK,
};

/*
 * Reads argv. Returns CLI_SERVE or CLI_HEALTHCHECK; after --help or
 * --version it exits 0, and after anything else it prints the usage on
 * stderr and exits 2. usage(out) prints the program's help.
 */
enum cli_mode
cli_parse(int argc, char **argv, const char *prog, void (*usage)(FILE *out));

/*
 * The --healthcheck mode: GET http://host:port<path>, at most 3 s. Returns
 * the process's exit code: 0 when the answer is 200, 1 otherwise, with the
 * reason on stderr ("prog: unhealthy: ...").
 */
int cli_healthcheck(const char *prog,
                    const char *host,
                    int port,
                    const char *path);

#endif
