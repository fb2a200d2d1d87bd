/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shutdown.h: SIGTERM and SIGINT on a libuv loop.
 *
 * Docker stops a task with SIGTERM (or the image's STOPSIGNAL) and kills it
 * after the grace period. The first signal calls the program's callback,
 * which drains; a second one exits at once, for a user at a terminal who
 * presses Ctrl-C twice. SIGPIPE is ignored: a peer that goes away is an
 * error code, not a dead process.
 */
#ifndef PART5_SHUTDOWN_H
#define PART5_SHUTDOWN_H

#include <uv.h>

struct shutdown_watch {
    uv_signal_t term, intr;
    void (*cb)(void *arg, int signum);
    void *arg;
    int signals; /* how many have arrived */
};

/* Starts watching; cb(arg, signum) runs on the loop at the first signal. */
void shutdown_watch_start(uv_loop_t *loop,
                          struct shutdown_watch *w,
                          void (*cb)(void *arg, int signum),
                          void *arg);

/* Closes the signal handles, so the loop can end. */
void shutdown_watch_close(struct shutdown_watch *w);

#endif
