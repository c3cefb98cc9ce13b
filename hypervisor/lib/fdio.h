/* fdio: the write loop every writer of files and sockets needs. */
#ifndef CORRAL_FDIO_H
#define CORRAL_FDIO_H

#include <stddef.h>

/* Writes all len bytes, retrying short writes and EINTR; 0 or -errno.
 * On a socket whose peer is gone this raises SIGPIPE unless the program
 * ignores it (corrald and corral do). */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
