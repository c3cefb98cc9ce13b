/* display: the shared picture and its tile generations (see display.h). */
#include "display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DISPLAY_PIXEL_BYTES \
    ((size_t)DISPLAY_MAX_WIDTH * DISPLAY_MAX_HEIGHT * sizeof(uint32_t))

int display_init(struct display *d)
{
    memset(d, 0, sizeof(*d));
    /* Reserved, not committed: a 1024x768 screen touches 3 of the 16 MiB. */
    void *p = mmap(NULL, DISPLAY_PIXEL_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    d->pixels = p;
    d->tile_gen = calloc((size_t)DISPLAY_TILES_X * DISPLAY_TILES_Y,
                         sizeof(uint64_t));
    if (!d->tile_gen) {
        munmap(p, DISPLAY_PIXEL_BYTES);
        d->pixels = NULL;
        return -ENOMEM;
    }
    pthread_mutex_init(&d->lock, NULL);
    return 0;
}

void display_destroy(struct display *d)
{
    if (!d->pixels)
        return;
    munmap(d->pixels, DISPLAY_PIXEL_BYTES);
    free(d->tile_gen);
    pthread_mutex_destroy(&d->lock);
    d->pixels = NULL;
    d->tile_gen = NULL;
}

void display_set_refresh(struct display *d, void (*fn)(void *ctx), void *ctx)
{
    d->refresh = fn;
    d->refresh_ctx = ctx;
}

void display_refresh(struct display *d)
{
    if (d->refresh)
        d->refresh(d->refresh_ctx);
}

void display_lock(struct display *d)
{
    pthread_mutex_lock(&d->lock);
}

void display_unlock(struct display *d)
{
    pthread_mutex_unlock(&d->lock);
}

bool display_tile_newer(const struct display *d, uint32_t tx, uint32_t ty,
                        uint64_t since)
{
    if (tx >= DISPLAY_TILES_X || ty >= DISPLAY_TILES_Y)
        return false;
    return d->tile_gen[(size_t)ty * DISPLAY_TILES_X + tx] > since;
}

void display_begin(struct display *d)
{
    pthread_mutex_lock(&d->lock);
    d->frame = d->generation + 1;
    d->frame_changed = false;
}

int display_resize(struct display *d, uint32_t width, uint32_t height)
{
    if (width == 0 || height == 0 || width > DISPLAY_MAX_WIDTH ||
        height > DISPLAY_MAX_HEIGHT)
        return -EINVAL;
    if (width == d->width && height == d->height)
        return 0;
    d->width = width;
    d->height = height;
    memset(d->pixels, 0, (size_t)width * height * sizeof(uint32_t));
    d->size_generation = d->frame;
    display_mark(d, 0, 0, width, height);
    return 0;
}

void display_mark(struct display *d, uint32_t x, uint32_t y, uint32_t w,
                  uint32_t h)
{
    if (x >= d->width || y >= d->height || w == 0 || h == 0)
        return;
    uint32_t x_end = w > d->width - x ? d->width : x + w;
    uint32_t y_end = h > d->height - y ? d->height : y + h;
    for (uint32_t ty = y / DISPLAY_TILE; ty * DISPLAY_TILE < y_end; ty++)
        for (uint32_t tx = x / DISPLAY_TILE; tx * DISPLAY_TILE < x_end; tx++)
            d->tile_gen[(size_t)ty * DISPLAY_TILES_X + tx] = d->frame;
    d->frame_changed = true;
}

void display_end(struct display *d)
{
    if (d->frame_changed)
        d->generation = d->frame;
    pthread_mutex_unlock(&d->lock);
}
