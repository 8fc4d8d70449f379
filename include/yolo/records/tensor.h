/* Tensors as records carry them: a map {dtype, shape, data} whose data is a
 * msgpack bin of little-endian elements in C order (docs/records.md). */
#ifndef YOLO_TENSOR_H
#define YOLO_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "yolo/base/err.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tensor data is little-endian and read in place: big-endian hosts are not supported"
#endif

#define TENSOR_MAX_DIMS 8

typedef enum { TENSOR_F32 = 0, TENSOR_U8 = 1, TENSOR_I32 = 2 } tensor_dtype;

/* A tensor seen in place: data points into the record's bytes (no copy) and
 * is not necessarily aligned, so read it with tensor_copy_f32 or memcpy. */
typedef struct tensor_view {
    tensor_dtype dtype;
    int ndim;
    int64_t shape[TENSOR_MAX_DIMS]; /* [ndim] */
    size_t count;                   /* product of shape */
    const uint8_t *data;            /* [count * dtype size] bytes */
    size_t nbytes;
} tensor_view;

size_t tensor_dtype_size(tensor_dtype t);
const char *tensor_dtype_name(tensor_dtype t);
/* Parses "f32" | "u8" | "i32"; -1 if unknown. */
int tensor_dtype_parse(const char *s, size_t len);

/* Fills shape, ndim and count from dims, checking the bound and overflow of
 * count * dtype size. Returns 0, or -1 with *why set. */
int tensor_set_shape(tensor_view *t, int ndim, const int64_t *dims, const char **why);

/* Writes the shape as "[3,416,416]" into buf[n]. */
void tensor_shape_str(const tensor_view *t, char *buf, size_t n);

/* Is o a tensor map? Returns 1 and fills t; 0 if o is not a map with the
 * three keys (not a tensor at all); -1 if it has them but they are wrong
 * (*why says how: unknown dtype, bad shape, data length mismatch). */
int tensor_from_object(const msgpack_object *o, tensor_view *t, const char **why);

/* Packs {dtype, shape, data} with t's bytes. Returns msgpack's status. */
int tensor_pack(msgpack_packer *pk, const tensor_view *t);
/* Packs the map with the bin header only; the caller writes exactly
 * t->nbytes bytes of data next (msgpack_pack_bin_body). */
int tensor_pack_header(msgpack_packer *pk, const tensor_view *t);

/* Element i as a double, whatever the dtype. */
double tensor_get(const tensor_view *t, size_t i);
/* Copies all elements, converted, into dst[count]. */
void tensor_copy_f32(const tensor_view *t, float *dst);

/* What records-to-json shows of a tensor when not asked for it in full. */
typedef struct tensor_stats {
    double min, max, mean, std; /* over finite elements; 0 when none */
    size_t nan, inf;            /* counts of non-finite elements */
} tensor_stats;
void tensor_summarise(const tensor_view *t, tensor_stats *s);

#endif
