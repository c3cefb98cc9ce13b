/* duration: a number of seconds as people read it, the same in the corral
 * CLI's tables and the console UI's VM list. */
#ifndef CORRAL_DURATION_H
#define CORRAL_DURATION_H

#include <stddef.h>

/* "1d 02:03:04", or "02:03:04" under a day; a negative count is 0. */
void duration_format(long long seconds, char *buf, size_t len);

#endif
