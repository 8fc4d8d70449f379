#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/data/objects.h"

int objlist_push(objlist *l, const yobj *o)
{
    void *v = l->v;
    if (yvec_fit(&v, &l->cap, l->n + 1, sizeof *l->v) < 0)
        return -1;
    l->v = v;
    l->v[l->n++] = *o;
    return 0;
}

void objlist_free(objlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}


static void pack_bool(msgpack_packer *pk, const char *k, int v)
{
    mp_pack_key(pk, k);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

int objects_pack(msgpack_packer *pk, const yobj *v, size_t n)
{
    int rc = msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const yobj *o = &v[i];
        int crowd = !!(o->fields & OBJ_HAS_ISCROWD), area = !!(o->fields & OBJ_HAS_AREA);
        rc |= msgpack_pack_map(pk, (size_t)(5 + crowd + area));
        mp_pack_key(pk, "class");
        rc |= msgpack_pack_int(pk, o->cls);
        mp_pack_key(pk, "name");
        rc |= msgpack_pack_str_with_body(pk, o->name ? o->name : "", o->name_len);
        mp_pack_key(pk, "bbox");
        msgpack_pack_array(pk, 4);
        msgpack_pack_double(pk, o->bbox.x1);
        msgpack_pack_double(pk, o->bbox.y1);
        msgpack_pack_double(pk, o->bbox.x2);
        rc |= msgpack_pack_double(pk, o->bbox.y2);
        pack_bool(pk, "difficult", o->difficult);
        pack_bool(pk, "truncated", o->truncated);
        if (crowd)
            pack_bool(pk, "iscrowd", o->iscrowd);
        if (area) {
            mp_pack_key(pk, "area");
            rc |= msgpack_pack_double(pk, o->area);
        }
    }
    return rc;
}

int rec_set_objects(rec *r, const yobj *v, size_t n, yerr *err)
{
    objects_pack(rec_set_begin(r, "objects"), v, n);
    return rec_set_end(r, err);
}

/* An optional bool field: absent is false. */
static int opt_bool(const rec *r, const msgpack_object *m, const char *k, int *v,
                    const char *path, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, k);
    *v = 0;
    if (o && mp_as_bool(o, v) < 0)
        return rec_fail(r, err, path, "'%s' is %s, not a bool", k, mp_object_type_name(o));
    return 0;
}

static int read_one(const rec *r, const msgpack_object *m, const char *path, yobj *o, yerr *err)
{
    memset(o, 0, sizeof *o);
    o->area = NAN;
    if (m->type != MSGPACK_OBJECT_MAP)
        return rec_fail(r, err, path, "expected a map, got %s", mp_object_type_name(m));
    const msgpack_object *c = mp_map_get(m, "class"), *b = mp_map_get(m, "bbox"),
                         *nm = mp_map_get(m, "name"), *ar = mp_map_get(m, "area");
    int64_t cls;
    if (!c || mp_as_i64(c, &cls) < 0 || cls < 0 || cls > 1000000)
        return rec_fail(r, err, path, "'class' is missing or not an integer in [0, 1000000]");
    o->cls = (int)cls;
    double v[4];
    int ok = b && b->type == MSGPACK_OBJECT_ARRAY && b->via.array.size == 4;
    for (int k = 0; ok && k < 4; k++)
        ok = mp_as_f64(&b->via.array.ptr[k], &v[k]) == 0 && isfinite(v[k]);
    if (!ok)
        return rec_fail(r, err, path, "'bbox' is missing or not 4 finite numbers [x1,y1,x2,y2]");
    o->bbox = (box){v[0], v[1], v[2], v[3]};
    if (nm && mp_as_str(nm, &o->name, &o->name_len) < 0)
        return rec_fail(r, err, path, "'name' is %s, not a string", mp_object_type_name(nm));
    if (ar && mp_as_f64(ar, &o->area) < 0)
        return rec_fail(r, err, path, "'area' is %s, not a number", mp_object_type_name(ar));
    if (ar)
        o->fields |= OBJ_HAS_AREA;
    if (mp_map_get(m, "iscrowd"))
        o->fields |= OBJ_HAS_ISCROWD;
    return opt_bool(r, m, "difficult", &o->difficult, path, err) ||
                   opt_bool(r, m, "truncated", &o->truncated, path, err) ||
                   opt_bool(r, m, "iscrowd", &o->iscrowd, path, err)
               ? -1
               : 0;
}

int rec_get_objects(rec *r, objlist *l, yerr *err)
{
    l->n = 0;
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "objects", &a, err);
    if (rc <= 0)
        return rc;
    char path[48];
    for (uint32_t i = 0; i < a->size; i++) {
        yobj o;
        snprintf(path, sizeof path, "objects[%u]", i);
        if (read_one(r, &a->ptr[i], path, &o, err) < 0)
            return -1;
        if (objlist_push(l, &o) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 1;
}
