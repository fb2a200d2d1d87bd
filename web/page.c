/* SPDX-License-Identifier: Apache-2.0 */
/*
 * page.c: see page.h.
 */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* Returns s as a quoted JSON string, escaped by yajl. Caller frees. */
static char *page_json_string(const char *s)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *out;
    size_t len;
    char *copy;

    /* yajl checks UTF-8 when asked; invalid input becomes "". */
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    /* "</" never appears, should the JSON ever be embedded in HTML. */
    yajl_gen_config(g, yajl_gen_escape_solidus, 1);
    if (yajl_gen_string(g, (const unsigned char *)s, strlen(s)) !=
        yajl_gen_status_ok) {
        yajl_gen_free(g);
        return xstrdup("\"\"");
    }
    yajl_gen_get_buf(g, &out, &len);
    copy = xmalloc(len + 1);
    memcpy(copy, out, len);
    copy[len] = '\0';
    yajl_gen_free(g);
    return copy;
}

void page_init(struct page *p, const char *name, const char *hostname)
{
    p->name_html = html_escape(name);
    p->host_html = html_escape(hostname);
    p->name_json = page_json_string(name);
    p->host_json = page_json_string(hostname);
}

void page_free(struct page *p)
{
    free(p->name_html);
    free(p->host_html);
    free(p->name_json);
    free(p->host_json);
    memset(p, 0, sizeof(*p));
}

size_t page_render_html(const struct page *p,
                        int have_visits,
                        long long visits,
                        char *out,
                        size_t cap)
{
    int n;

    if (have_visits)
        n = snprintf(out, cap,
                     "<h3>Hello %s!</h3><b>Hostname:</b> %s<br/>"
                     "<b>Visits:</b> %lld",
                     p->name_html, p->host_html, visits);
    else
        n = snprintf(out, cap,
                     "<h3>Hello %s!</h3><b>Hostname:</b> %s<br/>"
                     "<b>Visits:</b> " PAGE_REDIS_DOWN,
                     p->name_html, p->host_html);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

size_t page_render_json(const struct page *p,
                        int have_visits,
                        long long visits,
                        char *out,
                        size_t cap)
{
    char count[32];
    int n;

    if (have_visits)
        snprintf(count, sizeof(count), "%lld", visits);
    else
        snprintf(count, sizeof(count), "null");
    n = snprintf(out, cap,
                 "{\"name\":%s,\"hostname\":%s,\"visits\":%s,"
                 "\"redis\":\"%s\"}\n",
                 p->name_json, p->host_json, count,
                 have_visits ? "up" : "down");
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

void page_render_metrics(struct buf *b, const struct page_metrics *m)
{
    size_t i;

    buf_append_str(b, "# HELP hello_requests_total HTTP requests answered, "
                      "by status code.\n"
                      "# TYPE hello_requests_total counter\n");
    for (i = 0; i < m->ncodes; i++)
        buf_printf(b, "hello_requests_total{code=\"%u\"} %llu\n", m->codes[i],
                   (unsigned long long)m->counts[i]);
    buf_printf(b,
               "# HELP hello_redis_up Whether Redis is reachable (1) or the "
               "counter is disabled (0).\n"
               "# TYPE hello_redis_up gauge\n"
               "hello_redis_up %d\n"
               "# HELP hello_redis_errors_total Requests answered without a "
               "count because Redis failed or was down.\n"
               "# TYPE hello_redis_errors_total counter\n"
               "hello_redis_errors_total %llu\n"
               "# HELP hello_redis_outages_total Times Redis went down.\n"
               "# TYPE hello_redis_outages_total counter\n"
               "hello_redis_outages_total %llu\n"
               "# HELP hello_visits_total Visits counted in Redis by this "
               "replica.\n"
               "# TYPE hello_visits_total counter\n"
               "hello_visits_total %llu\n"
               "# HELP hello_page_requests_total GET / and GET /api "
               "requests, with or without a count (what the visualizer "
               "shows).\n"
               "# TYPE hello_page_requests_total counter\n"
               "hello_page_requests_total %llu\n"
               "# HELP hello_http_connections Open HTTP connections.\n"
               "# TYPE hello_http_connections gauge\n"
               "hello_http_connections %u\n"
               "# HELP process_start_time_seconds Start time of the process "
               "since the Unix epoch.\n"
               "# TYPE process_start_time_seconds gauge\n"
               "process_start_time_seconds %.3f\n",
               m->redis_up, (unsigned long long)m->redis_errors,
               (unsigned long long)m->redis_outages,
               (unsigned long long)m->visits_counted,
               (unsigned long long)m->page_requests, m->connections,
               m->start_time);
}
