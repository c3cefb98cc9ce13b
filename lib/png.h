/* png: a 24-bit RGB PNG from 0x00RRGGBB pixels (`corral vm screenshot`).
 *
 * One writer for one format: the signature, IHDR (8-bit RGB, no
 * interlace), the whole picture as one IDAT (zlib, filter type 0 on every
 * row) and IEND, each chunk with its CRC-32. */
#ifndef CORRAL_PNG_H
#define CORRAL_PNG_H

#include <stddef.h>
#include <stdint.h>

/* PNG's own limit is 2^31-1; ours keeps the raw image under 1 GiB. */
#define PNG_MAX_SIDE 16384

/* Encodes width x height pixels (stride pixels a row) into a malloc'd
 * buffer (*out, *out_len).  0, -EINVAL (a side of 0 or over PNG_MAX_SIDE)
 * or -ENOMEM. */
int png_encode(const uint32_t *pixels, uint32_t width, uint32_t height,
               uint32_t stride, uint8_t **out, size_t *out_len);

#endif
