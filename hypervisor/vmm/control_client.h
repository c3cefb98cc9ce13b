/* control_client: corral-vmm --control-send PATH CMD...: a small client
 * of the control socket for scripts and people (BusyBox nc has no unix
 * sockets).  Sends each command in turn on one connection and prints each
 * reply line on stdout; after "console" (last), relays the console to
 * stdout and stdin to the guest until the VMM closes the connection.
 * Returns 0 when every reply was "ok", 1 when one was an error (the rest
 * are not sent), 2 when the socket cannot be reached or does not speak
 * protocol 1. */
#ifndef CORRAL_CONTROL_CLIENT_H
#define CORRAL_CONTROL_CLIENT_H

int control_client_run(const char *path, char **cmds, int ncmds);

#endif
