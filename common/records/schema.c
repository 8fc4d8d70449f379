#include <math.h>
#include <stdio.h>

#include "yolo/records/schema.h"

/* What a value must be. */
typedef enum { T_INT, T_NUM, T_BOOL, T_STR, T_MAP, T_LIST, T_TENSOR, T_BOX } vtype;

static const char *const vtype_names[] = {
    "an integer", "a number", "a bool", "a string", "a map", "an array", "a tensor",
    "an array of 4 numbers [x1,y1,x2,y2]",
};

typedef struct field {
    const char *key;
    vtype type;
} field;

/* Checks o against t; path names it in messages. */
static int check_value(const rec *r, const msgpack_object *o, vtype t, const char *path, yerr *err)
{
    int64_t i;
    double d;
    int ok = 1;
    switch (t) {
    case T_INT: ok = mp_as_i64(o, &i) == 0; break;
    case T_NUM: ok = mp_as_f64(o, &d) == 0; break;
    case T_BOOL: ok = o->type == MSGPACK_OBJECT_BOOLEAN; break;
    case T_STR: ok = o->type == MSGPACK_OBJECT_STR; break;
    case T_MAP: ok = o->type == MSGPACK_OBJECT_MAP; break;
    case T_LIST: ok = o->type == MSGPACK_OBJECT_ARRAY; break;
    case T_BOX:
        ok = o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 4;
        for (uint32_t k = 0; ok && k < 4; k++)
            ok = mp_as_f64(&o->via.array.ptr[k], &d) == 0 && isfinite(d);
        break;
    case T_TENSOR: {
        tensor_view tv;
        return rec_as_tensor(r, o, path, &tv, err);
    }
    }
    if (ok)
        return 0;
    if (t == T_BOX && o->type == MSGPACK_OBJECT_ARRAY)
        return rec_fail(r, err, path, "expected %s, got an array of %u%s", vtype_names[t],
                        o->via.array.size, o->via.array.size == 4 ? " with a non-number" : "");
    return rec_fail(r, err, path, "expected %s, got %s", vtype_names[t], mp_object_type_name(o));
}

/* Checks the listed fields of map m, those that are present. */
static int check_fields(const rec *r, const msgpack_object *m, const field *fs,
                        const char *path, yerr *err)
{
    char sub[256];
    for (const field *f = fs; f->key; f++) {
        const msgpack_object *v = mp_map_get(m, f->key);
        snprintf(sub, sizeof sub, "%s.%s", path, f->key);
        if (v && check_value(r, v, f->type, sub, err) < 0)
            return -1;
    }
    return 0;
}

/* A list of maps, each checked for fields (required ones must be there). */
static int check_list(const rec *r, const msgpack_object *o, const field *fs, int nreq,
                      const char *key, yerr *err)
{
    if (check_value(r, o, T_LIST, key, err) < 0)
        return -1;
    char path[256];
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        snprintf(path, sizeof path, "%s[%u]", key, i);
        if (check_value(r, e, T_MAP, path, err) < 0 || check_fields(r, e, fs, path, err) < 0)
            return -1;
        for (int k = 0; k < nreq; k++)
            if (!mp_map_get(e, fs[k].key))
                return rec_fail(r, err, path, "missing '%s'", fs[k].key);
    }
    return 0;
}

static const field object_fields[] = {
    {"class", T_INT}, {"bbox", T_BOX}, {"name", T_STR}, {"difficult", T_BOOL},
    {"truncated", T_BOOL}, {"iscrowd", T_BOOL}, {"area", T_NUM}, {NULL, 0},
};
static const field detection_fields[] = {
    {"class", T_INT}, {"score", T_NUM}, {"bbox", T_BOX}, {"name", T_STR},
    {"objectness", T_NUM}, {"prediction", T_INT}, {"track_id", T_INT}, {NULL, 0},
};
static const field head_fields[] = {
    {"type", T_STR}, {"tensor", T_TENSOR}, {"anchors", T_LIST}, {"mask", T_LIST},
    {"classes", T_INT}, {"coords", T_INT}, {"num", T_INT}, {"side", T_INT},
    {"softmax", T_BOOL}, {"sqrt", T_BOOL}, {"net_w", T_INT}, {"net_h", T_INT}, {NULL, 0},
};
static const field transform_fields[] = {
    {"net_w", T_INT}, {"net_h", T_INT}, {"sx", T_NUM}, {"sy", T_NUM},
    {"dx", T_NUM}, {"dy", T_NUM}, {NULL, 0},
};
static const field loss_fields[] = {
    {"total", T_NUM}, {"xy", T_NUM}, {"wh", T_NUM}, {"obj", T_NUM}, {"noobj", T_NUM},
    {"class", T_NUM}, {"avg_iou", T_NUM}, {"recall50", T_NUM}, {"count", T_INT}, {NULL, 0},
};
static const field top_scalars[] = {
    {"id", T_STR}, {"image", T_STR}, {"width", T_INT}, {"height", T_INT},
    {"coco_id", T_INT}, {"coco_category_ids", T_LIST}, {"error", T_STR},
    {"input", T_TENSOR}, {"target", T_LIST},
    {"truth", T_TENSOR}, {"frame", T_TENSOR}, {"pts", T_INT}, {"time", T_NUM},
    {"fps", T_NUM}, {"wall", T_NUM}, {NULL, 0},
};

int rec_get_image_side(rec *r, const char *key, int64_t *v, yerr *err)
{
    int rc = rec_get_i64(r, key, v, err);
    if (rc == 1 && (*v < 1 || *v > REC_MAX_IMAGE_SIDE))
        return rec_fail(r, err, key, "%lld is not an image size in pixels (1 to %d)",
                        (long long)*v, REC_MAX_IMAGE_SIDE);
    return rc;
}

int rec_get_image_size(rec *r, const char *need, double wh[2], yerr *err)
{
    static const char *const keys[2] = {"width", "height"};
    for (int k = 0; k < 2; k++) {
        int64_t v;
        int rc = rec_get_image_side(r, keys[k], &v, err);
        if (rc <= 0)
            return rc < 0 ? -1 : rec_fail(r, err, keys[k], "%s", need);
        wh[k] = (double)v;
    }
    return 0;
}

int rec_check_schema(rec *r, yerr *err)
{
    const msgpack_object *o;
    for (const field *f = top_scalars; f->key; f++) {
        int rc = rec_get(r, f->key, &o, err);
        if (rc < 0 || (rc == 1 && check_value(r, o, f->type, f->key, err) < 0))
            return -1;
    }
    int64_t side;
    if (rec_get_image_side(r, "width", &side, err) < 0 ||
        rec_get_image_side(r, "height", &side, err) < 0)
        return -1;
    int rc;
    if ((rc = rec_get(r, "objects", &o, err)) < 0 ||
        (rc == 1 && check_list(r, o, object_fields, 2, "objects", err) < 0))
        return -1;
    if ((rc = rec_get(r, "detections", &o, err)) < 0 ||
        (rc == 1 && check_list(r, o, detection_fields, 3, "detections", err) < 0))
        return -1;
    if ((rc = rec_get(r, "output", &o, err)) < 0 ||
        (rc == 1 && check_list(r, o, head_fields, 2, "output", err) < 0))
        return -1;
    if ((rc = rec_get(r, "transform", &o, err)) < 0 ||
        (rc == 1 && (check_value(r, o, T_MAP, "transform", err) < 0 ||
                     check_fields(r, o, transform_fields, "transform", err) < 0)))
        return -1;
    if ((rc = rec_get(r, "loss", &o, err)) < 0 ||
        (rc == 1 && (check_value(r, o, T_MAP, "loss", err) < 0 ||
                     check_fields(r, o, loss_fields, "loss", err) < 0)))
        return -1;
    if ((rc = rec_get(r, "grad", &o, err)) < 0 ||
        (rc == 1 && check_value(r, o, T_LIST, "grad", err) < 0))
        return -1;
    char path[32];
    for (uint32_t i = 0; rc == 1 && i < o->via.array.size; i++) {
        snprintf(path, sizeof path, "grad[%u]", i);
        if (check_value(r, &o->via.array.ptr[i], T_TENSOR, path, err) < 0)
            return -1;
    }
    return 0;
}
