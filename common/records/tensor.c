#include <math.h>
#include <stdio.h>
#include <string.h>

#include "yolo/records/mp.h"
#include "yolo/records/tensor.h"

static const char *const dtype_names[] = {"f32", "u8", "i32"};
static const size_t dtype_sizes[] = {4, 1, 4};

size_t tensor_dtype_size(tensor_dtype t) { return dtype_sizes[t]; }
const char *tensor_dtype_name(tensor_dtype t) { return dtype_names[t]; }

int tensor_dtype_parse(const char *s, size_t len)
{
    for (int i = 0; i < 3; i++)
        if (strlen(dtype_names[i]) == len && memcmp(s, dtype_names[i], len) == 0)
            return i;
    return -1;
}

int tensor_set_shape(tensor_view *t, int ndim, const int64_t *dims, const char **why)
{
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS) {
        *why = "shape has more than 8 dimensions";
        return -1;
    }
    size_t count = 1, esz = tensor_dtype_size(t->dtype);
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0 || dims[i] > (int64_t)(SIZE_MAX / 8)) {
            *why = "shape has a negative or huge dimension";
            return -1;
        }
        if (dims[i] != 0 && count > SIZE_MAX / esz / (size_t)dims[i]) {
            *why = "shape's element count overflows";
            return -1;
        }
        count *= (size_t)dims[i];
        t->shape[i] = dims[i];
    }
    t->ndim = ndim;
    t->count = count;
    t->nbytes = count * esz;
    return 0;
}

void tensor_shape_str(const tensor_view *t, char *buf, size_t n)
{
    size_t j = 0;
    buf[0] = 0;
    for (int i = 0; i < t->ndim && j + 1 < n; i++)
        j += (size_t)snprintf(buf + j, n - j, "%s%lld", i ? "," : "[", (long long)t->shape[i]);
    if (j + 2 < n)
        snprintf(buf + j, n - j, "%s]", t->ndim ? "" : "[");
}

int tensor_from_object(const msgpack_object *o, tensor_view *t, const char **why)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return 0;
    const msgpack_object *dt = mp_map_get(o, "dtype");
    const msgpack_object *sh = mp_map_get(o, "shape");
    const msgpack_object *da = mp_map_get(o, "data");
    if (!dt || !sh || !da)
        return 0;
    memset(t, 0, sizeof *t);
    int d = dt->type == MSGPACK_OBJECT_STR
                ? tensor_dtype_parse(dt->via.str.ptr, dt->via.str.size) : -1;
    if (d < 0) {
        *why = "dtype is not one of \"f32\", \"u8\", \"i32\"";
        return -1;
    }
    t->dtype = (tensor_dtype)d;
    if (sh->type != MSGPACK_OBJECT_ARRAY) {
        *why = "shape is not an array of integers";
        return -1;
    }
    int64_t dims[TENSOR_MAX_DIMS];
    if (sh->via.array.size > TENSOR_MAX_DIMS) {
        *why = "shape has more than 8 dimensions";
        return -1;
    }
    for (uint32_t i = 0; i < sh->via.array.size; i++) {
        const msgpack_object *e = &sh->via.array.ptr[i];
        if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            *why = "shape is not an array of non-negative integers";
            return -1;
        }
        if (e->via.u64 > (uint64_t)INT64_MAX) {
            *why = "shape has a huge dimension";
            return -1;
        }
        dims[i] = (int64_t)e->via.u64;
    }
    if (tensor_set_shape(t, (int)sh->via.array.size, dims, why) < 0)
        return -1;
    if (da->type != MSGPACK_OBJECT_BIN) {
        *why = "data is not a msgpack bin";
        return -1;
    }
    if (da->via.bin.size != t->nbytes) {
        *why = "data length is not shape x dtype size";
        return -1;
    }
    t->data = (const uint8_t *)da->via.bin.ptr;
    return 1;
}

int tensor_pack_header(msgpack_packer *pk, const tensor_view *t)
{
    const char *dn = tensor_dtype_name(t->dtype);
    int rc = msgpack_pack_map(pk, 3);
    rc |= msgpack_pack_str_with_body(pk, "dtype", 5);
    rc |= msgpack_pack_str_with_body(pk, dn, strlen(dn));
    rc |= msgpack_pack_str_with_body(pk, "shape", 5);
    rc |= msgpack_pack_array(pk, (size_t)t->ndim);
    for (int i = 0; i < t->ndim; i++)
        rc |= msgpack_pack_uint64(pk, (uint64_t)t->shape[i]);
    rc |= msgpack_pack_str_with_body(pk, "data", 4);
    rc |= msgpack_pack_bin(pk, t->nbytes);
    return rc;
}

int tensor_pack(msgpack_packer *pk, const tensor_view *t)
{
    int rc = tensor_pack_header(pk, t);
    return rc | msgpack_pack_bin_body(pk, t->data, t->nbytes);
}

double tensor_get(const tensor_view *t, size_t i)
{
    switch (t->dtype) {
    case TENSOR_F32: {
        float f;
        memcpy(&f, t->data + 4 * i, 4);
        return f;
    }
    case TENSOR_I32: {
        int32_t v;
        memcpy(&v, t->data + 4 * i, 4);
        return v;
    }
    case TENSOR_U8:
        return t->data[i];
    }
    return 0;
}

void tensor_copy_f32(const tensor_view *t, float *dst)
{
    if (t->dtype == TENSOR_F32) {
        memcpy(dst, t->data, t->nbytes);
        return;
    }
    for (size_t i = 0; i < t->count; i++)
        dst[i] = (float)tensor_get(t, i);
}

void tensor_summarise(const tensor_view *t, tensor_stats *s)
{
    memset(s, 0, sizeof *s);
    double m2 = 0; /* Welford's running sum of squared deviations */
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++) {
        double v = tensor_get(t, i);
        if (isnan(v)) {
            s->nan++;
            continue;
        }
        if (isinf(v)) {
            s->inf++;
            continue;
        }
        if (n == 0 || v < s->min)
            s->min = v;
        if (n == 0 || v > s->max)
            s->max = v;
        n++;
        double d = v - s->mean;
        s->mean += d / (double)n;
        m2 += d * (v - s->mean);
    }
    if (n)
        s->std = sqrt(m2 / (double)n);
}
