/* display: the guest's screen as the remote console sees it, between the
 * display device that draws it (vga.c) and the readers that send it on
 * (rfb.c: RFB clients, and through them `corral vm screenshot`).
 *
 * The picture is 32-bit pixels 0x00RRGGBB in host byte order, row by row,
 * width pixels a row (no padding).  Changes are tracked per 16x16 tile as
 * a generation number: every frame that changes something gets the next
 * generation, and each tile remembers the generation it last changed in.
 * A reader remembers the generation it has sent and asks which tiles are
 * newer, so any number of readers share one picture and no reader can
 * make the device do more work.
 *
 * Who draws when: the device does not render on its own schedule.  A
 * reader that wants a fresh picture calls display_refresh(), which calls
 * the device's refresh hook on the reader's thread (the I/O thread); the
 * hook renders what changed into the picture between display_begin() and
 * display_end().  So with no client connected the screen costs nothing,
 * and with one connected a static screen costs one cheap check a frame
 * (KVM's dirty log of the framebuffer, a compare of text memory).
 *
 * Locking: display_begin() takes the lock and display_end() drops it; a
 * reader holds it (display_lock) while copying pixels out.  The refresh
 * hook is called without the lock held. */
#ifndef CORRAL_DISPLAY_H
#define CORRAL_DISPLAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define DISPLAY_TILE 16
/* The largest mode the display device offers (Bochs VBE); the picture's
 * memory is reserved for it once and backed only as far as it is used. */
#define DISPLAY_MAX_WIDTH 2560
#define DISPLAY_MAX_HEIGHT 1600
#define DISPLAY_TILES_X (DISPLAY_MAX_WIDTH / DISPLAY_TILE)
#define DISPLAY_TILES_Y (DISPLAY_MAX_HEIGHT / DISPLAY_TILE)

struct display {
    pthread_mutex_t lock;
    uint32_t width, height;   /* 0 x 0 until the device draws something */
    uint32_t *pixels;         /* DISPLAY_MAX_WIDTH * DISPLAY_MAX_HEIGHT */
    uint64_t generation;      /* of the last frame that changed anything */
    uint64_t size_generation; /* of the last change of width or height */
    uint64_t *tile_gen;       /* DISPLAY_TILES_X * DISPLAY_TILES_Y */
    uint64_t frame;           /* the generation being drawn (begin..end) */
    bool frame_changed;
    /* The device's hook: render what changed since its last call. */
    void (*refresh)(void *ctx);
    void *refresh_ctx;
};

/* 0 or -ENOMEM.  The picture starts 0 x 0 (nothing to show). */
int display_init(struct display *d);
void display_destroy(struct display *d);
void display_set_refresh(struct display *d, void (*fn)(void *ctx), void *ctx);

/* Readers: have the device bring the picture up to date (no-op without a
 * device), then lock, look, unlock. */
void display_refresh(struct display *d);
void display_lock(struct display *d);
void display_unlock(struct display *d);
/* With the lock held: did tile (tx, ty) change after generation since? */
bool display_tile_newer(const struct display *d, uint32_t tx, uint32_t ty,
                        uint64_t since);

/* Writers (the device's refresh hook): one frame between begin and end.
 * display_resize() clears the picture to black and marks all of it;
 * it refuses (-EINVAL) sizes of 0 or beyond the maximum, keeping the old. */
void display_begin(struct display *d);
int display_resize(struct display *d, uint32_t width, uint32_t height);
static inline uint32_t *display_row(struct display *d, uint32_t y)
{
    return d->pixels + (uint64_t)y * d->width;
}
/* Mark the rectangle as changed in this frame (clipped to the picture). */
void display_mark(struct display *d, uint32_t x, uint32_t y, uint32_t w,
                  uint32_t h);
void display_end(struct display *d);

#endif
