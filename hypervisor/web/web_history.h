/* web_history: the host's use over the last hour, for the web client's
 * graphs: a sample every WEB_HISTORY_INTERVAL_S from corrald's host.info,
 * kept in a ring of WEB_HISTORY_SAMPLES. */
#ifndef CORRAL_WEB_HISTORY_H
#define CORRAL_WEB_HISTORY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define WEB_HISTORY_INTERVAL_S 10
#define WEB_HISTORY_SAMPLES (3600 / WEB_HISTORY_INTERVAL_S)

struct web_sample {
    int64_t t;
    int64_t cpu_pct; /* -1: not known yet (the first sample) */
    int64_t mem_used, mem_total, storage_used, storage_total; /* bytes */
};

struct web_history {
    pthread_mutex_t lock;
    struct web_sample ring[WEB_HISTORY_SAMPLES];
    size_t next, count;
    uint64_t last_busy, last_total; /* CPU ticks of the sample before */
};

void web_history_init(struct web_history *h);
/* A sample at t from host.info's data (an object); 0, or -EINVAL when the
 * fields are missing. */
int web_history_add(struct web_history *h, int64_t t, const struct json_doc *doc,
                    const struct json_node *info);
/* {"interval_s":10,"samples":[{"t","cpu_pct","mem_used",...},...]}, oldest
 * first. */
void web_history_write(struct web_history *h, struct json_writer *w);

#endif
