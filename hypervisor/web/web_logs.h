/* web_logs: the system log for GET /api/logs - the last lines of logread's
 * output that contain a search text. */
#ifndef CORRAL_WEB_LOGS_H
#define CORRAL_WEB_LOGS_H

#include <stddef.h>

#include "json.h"

#define WEB_LOG_LINES_DEFAULT 200
#define WEB_LOG_LINES_MAX 5000

/* {"lines":[...]}: the last max_lines lines of text that contain q (case
 * sensitive; NULL or "" matches all), oldest first. */
void web_logs_write(const char *text, size_t len, const char *q, size_t max_lines,
                    struct json_writer *w);
/* The lines parameter: default when absent or empty, else 1..MAX; -1 when
 * it is not such a number. */
long web_logs_lines(const char *text);

#endif
