/* srv_history: the sampler behind GET /api/host/history (see srv.h). */
#include "srv.h"

#include "proto.h"
#include "web_corrald.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void srv_history_sample(struct srv *s)
{
    struct json_writer w;
    struct proto_reply rep;
    char why[256], *reply = NULL;
    size_t len;
    json_writer_init(&w, 256);
    proto_begin_request(&w, "host.info");
    proto_end_request(&w);
    int rc = web_corrald_call(s->opt.socket_path, &w, &reply, &len, NULL, NULL, NULL, why,
                              sizeof(why));
    json_writer_free(&w);
    if (rc == 0 && proto_decode_reply(reply, len, &rep, why, sizeof(why)) == 0) {
        if (rep.ok)
            web_history_add(&s->history, time(NULL), &rep.doc, rep.data);
        proto_reply_free(&rep);
    }
    free(reply);
}

static void *srv_history_loop(void *arg)
{
    for (;;) {
        srv_history_sample(arg);
        sleep(WEB_HISTORY_INTERVAL_S);
    }
    return NULL;
}

int srv_history_start(struct srv *s)
{
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, srv_history_loop, s);
    if (rc)
        return -rc;
    pthread_detach(thread);
    return 0;
}
