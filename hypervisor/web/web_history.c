/* web_history: the host's use over the last hour (see web_history.h). */
#include "web_history.h"

#include "cpustat.h"

#include <errno.h>
#include <string.h>

void web_history_init(struct web_history *h)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
}

static int64_t web_int(const struct json_doc *doc, const struct json_node *obj,
                       const char *key, int64_t scale, bool *ok)
{
    int64_t v = 0;
    if (!json_get_int(doc, obj, key, &v) || v < 0)
        *ok = false;
    return v * scale;
}

int web_history_add(struct web_history *h, int64_t t, const struct json_doc *doc,
                    const struct json_node *info)
{
    bool ok = true;
    struct cpu_sample now;
    struct web_sample s = { .t = t, .cpu_pct = -1 };
    int64_t total_mib = web_int(doc, info, "memory_total_mib", 1, &ok);
    int64_t avail_mib = web_int(doc, info, "memory_available_mib", 1, &ok);
    now.busy = (uint64_t)web_int(doc, info, "cpu_busy_ticks", 1, &ok);
    now.total = (uint64_t)web_int(doc, info, "cpu_total_ticks", 1, &ok);
    s.storage_total = web_int(doc, info, "storage_total_bytes", 1, &ok);
    s.storage_used = web_int(doc, info, "storage_used_bytes", 1, &ok);
    if (!ok || avail_mib > total_mib)
        return -EINVAL;
    s.mem_total = total_mib << 20;
    s.mem_used = (total_mib - avail_mib) << 20;
    pthread_mutex_lock(&h->lock);
    if (h->last_total) {
        struct cpu_sample before = { h->last_busy, h->last_total };
        s.cpu_pct = cpu_busy_percent(&before, &now);
    }
    h->last_busy = now.busy;
    h->last_total = now.total;
    h->ring[h->next] = s;
    h->next = (h->next + 1) % WEB_HISTORY_SAMPLES;
    if (h->count < WEB_HISTORY_SAMPLES)
        h->count++;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

void web_history_write(struct web_history *h, struct json_writer *w)
{
    pthread_mutex_lock(&h->lock);
    json_begin_object(w);
    json_kv_int(w, "interval_s", WEB_HISTORY_INTERVAL_S);
    json_key(w, "samples");
    json_begin_array(w);
    size_t first = (h->next + WEB_HISTORY_SAMPLES - h->count) % WEB_HISTORY_SAMPLES;
    for (size_t i = 0; i < h->count; i++) {
        const struct web_sample *s = &h->ring[(first + i) % WEB_HISTORY_SAMPLES];
        json_begin_object(w);
        json_kv_int(w, "t", s->t);
        json_key(w, "cpu_pct");
        if (s->cpu_pct < 0)
            json_null(w);
        else
            json_int(w, s->cpu_pct);
        json_kv_int(w, "mem_used", s->mem_used);
        json_kv_int(w, "mem_total", s->mem_total);
        json_kv_int(w, "storage_used", s->storage_used);
        json_kv_int(w, "storage_total", s->storage_total);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
    pthread_mutex_unlock(&h->lock);
}
