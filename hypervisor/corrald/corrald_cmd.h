/* corrald_cmd: what the command handlers (corrald_cmd.c, corrald_disk.c)
 * share.  A handler writes exactly one reply into r->w. */
#ifndef CORRAL_CORRALD_CMD_H
#define CORRAL_CORRALD_CMD_H

#include "corrald.h"

struct corrald_request {
    struct corrald *d;
    struct corrald_client *client;
    struct proto_request req;
    struct json_writer *w;
};

/* Replaces whatever was written with an error reply. */
void corrald_fail(struct corrald_request *r, const char *code, const char *message);
/* The VM named by args.name, or NULL after an error reply. */
struct corrald_vm *corrald_arg_vm(struct corrald_request *r);
/* Checks def as a whole and writes its vm.conf; error reply on failure. */
int corrald_write_def(struct corrald_request *r, const struct vmdef *def);
/* Creates a sparse file of size bytes (never over an existing one);
 * 0 or -errno with "path: reason" in why. */
int corrald_create_sparse(const char *path, uint64_t size, char *why, size_t why_len);

/* corrald_disk.c */
void corrald_cmd_disk_create(struct corrald_request *r);
void corrald_cmd_disk_resize(struct corrald_request *r);
void corrald_cmd_disk_list(struct corrald_request *r);

/* corrald_vnc.c */
void corrald_cmd_vm_vnc(struct corrald_request *r);

/* corrald_image.c */
void corrald_cmd_image_list(struct corrald_request *r);
void corrald_cmd_image_delete(struct corrald_request *r);
void corrald_cmd_image_upload(struct corrald_request *r);
void corrald_cmd_vm_log(struct corrald_request *r);

#endif
