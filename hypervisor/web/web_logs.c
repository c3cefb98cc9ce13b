/* web_logs: the system log, searched (see web_logs.h). */
#include "web_logs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool web_line_matches(const char *line, size_t len, const char *q, size_t qlen)
{
    if (qlen == 0)
        return true;
    for (size_t i = 0; i + qlen <= len; i++) {
        if (memcmp(line + i, q, qlen) == 0)
            return true;
    }
    return false;
}

void web_logs_write(const char *text, size_t len, const char *q, size_t max_lines,
                    struct json_writer *w)
{
    size_t qlen = q ? strlen(q) : 0, matched = 0;
    /* Walk back from the end to find where the last max_lines matches start. */
    size_t start = len, end = len;
    while (end > 0 && matched < max_lines) {
        size_t line_end = end;
        if (text[line_end - 1] == '\n')
            line_end--;
        size_t line_start = line_end;
        while (line_start > 0 && text[line_start - 1] != '\n')
            line_start--;
        if (web_line_matches(text + line_start, line_end - line_start, q, qlen)) {
            matched++;
            start = line_start;
        }
        end = line_start;
    }
    json_begin_object(w);
    json_key(w, "lines");
    json_begin_array(w);
    for (size_t pos = start; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (web_line_matches(text + pos, line_len, q, qlen))
            json_string_bytes(w, text + pos, line_len);
        pos += line_len + 1;
    }
    json_end_array(w);
    json_end_object(w);
}

long web_logs_lines(const char *text)
{
    if (!text || !text[0])
        return WEB_LOG_LINES_DEFAULT;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end || errno || v < 1 || v > WEB_LOG_LINES_MAX || text[0] < '0' || text[0] > '9')
        return -1;
    return v;
}
