/* progress: the numbered steps of an install, each with its time.
 *
 *   corral-install: [3/11] format the EFI system partition (FAT32)
 *   corral-install: [3/11] ok (0.4 s)
 *   ...
 *   corral-install: FAILED at step 4/11 (format the data partition): mke2fs: ...
 *
 * The lines are plain text so that a console, a log file and the console
 * UI (which runs corral-install and shows its output) all read them. */
#ifndef CORRAL_INSTALLER_PROGRESS_H
#define CORRAL_INSTALLER_PROGRESS_H

#include <stdio.h>

struct progress {
    FILE *out;
    int total;
    int current;
    const char *name;       /* the step under way */
    double step_started;    /* seconds, monotonic */
    double started;
};

void progress_init(struct progress *p, FILE *out, int total);
void progress_step(struct progress *p, const char *name);
/* Prints the step's time; returns it in seconds. */
double progress_step_done(struct progress *p);
/* Prints which step failed and why. */
void progress_fail(struct progress *p, const char *why);
/* Prints the total time; returns it. */
double progress_finish(struct progress *p);

#endif
