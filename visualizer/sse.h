/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sse.h: Server-Sent Events to every open page, from one shared frame.
 *
 * A frame is one rendered event ("event: state\ndata: {...}\n\n"),
 * reference-counted and shared by every client: publishing costs no copy
 * per client, and a client's memory is a reference and an offset, not a
 * buffer that grows. A client still sending an older frame when a new one
 * is published finishes that event and then jumps to the newest frame,
 * skipping those in between (they are superseded anyway). A client that
 * has not finished a superseded frame within lag_ms is disconnected (its
 * EventSource reconnects and starts from the newest frame).
 *
 * Every 5 s, streams whose pages have closed are ended (libmicrohttpd does
 * not watch suspended connections), and a ": keepalive" comment goes to
 * streams silent for keepalive_ms.
 *
 * libmicrohttpd pulls the bytes through a content-reader callback. With
 * nothing to send, the callback suspends the connection and returns 0
 * (returning 0 without suspending would make libmicrohttpd call it again
 * at once, a busy loop); publishing or a keepalive resumes it.
 */
#ifndef PART5_SSE_H
#define PART5_SSE_H

#include <stddef.h>

#include <stdint.h>
#include <uv.h>

#include "http.h"

struct sse_frame {
    int refs;
    char *data; /* the whole event; owned */
    size_t len;
    size_t json_off; /* where the JSON payload starts in data */
    size_t json_len;
    size_t body_off;        /* in the JSON: what follows "generated_at" */
    uint64_t superseded_ms; /* when a newer frame replaced it; 0 if none */
};

/* The prefix of a "state" event; the JSON follows it on the same line. */
#define SSE_STATE_PREFIX "event: state\ndata: "
/* The same for a "traffic" event (docs/visualizer-api.md). */
#define SSE_TRAFFIC_PREFIX "event: traffic\ndata: "

/*
 * Makes a frame from data (len bytes, taking ownership; free()d with the
 * frame), which holds SSE_STATE_PREFIX, the JSON and "\n\n". body_off is
 * relative to the JSON. The frame starts with one reference.
 */
struct sse_frame *sse_frame_new(char *data, size_t len, size_t body_off);

/* The same for a traffic event: data starts with SSE_TRAFFIC_PREFIX. */
struct sse_frame *
sse_frame_new_traffic(char *data, size_t len, size_t body_off);
struct sse_frame *sse_frame_ref(struct sse_frame *f);
void sse_frame_unref(struct sse_frame *f); /* accepts NULL */

/* 1 when both frames carry the same model, generated_at aside. */
int sse_frame_same(const struct sse_frame *a, const struct sse_frame *b);

struct sse_hub_config {
    unsigned max_clients;  /* streams at once; more get 503 */
    unsigned keepalive_ms; /* ": keepalive" after this much silence */
    unsigned lag_ms;       /* drop a client this late on a superseded frame */
    unsigned retry_ms;     /* the "retry:" advice sent first */
};

struct sse_hub;

/* Creates a hub on loop. Free with sse_hub_free(). */
struct sse_hub *sse_hub_new(uv_loop_t *loop, const struct sse_hub_config *cfg);

/*
 * Frees the hub once its clients are gone (call sse_hub_close() and let
 * the server finish them first). Accepts NULL.
 */
void sse_hub_free(struct sse_hub *hub);

/* Clients connected now. */
unsigned sse_hub_clients(const struct sse_hub *hub);

/*
 * 1 when no more streams are accepted. At the cap, streams whose pages
 * have gone are ended first, so they do not count.
 */
int sse_hub_full(struct sse_hub *hub);

/*
 * Answers req with an event stream: the retry advice, the current frame,
 * then every frame published. Returns what MHD_queue_response() returned.
 */
enum MHD_Result sse_hub_attach(struct sse_hub *hub, struct http_req *req);

/*
 * Makes f the current frame and sends it to every client. Takes the
 * caller's reference.
 */
void sse_hub_publish(struct sse_hub *hub, struct sse_frame *f);

/*
 * Offers f, a new rendering of the model, taking the caller's reference.
 * The same model as the current frame's (generated_at aside): f is
 * dropped. The same as the frame the hub let go of (sse_hub_trim()): sent
 * to nobody (every page has that model), and kept as the current frame
 * only when wanted (a page or GET /api/state needs one now; a periodic
 * re-read of an unchanged swarm does not). Otherwise f is published
 * (sse_hub_publish()). Returns 1 when it was published, 0 when not.
 */
int sse_hub_offer(struct sse_hub *hub, struct sse_frame *f, int wanted);

/*
 * The current frame (borrowed), or NULL before the first publish or once
 * the hub let go of it (see sse_hub_released()). Counts as asking for it.
 */
struct sse_frame *sse_hub_current(struct sse_hub *hub);

/*
 * 1 when the hub let go of its current frame: render the model again and
 * sse_hub_offer() it before a stream or GET /api/state needs it.
 */
int sse_hub_released(const struct sse_hub *hub);

/*
 * Lets go of the current frame when nothing but the hub holds it and
 * nobody asked for it (a stream, sse_hub_current()) or published one since
 * the last call, keeping its model's length and 64-bit FNV-1a hash
 * (enough to tell the next rendering of an unchanged model; not a defence
 * against chosen collisions, which would only need the power to name
 * services, that is the Docker socket). Called every tick (5 s), so an
 * unchanged frame lives 5 to 10 s after its last use.
 */
void sse_hub_trim(struct sse_hub *hub);

/*
 * Makes f (a traffic frame) the current traffic and sends it to every
 * client after the state event it is on, if any. Traffic never replaces
 * a state event: a client behind gets the newest of each. Takes the
 * caller's reference.
 */
void sse_hub_publish_traffic(struct sse_hub *hub, struct sse_frame *f);

/* The current traffic frame (borrowed), or NULL. */
struct sse_frame *sse_hub_traffic(const struct sse_hub *hub);

/* Ends every stream now and refuses new ones (for a drain). */
void sse_hub_close(struct sse_hub *hub);

/* Clients dropped for lagging, since the start. */
uint64_t sse_hub_dropped(const struct sse_hub *hub);

#endif
