/* fdio: small file helpers every program needs: the write loop, mkdir -p,
 * an owner-only listening unix socket. */
#ifndef CORRAL_FDIO_H
#define CORRAL_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes, retrying short writes and EINTR; 0 or -errno.
 * On a socket whose peer is gone this raises SIGPIPE unless the program
 * ignores it (corrald and corral do). */
int fdio_write_all(int fd, const void *data, size_t len);

/* Creates path and its missing parents with mode; 0 or -errno. */
int fdio_mkdir_p(const char *path, mode_t mode);

/* A listening unix socket at path (a stale one there is removed), born
 * mode 0600 (umask, then chmod), close-on-exec and non-blocking.  Returns
 * the fd or -errno (-ENAMETOOLONG for a path that does not fit). */
int fdio_unix_listen(const char *path, int backlog);
/* A stream connection to the unix socket at path (close-on-exec): the fd,
 * or -ENAMETOOLONG / -errno. */
int fdio_unix_connect(const char *path);

#endif
