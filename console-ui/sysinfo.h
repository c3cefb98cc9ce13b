/* sysinfo: what the home screen shows about the machine, parsed from the
 * text of /proc files (so that the parsers are tested on fixed text) and
 * read from the status files the boot writes in /run/corral/status. */
#ifndef CORRAL_SETUP_SYSINFO_H
#define CORRAL_SETUP_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

#include "cpustat.h" /* cpu_sample: shared with corrald's host.info */

/* From /proc/meminfo: MemTotal and MemAvailable in KiB.  0 or -EINVAL. */
int meminfo_parse(const char *text, uint64_t *total_kib, uint64_t *available_kib);
/* From /proc/cpuinfo: the number of processors and the first model name
 * (empty when absent). */
void cpuinfo_parse(const char *text, unsigned *count, char *model, size_t len);
/* The value of KEY=value in /etc/corral-release text ("" when absent). */
void release_value(const char *text, const char *key, char *out, size_t len);

/* Reads a whole small file into buf (NUL terminated, truncated to len-1,
 * trailing newlines removed).  Returns bytes kept or -errno. */
long read_small_file(const char *path, char *buf, size_t len);

/* The test seam: paths below $CORRAL_SETUP_ROOT when set (a fake root on a
 * development machine), else the path itself.  Writes into buf. */
const char *root_path(const char *absolute, char *buf, size_t len);

/* One status value written at boot (/run/corral/status/NAME), or fallback
 * when there is none. */
void status_read(const char *name, char *out, size_t len, const char *fallback);

#endif
