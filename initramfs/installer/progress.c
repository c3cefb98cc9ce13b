/* progress: numbered, timed install steps (progress.h). */
#include "progress.h"

#include "clock.h"

/* Monotonic seconds: what the step times are printed in. */
static double progress_now(void)
{
    return (double)clock_monotonic_ns() / 1e9;
}

void progress_init(struct progress *p, FILE *out, int total)
{
    p->out = out;
    p->total = total;
    p->current = 0;
    p->name = NULL;
    p->started = progress_now();
    p->step_started = p->started;
}

void progress_step(struct progress *p, const char *name)
{
    p->current++;
    p->name = name;
    p->step_started = progress_now();
    fprintf(p->out, "corral-install: [%d/%d] %s\n", p->current, p->total, name);
    fflush(p->out);
}

double progress_step_done(struct progress *p)
{
    double took = progress_now() - p->step_started;
    fprintf(p->out, "corral-install: [%d/%d] ok (%.1f s)\n", p->current, p->total, took);
    fflush(p->out);
    return took;
}

void progress_fail(struct progress *p, const char *why)
{
    if (p->name)
        fprintf(p->out, "corral-install: FAILED at step %d/%d (%s): %s\n", p->current,
                p->total, p->name, why);
    else
        fprintf(p->out, "corral-install: FAILED: %s\n", why);
    fflush(p->out);
}

double progress_finish(struct progress *p)
{
    double took = progress_now() - p->started;
    fprintf(p->out, "corral-install: all %d steps done in %.1f s\n", p->total, took);
    fflush(p->out);
    return took;
}
