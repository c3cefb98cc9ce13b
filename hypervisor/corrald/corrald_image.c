/* corrald_image: the image store, STATE/images - image.list, image.delete
 * and image.upload (the CLI and the web client both go through here), and
 * vm.log, the tail of a VM's console log. */
#include "corrald_cmd.h"

#include "fdio.h"
#include "image_name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The most vm.log returns: with JSON's escapes (6 bytes for a control
 * byte) the reply stays below PROTO_MAX_REPLY. */
#define CORRALD_LOG_TAIL_MAX (512 * 1024)
#define CORRALD_LOG_TAIL_DEFAULT (64 * 1024)
#define CORRALD_IMAGES_MAX 1024

static void corrald_images_dir(const struct corrald *d, char *buf, size_t len)
{
    snprintf(buf, len, "%s/images", d->cfg.state_dir);
}

static int corrald_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void corrald_cmd_image_list(struct corrald_request *r)
{
    char dir[CORRALD_PATH_MAX], path[CORRALD_PATH_MAX + IMAGE_NAME_MAX + 2];
    char *names[CORRALD_IMAGES_MAX];
    size_t count = 0;
    corrald_images_dir(r->d, dir, sizeof(dir));
    DIR *dh = opendir(dir);
    struct dirent *e;
    while (dh && count < CORRALD_IMAGES_MAX && (e = readdir(dh))) {
        /* in-progress imports and uploads (NAME.part.XXXXXX) are not images */
        if (image_name_valid(e->d_name) && !strstr(e->d_name, ".part."))
            names[count++] = strdup(e->d_name);
        if (count && !names[count - 1])
            count--;
    }
    if (dh)
        closedir(dh);
    qsort(names, count, sizeof(names[0]), corrald_compare_names);
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "dir", dir);
    json_key(r->w, "images");
    json_begin_array(r->w);
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            json_begin_object(r->w);
            json_kv_string(r->w, "name", names[i]);
            json_kv_int(r->w, "size_bytes", (int64_t)st.st_size);
            json_kv_string(r->w, "kind", image_kind(names[i]));
            json_kv_string(r->w, "path", path);
            json_end_object(r->w);
        }
        free(names[i]);
    }
    json_end_array(r->w);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

void corrald_cmd_image_delete(struct corrald_request *r)
{
    const char *name = proto_arg_string(&r->req, "name");
    char dir[CORRALD_PATH_MAX], path[CORRALD_PATH_MAX + IMAGE_NAME_MAX + 2], msg[sizeof(path) + 80];
    if (!image_name_valid(name)) {
        corrald_fail(r, PROTO_E_INVALID, "\"name\": an image name (letters, digits, . _ - +)");
        return;
    }
    corrald_images_dir(r->d, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, sizeof(msg), "no image called '%s'", name);
        corrald_fail(r, PROTO_E_NOT_FOUND, msg);
        return;
    }
    if (unlink(path) < 0) {
        snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
        corrald_fail(r, PROTO_E_IO, msg);
        return;
    }
    corrald_log("image %s deleted", name);
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", name);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

/* The last want bytes of the file at path into a malloc'd buffer. */
static int corrald_read_tail(const char *path, size_t want, char **text, size_t *len,
                             int64_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *text = NULL;
    *len = 0;
    *size = 0;
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return -errno;
    }
    *size = st.st_size;
    off_t from = st.st_size > (off_t)want ? st.st_size - (off_t)want : 0;
    *text = malloc(want + 1);
    ssize_t n = *text ? pread(fd, *text, want, from) : -1;
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    *len = (size_t)n;
    return 0;
}

void corrald_cmd_vm_log(struct corrald_request *r)
{
    struct corrald_vm *vm = corrald_arg_vm(r);
    long long want = CORRALD_LOG_TAIL_DEFAULT;
    char path[CORRALD_PATH_MAX], msg[CORRALD_PATH_MAX + 64], *text;
    size_t len;
    int64_t size;
    if (!vm)
        return;
    if (proto_arg(&r->req, "bytes") &&
        (!proto_arg_int(&r->req, "bytes", &want) || want < 0 || want > CORRALD_LOG_TAIL_MAX)) {
        snprintf(msg, sizeof(msg), "\"bytes\": 0 to %d", CORRALD_LOG_TAIL_MAX);
        corrald_fail(r, PROTO_E_INVALID, msg);
        return;
    }
    corrald_vm_path(r->d, vm->name, "console.log", path, sizeof(path));
    int rc = corrald_read_tail(path, (size_t)want, &text, &len, &size);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-rc));
        corrald_fail(r, PROTO_E_IO, msg);
        free(text);
        return;
    }
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", vm->name);
    json_kv_string(r->w, "path", path);
    json_kv_int(r->w, "size_bytes", size);
    json_key(r->w, "log");
    json_string_bytes(r->w, text ? text : "", len);
    json_end_object(r->w);
    proto_end_reply(r->w);
    free(text);
}

/* ---- upload ---------------------------------------------------------------- */

/* image.upload {name, size}: replies ok (ready), after which the client
 * sends exactly size raw bytes; they go to IMAGES/NAME.part.XXXXXX, which
 * becomes IMAGES/NAME once complete (never over an existing image), and a
 * second reply says how that went.  A client that goes away before the end
 * leaves nothing behind. */
void corrald_cmd_image_upload(struct corrald_request *r)
{
    struct corrald_upload *u = &r->client->upload;
    const char *name = proto_arg_string(&r->req, "name");
    long long size;
    char dir[CORRALD_DIR_MAX + 8], msg[CORRALD_PATH_MAX + 128];
    if (!image_name_valid(name) || strstr(name, ".part.")) {
        corrald_fail(r, PROTO_E_INVALID, "\"name\": an image name (letters, digits, . _ - +)");
        return;
    }
    if (!proto_arg_int(&r->req, "size", &size) || size < 0) {
        corrald_fail(r, PROTO_E_INVALID, "\"size\": the number of bytes that follow");
        return;
    }
    corrald_images_dir(r->d, dir, sizeof(dir));
    fdio_mkdir_p(dir, 0700); /* a failure shows when the file is made */
    snprintf(u->dest, sizeof(u->dest), "%s/%s", dir, name);
    if (access(u->dest, F_OK) == 0) {
        snprintf(msg, sizeof(msg), "an image called '%s' exists already", name);
        corrald_fail(r, PROTO_E_EXISTS, msg);
        return;
    }
    snprintf(u->tmp, sizeof(u->tmp), "%s.part.XXXXXX", u->dest);
    int fd = mkostemp(u->tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, sizeof(msg), "%s: %s", dir, strerror(errno));
        corrald_fail(r, PROTO_E_IO, msg);
        return;
    }
    u->fd = fd;
    u->size = (uint64_t)size;
    u->done = 0;
    snprintf(u->name, sizeof(u->name), "%s", name);
    corrald_log("image %s: upload of %lld bytes started", name, size);
    proto_begin_reply(r->w);
    json_begin_object(r->w);
    json_kv_string(r->w, "name", name);
    json_kv_int(r->w, "size_bytes", size);
    json_kv_bool(r->w, "ready", true);
    json_end_object(r->w);
    proto_end_reply(r->w);
}

void corrald_upload_abort(struct corrald_client *c)
{
    struct corrald_upload *u = &c->upload;
    if (u->fd < 0)
        return;
    close(u->fd);
    unlink(u->tmp);
    u->fd = -1;
    corrald_log("image %s: upload aborted after %llu of %llu bytes; nothing kept", u->name,
                (unsigned long long)u->done, (unsigned long long)u->size);
}

/* The upload is complete: keep it under its name and say so. */
static void corrald_upload_finish(struct corrald_client *c)
{
    struct corrald_upload *u = &c->upload;
    struct json_writer w;
    char msg[2 * CORRALD_PATH_MAX];
    int err = fsync(u->fd) < 0 ? errno : 0;
    /* link() never replaces: an image made meanwhile under that name wins */
    if (!err && link(u->tmp, u->dest) < 0)
        err = errno;
    close(u->fd);
    unlink(u->tmp);
    u->fd = -1;
    json_writer_init(&w, 4096);
    if (err) {
        snprintf(msg, sizeof(msg), "%s: %s", u->dest, strerror(err));
        proto_error_reply(&w, err == EEXIST ? PROTO_E_EXISTS : PROTO_E_IO, "%s", msg);
    } else {
        corrald_log("image %s: uploaded, %llu bytes", u->name, (unsigned long long)u->size);
        proto_begin_reply(&w);
        json_begin_object(&w);
        json_kv_string(&w, "name", u->name);
        json_kv_string(&w, "path", u->dest);
        json_kv_int(&w, "size_bytes", (int64_t)u->size);
        json_end_object(&w);
        proto_end_reply(&w);
    }
    corrald_send_reply(c, &w);
    json_writer_free(&w);
}

void corrald_upload_feed(struct corrald_client *c, const char *data, size_t n)
{
    struct corrald_upload *u = &c->upload;
    if (n && fdio_write_all(u->fd, data, n) < 0) {
        struct json_writer w;
        json_writer_init(&w, 4096);
        proto_error_reply(&w, PROTO_E_IO, "%s: %s", u->tmp, strerror(errno));
        corrald_send_reply(c, &w);
        json_writer_free(&w);
        corrald_client_close(c); /* aborts: the rest of the stream has nowhere to go */
        return;
    }
    u->done += n;
    if (u->done == u->size)
        corrald_upload_finish(c);
}
