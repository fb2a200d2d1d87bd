/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shutdown.c: see shutdown.h.
 */
#include "shutdown.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void shutdown_on_signal(uv_signal_t *h, int signum)
{
    struct shutdown_watch *w = h->data;

    if (++w->signals > 1) {
        log_warnx("second %s: exiting now", strsignal(signum));
        _exit(1);
    }
    log_info("%s: shutting down", strsignal(signum));
    w->cb(w->arg, signum);
}

void shutdown_watch_start(uv_loop_t *loop,
                          struct shutdown_watch *w,
                          void (*cb)(void *arg, int signum),
                          void *arg)
{
    signal(SIGPIPE, SIG_IGN);
    w->cb = cb;
    w->arg = arg;
    w->signals = 0;
    uv_signal_init(loop, &w->term);
    uv_signal_init(loop, &w->intr);
    w->term.data = w->intr.data = w;
    uv_signal_start(&w->term, shutdown_on_signal, SIGTERM);
    uv_signal_start(&w->intr, shutdown_on_signal, SIGINT);
}

void shutdown_watch_close(struct shutdown_watch *w)
{
    if (!uv_is_closing((uv_handle_t *)&w->term))
        uv_close((uv_handle_t *)&w->term, NULL);
    if (!uv_is_closing((uv_handle_t *)&w->intr))
        uv_close((uv_handle_t *)&w->intr, NULL);
}
