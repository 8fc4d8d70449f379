/* Unit tests for record streams (common/records/record.c, with common/records/tensor.c):
 *   1. round trips of every value type through set -> write -> read -> get
 *   2. pass-through byte for byte of keys not touched
 *   3. every error case, truncation at every byte, random garbage
 *   4. readers from an fd (pipe, file) and a FILE*, big and many records
 *   5. the writer, counts and byte offsets
 * Uses only the public headers and msgpack-c. */
#define _GNU_SOURCE   /* F_GETPIPE_SZ, F_SETPIPE_SZ: the writer's pipe */
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <msgpack.h>

#include "yolo/base/err.h"
#include "yolo/records/mpscan.h"
#include "yolo/records/record.h"
#include "yolo/records/tensor.h"

#include "check.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t n;
} bytes;

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* err is an error with code 2 naming every one of the given strings. */
static int msg_has(const yerr *err, int code, ...)
{
    if (err->code != code)
        return 0;
    va_list ap;
    va_start(ap, code);
    const char *s;
    int ok = 1;
    while ((s = va_arg(ap, const char *)) != NULL)
        if (!strstr(err->msg, s))
            ok = 0;
    va_end(ap);
    return ok;
}

/* Writes records to memory with rec_write. */
static int write_mem(rec *const *rs, int n, bytes *out)
{
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);
    rec_writer w;
    rec_writer_init(&w, f, "<mem>");
    yerr err = {0};
    int rc = 0;
    for (int i = 0; i < n; i++)
        if (rec_write(&w, rs[i], &err) < 0)
            rc = -1;
    fclose(f);
    out->p = (uint8_t *)p;
    out->n = len;
    return rc;
}

static int write_one(const rec *r, bytes *out)
{
    rec *rs[1] = {(rec *)r};
    return write_mem(rs, 1, out);
}

/* A round trip: src written with rec_write, read back into r. */
typedef struct {
    bytes b;
    rec_reader *rd;
    rec r;
} rtrip;

static int rt_begin(rtrip *t, const rec *src, const char *name)
{
    yerr err = {0};
    memset(t, 0, sizeof *t);
    rec_init(&t->r);
    if (write_one(src, &t->b) < 0)
        return -1;
    t->rd = rec_reader_new_mem(t->b.p, t->b.n, name, &err);
    return rec_read(t->rd, &t->r, &err);
}

static void rt_end(rtrip *t)
{
    rec_free(&t->r);
    rec_reader_free(t->rd);
    free(t->b.p);
}

/* Reads a single record from bytes (kept alive by the caller). */
static int read_mem1(const void *p, size_t n, const char *name, rec *r, rec_reader **rd, yerr *err)
{
    *rd = rec_reader_new_mem(p, n, name, err);
    return rec_read(*rd, r, err);
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static void mk_tensor(tensor_view *t, tensor_dtype dt, int ndim, const int64_t *dims, const void *data)
{
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    const char *why = NULL;
    tensor_set_shape(t, ndim, dims, &why);
    t->data = data;
}

/* Walks a written record: header count, then each key's and value's bytes. */
typedef struct {
    size_t count;
    size_t hdr;
    const uint8_t *k[64], *v[64];
    size_t kl[64], vl[64];
} walked;

static int walk(const uint8_t *p, size_t n, walked *w)
{
    memset(w, 0, sizeof *w);
    if (n == 0)
        return -1;
    if (p[0] >= 0x80 && p[0] <= 0x8f) {
        w->count = p[0] & 0x0f;
        w->hdr = 1;
    } else if (p[0] == 0xde && n >= 3) {
        w->count = (size_t)p[1] << 8 | p[2];
        w->hdr = 3;
    } else {
        return -1;
    }
    if (w->count > 64)
        return -1;
    size_t pos = w->hdr;
    for (size_t i = 0; i < w->count; i++) {
        const char *why;
        size_t kl = mp_skip(p + pos, n - pos, &why);
        if (!kl)
            return -1;
        w->k[i] = p + pos;
        w->kl[i] = kl;
        pos += kl;
        size_t vl = mp_skip(p + pos, n - pos, &why);
        if (!vl)
            return -1;
        w->v[i] = p + pos;
        w->vl[i] = vl;
        pos += vl;
    }
    return pos == n ? 0 : -1;
}

/* The walked key i has text s (whatever its str encoding). */
static int wkey_is(const walked *w, size_t i, const char *s)
{
    msgpack_zone z;
    msgpack_zone_init(&z, 256);
    msgpack_object o;
    size_t off = 0;
    int ok = msgpack_unpack((const char *)w->k[i], w->kl[i], &off, &z, &o) == MSGPACK_UNPACK_SUCCESS &&
             o.type == MSGPACK_OBJECT_STR && o.via.str.size == strlen(s) &&
             memcmp(o.via.str.ptr, s, o.via.str.size) == 0;
    msgpack_zone_destroy(&z);
    return ok;
}

static int find_sub(const uint8_t *hay, size_t hn, const uint8_t *nd, size_t nn, size_t from)
{
    for (size_t i = from; i + nn <= hn; i++)
        if (memcmp(hay + i, nd, nn) == 0)
            return (int)i;
    return -1;
}

/* ---- 1. round trips ------------------------------------------------------- */

static const int64_t test_ints[] = {0, -1, 1, 31, -32, -33, 127, 128, 255, 256, 65535, 65536,
                                    INT32_MAX, INT32_MIN, (int64_t)INT32_MAX + 1,
                                    (int64_t)INT32_MIN - 1, INT64_MIN, INT64_MAX};

static void test_roundtrip_scalars(void)
{
    yerr err = {0};
    rec w;
    rec_init(&w);
    char key[32];
    int ok = 1;
    size_t nints = sizeof test_ints / sizeof *test_ints;
    for (size_t i = 0; i < nints; i++) {
        snprintf(key, sizeof key, "i%zu", i);
        ok &= rec_set_i64(&w, key, test_ints[i], &err) == 0;
    }
    CHECK(ok, "rec_set_i64: %zu values set", nints);

    const double dbls[] = {0.0, -0.0, 1.5, -1e300, 0.1, NAN, -NAN, INFINITY, -INFINITY, DBL_MAX,
                           DBL_MIN, 4.9406564584124654e-324 /* smallest denormal */,
                           2.2250738585072009e-308 /* largest denormal */};
    size_t ndbl = sizeof dbls / sizeof *dbls;
    ok = 1;
    for (size_t i = 0; i < ndbl; i++) {
        snprintf(key, sizeof key, "f%zu", i);
        ok &= rec_set_f64(&w, key, dbls[i], &err) == 0;
    }
    CHECK(ok, "rec_set_f64: %zu values set", ndbl);
    CHECK(rec_set_bool(&w, "yes", 1, &err) == 0 && rec_set_bool(&w, "no", 0, &err) == 0 &&
              rec_set_bool(&w, "seven", 7, &err) == 0,
          "rec_set_bool");
    CHECK(rec_set_nil(&w, "nothing", &err) == 0, "rec_set_nil");

    static char longs[70000];
    for (size_t i = 0; i < sizeof longs; i++)
        longs[i] = (char)('A' + i % 26);
    const char utf8[] = "h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
    CHECK(rec_set_cstr(&w, "empty", "", &err) == 0, "rec_set_cstr empty");
    CHECK(rec_set_cstr(&w, "utf8", utf8, &err) == 0, "rec_set_cstr UTF-8");
    CHECK(rec_set_str(&w, "nul", "a\0b\0", 4, &err) == 0, "rec_set_str with embedded NULs");
    CHECK(rec_set_str(&w, "long", longs, sizeof longs, &err) == 0, "rec_set_str 70000 bytes");
    CHECK(rec_set_cstr(&w, "", "empty key", &err) == 0, "rec_set_cstr with an empty key");

    /* the values can be got back before writing too */
    int64_t iv = 0;
    double dv = 0;
    const char *s = NULL;
    size_t sl = 0;
    CHECK(rec_get_i64(&w, "i16", &iv, &err) == 1 && iv == INT64_MIN, "new record: rec_get_i64 before writing");
    CHECK(rec_get_f64(&w, "f2", &dv, &err) == 1 && dv == 1.5, "new record: rec_get_f64 before writing");
    CHECK(rec_get_str(&w, "utf8", &s, &sl, &err) == 1 && sl == strlen(utf8) && memcmp(s, utf8, sl) == 0,
          "new record: rec_get_str before writing");
    CHECK(w.index == -1 && w.raw == NULL, "new record: index -1, no raw bytes");

    rtrip t;
    CHECK(rt_begin(&t, &w, "scalars.rec") == 1, "scalars: written record reads back");
    rec *r = &t.r;
    CHECK(r->index == 0 && strcmp(r->src, "scalars.rec") == 0, "scalars: index 0, src is the reader's name");
    ok = 1;
    for (size_t i = 0; i < nints; i++) {
        snprintf(key, sizeof key, "i%zu", i);
        iv = 12345;
        if (rec_get_i64(r, key, &iv, &err) != 1 || iv != test_ints[i]) {
            ok = 0;
            printf("#   %s: got %lld want %lld\n", key, (long long)iv, (long long)test_ints[i]);
        }
    }
    CHECK(ok, "i64 round trip: 0, -1, INT32 and INT64 limits and every width boundary");
    ok = 1;
    for (size_t i = 0; i < nints; i++) {
        snprintf(key, sizeof key, "i%zu", i);
        if (rec_get_f64(r, key, &dv, &err) != 1 || dv != (double)test_ints[i])
            ok = 0;
    }
    CHECK(ok, "rec_get_f64 accepts every int (converted)");

    ok = 1;
    for (size_t i = 0; i < ndbl; i++) {
        snprintf(key, sizeof key, "f%zu", i);
        dv = 12345;
        if (rec_get_f64(r, key, &dv, &err) != 1 || f64_bits(dv) != f64_bits(dbls[i])) {
            ok = 0;
            printf("#   %s: got %a want %a\n", key, dv, dbls[i]);
        }
    }
    CHECK(ok, "f64 round trip bit for bit: +-0, NaN, +-inf, DBL_MAX, DBL_MIN, denormals");
    CHECK(rec_get_f64(r, "f1", &dv, &err) == 1 && dv == 0 && signbit(dv), "f64: -0.0 keeps its sign");
    CHECK(rec_get_f64(r, "f5", &dv, &err) == 1 && isnan(dv), "f64: NaN is NaN");
    CHECK(rec_get_f64(r, "f7", &dv, &err) == 1 && isinf(dv) && dv > 0, "f64: inf");
    CHECK(rec_get_f64(r, "f11", &dv, &err) == 1 && dv > 0 && dv < DBL_MIN, "f64: denormal stays denormal");

    int bv = -1;
    CHECK(rec_get_bool(r, "yes", &bv, &err) == 1 && bv == 1, "bool true round trip");
    CHECK(rec_get_bool(r, "no", &bv, &err) == 1 && bv == 0, "bool false round trip");
    CHECK(rec_get_bool(r, "seven", &bv, &err) == 1 && bv == 1, "bool set from 7 reads as true");
    const msgpack_object *o = NULL;
    CHECK(rec_get(r, "nothing", &o, &err) == 1 && o->type == MSGPACK_OBJECT_NIL, "nil round trip");
    CHECK(rec_has(r, "nothing") == 1 && rec_has(r, "nothing2") == 0, "rec_has on nil and absent keys");

    CHECK(rec_get_str(r, "empty", &s, &sl, &err) == 1 && sl == 0, "empty string round trip");
    CHECK(rec_get_str(r, "utf8", &s, &sl, &err) == 1 && sl == strlen(utf8) && memcmp(s, utf8, sl) == 0,
          "UTF-8 string round trip");
    CHECK(rec_get_str(r, "nul", &s, &sl, &err) == 1 && sl == 4 && memcmp(s, "a\0b\0", 4) == 0,
          "string with embedded NULs round trip (length 4)");
    CHECK(rec_get_str(r, "long", &s, &sl, &err) == 1 && sl == sizeof longs && memcmp(s, longs, sl) == 0,
          "70000-byte string round trip");
    CHECK(rec_get_str(r, "", &s, &sl, &err) == 1 && sl == 9 && memcmp(s, "empty key", 9) == 0,
          "empty key round trip");
    CHECK(s >= (const char *)r->raw && s + sl <= (const char *)r->raw + r->raw_len,
          "strings are seen in place (inside the record's bytes)");
    rt_end(&t);
    rec_free(&w);
}

static const char *const obj_names[] = {"person", "dog", "traffic light"};
static const float obj_boxes[3][4] = {{0.5f, 0.25f, 100.75f, 200.125f},
                                      {-1.0f, 0.0f, 1e-7f, 3.4e38f},
                                      {10, 20, 30, 40}};

static void pack_objects(msgpack_packer *pk, int n)
{
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++) {
        msgpack_pack_map(pk, 4);
        msgpack_pack_str_with_body(pk, "class", 5);
        msgpack_pack_int(pk, i * 7);
        msgpack_pack_str_with_body(pk, "name", 4);
        msgpack_pack_str_with_body(pk, obj_names[i % 3], strlen(obj_names[i % 3]));
        msgpack_pack_str_with_body(pk, "bbox", 4);
        msgpack_pack_array(pk, 4);
        for (int j = 0; j < 4; j++)
            msgpack_pack_float(pk, obj_boxes[i % 3][j]);
        msgpack_pack_str_with_body(pk, "difficult", 9);
        if (i % 2)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
    }
}

static void test_roundtrip_containers(void)
{
    yerr err = {0};
    rec w;
    rec_init(&w);
    pack_objects(rec_set_begin(&w, "objects"), 3);
    CHECK(rec_set_end(&w, &err) == 0, "objects: rec_set_begin/pack/rec_set_end");
    msgpack_pack_array(rec_set_begin(&w, "none"), 0);
    CHECK(rec_set_end(&w, &err) == 0, "empty array set");

    /* nested maps: {"camera": {"id": 3, "pos": [1.5, -2]}, "tags": ["a", "b"], "empty": {}} */
    msgpack_packer *pk = rec_set_begin(&w, "meta");
    msgpack_pack_map(pk, 3);
    msgpack_pack_str_with_body(pk, "camera", 6);
    msgpack_pack_map(pk, 2);
    msgpack_pack_str_with_body(pk, "id", 2);
    msgpack_pack_int(pk, 3);
    msgpack_pack_str_with_body(pk, "pos", 3);
    msgpack_pack_array(pk, 2);
    msgpack_pack_double(pk, 1.5);
    msgpack_pack_int(pk, -2);
    msgpack_pack_str_with_body(pk, "tags", 4);
    msgpack_pack_array(pk, 2);
    msgpack_pack_str_with_body(pk, "a", 1);
    msgpack_pack_str_with_body(pk, "b", 1);
    msgpack_pack_str_with_body(pk, "empty", 5);
    msgpack_pack_map(pk, 0);
    CHECK(rec_set_end(&w, &err) == 0, "nested map set");

    rtrip t;
    CHECK(rt_begin(&t, &w, "objs.rec") == 1, "containers: written record reads back");
    rec *r = &t.r;
    const msgpack_object_array *a = NULL;
    CHECK(rec_get_array(r, "objects", &a, &err) == 1 && a->size == 3, "objects: array of 3");
    int ok = a && a->size == 3;
    for (uint32_t i = 0; ok && i < 3; i++) {
        const msgpack_object *ob = &a->ptr[i];
        int64_t cls;
        const char *nm;
        size_t nl;
        int diff;
        const msgpack_object *bb = mp_map_get(ob, "bbox");
        ok &= ob->type == MSGPACK_OBJECT_MAP && ob->via.map.size == 4;
        ok &= mp_as_i64(mp_map_get(ob, "class"), &cls) == 0 && cls == (int64_t)i * 7;
        ok &= mp_as_str(mp_map_get(ob, "name"), &nm, &nl) == 0 && nl == strlen(obj_names[i]) &&
              memcmp(nm, obj_names[i], nl) == 0;
        ok &= mp_as_bool(mp_map_get(ob, "difficult"), &diff) == 0 && diff == (int)(i % 2);
        ok &= bb && bb->type == MSGPACK_OBJECT_ARRAY && bb->via.array.size == 4;
        for (uint32_t j = 0; ok && j < 4; j++) {
            double v;
            ok &= mp_as_f64(&bb->via.array.ptr[j], &v) == 0 && v == (double)obj_boxes[i][j];
        }
        ok &= mp_map_get(ob, "absent") == NULL;
    }
    CHECK(ok, "objects: class, name, bbox (4 float32), difficult all round trip");
    CHECK(rec_get_array(r, "none", &a, &err) == 1 && a->size == 0, "empty array round trip");

    const msgpack_object_map *m = NULL;
    CHECK(rec_get_map(r, "meta", &m, &err) == 1 && m->size == 3, "nested map: 3 entries");
    const msgpack_object *meta = NULL;
    rec_get(r, "meta", &meta, &err);
    const msgpack_object *cam = mp_map_get(meta, "camera");
    const msgpack_object *pos = cam ? mp_map_get(cam, "pos") : NULL;
    const msgpack_object *tags = mp_map_get(meta, "tags");
    const msgpack_object *em = mp_map_get(meta, "empty");
    int64_t id = 0;
    double p0 = 0, p1 = 0;
    CHECK(cam && mp_as_i64(mp_map_get(cam, "id"), &id) == 0 && id == 3, "nested map: camera.id");
    CHECK(pos && pos->type == MSGPACK_OBJECT_ARRAY && pos->via.array.size == 2 &&
              mp_as_f64(&pos->via.array.ptr[0], &p0) == 0 && mp_as_f64(&pos->via.array.ptr[1], &p1) == 0 &&
              p0 == 1.5 && p1 == -2,
          "nested map: camera.pos [1.5, -2]");
    CHECK(tags && tags->type == MSGPACK_OBJECT_ARRAY && tags->via.array.size == 2, "nested map: tags");
    CHECK(em && em->type == MSGPACK_OBJECT_MAP && em->via.map.size == 0, "nested map: empty map");

    /* the mp_* helpers on wrong types */
    int64_t iv;
    double dv;
    int bv;
    const char *sv;
    size_t sl;
    CHECK(mp_as_i64(tags, &iv) < 0 && mp_as_f64(tags, &dv) < 0 && mp_as_bool(tags, &bv) < 0 &&
              mp_as_str(tags, &sv, &sl) < 0 && mp_map_get(tags, "x") == NULL,
          "mp_as_* and mp_map_get refuse an array");
    CHECK(strcmp(mp_object_type_name(tags), "array") == 0 && strcmp(mp_object_type_name(meta), "map") == 0 &&
              strcmp(mp_object_type_name(&pos->via.array.ptr[0]), "float") == 0 &&
              strcmp(mp_object_type_name(&pos->via.array.ptr[1]), "int") == 0,
          "mp_object_type_name");
    rt_end(&t);

    /* rec_set_end refuses zero or two objects, and leaves no key behind */
    rec_set_begin(&w, "bad0");
    err.code = 0;
    CHECK(rec_set_end(&w, &err) == -1 && err.code != 0 && !rec_has(&w, "bad0"),
          "rec_set_end with nothing packed: -1, key not set (%s)", err.msg);
    pk = rec_set_begin(&w, "bad2");
    msgpack_pack_int(pk, 1);
    msgpack_pack_int(pk, 2);
    err.code = 0;
    CHECK(rec_set_end(&w, &err) == -1 && err.code != 0 && !rec_has(&w, "bad2"),
          "rec_set_end with two objects packed: -1, key not set (%s)", err.msg);
    pk = rec_set_begin(&w, "bad_open");
    msgpack_pack_array(pk, 2);
    msgpack_pack_int(pk, 1);
    err.code = 0;
    CHECK(rec_set_end(&w, &err) == -1 && !rec_has(&w, "bad_open"),
          "rec_set_end with an incomplete array: -1, key not set");
    err.code = 0;
    CHECK(rec_set_end(&w, &err) == -1 && err.code != 0, "rec_set_end without rec_set_begin: -1");
    CHECK(rec_set_raw(&w, "rawbad", (const uint8_t *)"\xc1", 1, &err) == -1 && !rec_has(&w, "rawbad"),
          "rec_set_raw with invalid msgpack: -1, key not set");
    /* the record is still fine to write */
    CHECK(rt_begin(&t, &w, "objs.rec") == 1 && rec_has(&t.r, "objects") && !rec_has(&t.r, "bad0") &&
              !rec_has(&t.r, "bad2") && !rec_has(&t.r, "rawbad"),
          "after failed sets the record writes and reads back without them");
    rt_end(&t);
    rec_free(&w);
}

static int tensor_eq(const tensor_view *a, const tensor_view *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->count != b->count || a->nbytes != b->nbytes)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

static void test_roundtrip_tensors(void)
{
    yerr err = {0};
    rec w;
    rec_init(&w);

    float f[6] = {-1.0f, 0.5f, NAN, INFINITY, -0.0f, 1e-40f};
    uint8_t u[48];
    for (int i = 0; i < 48; i++)
        u[i] = (uint8_t)(i * 37 + 1);
    int32_t iv[5] = {INT32_MIN, -1, 0, 1, INT32_MAX};
    uint8_t u8d[16];
    for (int i = 0; i < 16; i++)
        u8d[i] = (uint8_t)(255 - i);
    float dummy = 0, scalar = 42.5f;

    tensor_view tf, tu, ti, t0, t8, ts;
    mk_tensor(&tf, TENSOR_F32, 2, (const int64_t[]){2, 3}, f);
    mk_tensor(&tu, TENSOR_U8, 3, (const int64_t[]){3, 4, 4}, u);
    mk_tensor(&ti, TENSOR_I32, 1, (const int64_t[]){5}, iv);
    mk_tensor(&t0, TENSOR_F32, 2, (const int64_t[]){0, 3}, &dummy);
    mk_tensor(&t8, TENSOR_U8, 8, (const int64_t[]){1, 2, 1, 2, 1, 2, 1, 2}, u8d);
    mk_tensor(&ts, TENSOR_F32, 0, NULL, &scalar);
    CHECK(tf.count == 6 && tf.nbytes == 24 && tu.nbytes == 48 && ti.nbytes == 20 && t0.count == 0 &&
              t0.nbytes == 0 && t8.count == 16 && ts.count == 1 && ts.nbytes == 4,
          "tensor_set_shape: counts and byte sizes");

    CHECK(rec_set_tensor(&w, "f32", &tf, &err) == 0, "rec_set_tensor f32 [2,3]");
    CHECK(rec_set_tensor(&w, "u8", &tu, &err) == 0, "rec_set_tensor u8 [3,4,4]");
    CHECK(rec_set_tensor(&w, "i32", &ti, &err) == 0, "rec_set_tensor i32 [5]");
    CHECK(rec_set_tensor(&w, "zero", &t0, &err) == 0, "rec_set_tensor f32 [0,3] (0 elements)");
    CHECK(rec_set_tensor(&w, "dims8", &t8, &err) == 0, "rec_set_tensor u8 with 8 dims");
    CHECK(rec_set_tensor(&w, "scalar", &ts, &err) == 0, "rec_set_tensor f32 [] (a scalar)");

    tensor_view ta;
    mk_tensor(&ta, TENSOR_I32, 2, (const int64_t[]){4, 4}, NULL);
    int32_t *dst = rec_set_tensor_alloc(&w, "alloc", &ta, &err);
    CHECK(dst != NULL, "rec_set_tensor_alloc i32 [4,4] returns where the data goes");
    int32_t want_alloc[16];
    for (int i = 0; i < 16; i++)
        want_alloc[i] = i * i - 100;
    if (dst)
        memcpy(dst, want_alloc, sizeof want_alloc);
    ta.data = (const uint8_t *)want_alloc;

    /* a tensor got from this very record (its data in the record's buffer),
     * set again under another key while that buffer has to grow */
    tensor_view got;
    CHECK(rec_get_tensor(&w, "u8", &got, &err) == 1 && tensor_eq(&got, &tu), "new record: rec_get_tensor before writing");
    static uint8_t big[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 8));
    tensor_view tb;
    mk_tensor(&tb, TENSOR_U8, 1, (const int64_t[]){sizeof big}, big);
    CHECK(rec_set_tensor(&w, "big", &tb, &err) == 0, "rec_set_tensor 300 kB");
    CHECK(rec_get_tensor(&w, "big", &got, &err) == 1, "get the 300 kB tensor back");
    CHECK(rec_set_tensor(&w, "big_copy", &got, &err) == 0, "rec_set_tensor from a view into the same record");
    CHECK(rec_get_tensor(&w, "big_copy", &got, &err) == 1 && tensor_eq(&got, &tb), "the copy is intact");

    rtrip t;
    CHECK(rt_begin(&t, &w, "tensors.rec") == 1, "tensors: written record reads back");
    rec *r = &t.r;
    struct { const char *key; const tensor_view *want; } cases[] = {
        {"f32", &tf}, {"u8", &tu}, {"i32", &ti}, {"zero", &t0}, {"dims8", &t8},
        {"scalar", &ts}, {"alloc", &ta}, {"big", &tb}, {"big_copy", &tb},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tensor_view v;
        memset(&v, 0, sizeof v);
        int rc = rec_get_tensor(r, cases[i].key, &v, &err);
        CHECK(rc == 1 && tensor_eq(&v, cases[i].want), "tensor '%s' round trip (%s, %d dims, %zu elements)",
              cases[i].key, tensor_dtype_name(cases[i].want->dtype), cases[i].want->ndim,
              cases[i].want->count);
        CHECK(rc == 1 && v.data >= r->raw && v.data + v.nbytes <= r->raw + r->raw_len &&
                  (v.nbytes == 0 || v.data < r->raw + r->raw_len),
              "tensor '%s': data points inside the record's bytes (no copy)", cases[i].key);
    }
    tensor_view v;
    rec_get_tensor(r, "i32", &v, &err);
    CHECK(tensor_get(&v, 0) == INT32_MIN && tensor_get(&v, 4) == INT32_MAX, "tensor_get on i32");
    rec_get_tensor(r, "u8", &v, &err);
    float conv[48];
    tensor_copy_f32(&v, conv);
    CHECK(conv[0] == 1.0f && conv[47] == (float)(uint8_t)(47 * 37 + 1), "tensor_copy_f32 from u8");
    rec_get_tensor(r, "f32", &v, &err);
    tensor_stats st;
    tensor_summarise(&v, &st);
    CHECK(st.nan == 1 && st.inf == 1 && st.min == -1.0 && st.max == 0.5, "tensor_summarise counts NaN and inf");
    char sh[64];
    tensor_shape_str(&v, sh, sizeof sh);
    CHECK(strcmp(sh, "[2,3]") == 0, "tensor_shape_str [2,3] (%s)", sh);
    rec_get_tensor(r, "scalar", &v, &err);
    tensor_shape_str(&v, sh, sizeof sh);
    CHECK(strcmp(sh, "[]") == 0 && tensor_get(&v, 0) == 42.5, "scalar tensor: shape [] and its value (%s)", sh);
    CHECK(tensor_dtype_parse("f32", 3) == TENSOR_F32 && tensor_dtype_parse("u8", 2) == TENSOR_U8 &&
              tensor_dtype_parse("i32", 3) == TENSOR_I32 && tensor_dtype_parse("f64", 3) == -1 &&
              tensor_dtype_parse("f3", 2) == -1 && tensor_dtype_parse("f32x", 4) == -1,
          "tensor_dtype_parse");
    CHECK(tensor_dtype_size(TENSOR_F32) == 4 && tensor_dtype_size(TENSOR_U8) == 1 &&
              tensor_dtype_size(TENSOR_I32) == 4,
          "tensor_dtype_size");

    /* copying a tensor from a read record into a new one */
    rec w2;
    rec_init(&w2);
    rec_get_tensor(r, "dims8", &v, &err);
    CHECK(rec_set_tensor(&w2, "copied", &v, &err) == 0, "rec_set_tensor from a read record into another");
    rtrip t2;
    CHECK(rt_begin(&t2, &w2, "t2") == 1 && rec_get_tensor(&t2.r, "copied", &v, &err) == 1 && tensor_eq(&v, &t8),
          "tensor copied between records is intact");
    rt_end(&t2);
    rec_free(&w2);
    rt_end(&t);
    rec_free(&w);
}

/* Every getter against every type: 1 for the right type, -1 (code 2, message
 * naming source, record index and key) for a wrong one, 0 for an absent key. */
static void test_wrong_types(void)
{
    pbuf b;
    pb_init(&b);
    /* two filler records so the one tested is record 2 */
    msgpack_pack_map(&b.pk, 0);
    msgpack_pack_map(&b.pk, 1);
    pb_str(&b, "x");
    msgpack_pack_int(&b.pk, 1);
    msgpack_pack_map(&b.pk, 11);
    pb_str(&b, "i"); msgpack_pack_int(&b.pk, -7);
    pb_str(&b, "u"); msgpack_pack_uint64(&b.pk, 1ull << 63);
    pb_str(&b, "f"); msgpack_pack_double(&b.pk, 2.5);
    pb_str(&b, "s"); pb_str(&b, "640");
    pb_str(&b, "b"); msgpack_pack_true(&b.pk);
    pb_str(&b, "n"); msgpack_pack_nil(&b.pk);
    pb_str(&b, "a"); msgpack_pack_array(&b.pk, 1); msgpack_pack_int(&b.pk, 1);
    pb_str(&b, "m"); msgpack_pack_map(&b.pk, 1); pb_str(&b, "k"); msgpack_pack_int(&b.pk, 1);
    pb_str(&b, "t");
    {
        tensor_view tv;
        uint8_t d[2] = {1, 2};
        mk_tensor(&tv, TENSOR_U8, 1, (const int64_t[]){2}, d);
        tensor_pack(&b.pk, &tv);
    }
    pb_str(&b, "bin"); msgpack_pack_bin_with_body(&b.pk, "xy", 2);
    pb_str(&b, "e"); msgpack_pack_ext_with_body(&b.pk, "xy", 2, 1);

    yerr err = {0};
    rec r;
    rec_init(&r);
    rec_reader *rd = rec_reader_new_mem(b.sb.data, b.sb.size, "types.rec", &err);
    rec_read(rd, &r, &err);
    rec_read(rd, &r, &err);
    CHECK(rec_read(rd, &r, &err) == 1 && r.index == 2, "types record read (record 2)");

    static const char *keys[] = {"i", "u", "f", "s", "b", "n", "a", "m", "t", "bin", "e"};
    enum { I64, F64, BOOL, STR, ARR, MAP, TEN, NGET };
    static const char *gnames[] = {"rec_get_i64", "rec_get_f64", "rec_get_bool", "rec_get_str",
                                   "rec_get_array", "rec_get_map", "rec_get_tensor"};
    /* expected result of getter g on key k */
    static const int want[11][NGET] = {
        /*          i64 f64 bool str arr map ten */
        /* i   */ {1, 1, -1, -1, -1, -1, -1},
        /* u   */ {-1, 1, -1, -1, -1, -1, -1}, /* 2^63 does not fit an int64 */
        /* f   */ {-1, 1, -1, -1, -1, -1, -1},
        /* s   */ {-1, -1, -1, 1, -1, -1, -1},
        /* b   */ {-1, -1, 1, -1, -1, -1, -1},
        /* n   */ {-1, -1, -1, -1, -1, -1, -1},
        /* a   */ {-1, -1, -1, -1, 1, -1, -1},
        /* m   */ {-1, -1, -1, -1, -1, 1, -1},
        /* t   */ {-1, -1, -1, -1, -1, 1, 1},
        /* bin */ {-1, -1, -1, -1, -1, -1, -1},
        /* e   */ {-1, -1, -1, -1, -1, -1, -1},
    };
    for (size_t k = 0; k < 11; k++) {
        for (int g = 0; g < NGET; g++) {
            int64_t iv;
            double dv;
            int bv;
            const char *sv;
            size_t sl;
            const msgpack_object_array *av;
            const msgpack_object_map *mv;
            tensor_view tv;
            int rc = 99;
            memset(&err, 0, sizeof err);
            switch (g) {
            case I64: rc = rec_get_i64(&r, keys[k], &iv, &err); break;
            case F64: rc = rec_get_f64(&r, keys[k], &dv, &err); break;
            case BOOL: rc = rec_get_bool(&r, keys[k], &bv, &err); break;
            case STR: rc = rec_get_str(&r, keys[k], &sv, &sl, &err); break;
            case ARR: rc = rec_get_array(&r, keys[k], &av, &err); break;
            case MAP: rc = rec_get_map(&r, keys[k], &mv, &err); break;
            case TEN: rc = rec_get_tensor(&r, keys[k], &tv, &err); break;
            }
            char qk[16];
            snprintf(qk, sizeof qk, "'%s'", keys[k]);
            if (want[k][g] == 1)
                CHECK(rc == 1, "%s on key '%s' -> 1", gnames[g], keys[k]);
            else
                CHECK(rc == -1 && msg_has(&err, YOLO_EINPUT, "types.rec", "record 2", qk, (char *)NULL),
                      "%s on key '%s' -> -1, code 2, names source, record 2 and key (%s)", gnames[g], keys[k],
                      err.msg);
        }
        const msgpack_object *o;
        CHECK(rec_get(&r, keys[k], &o, &err) == 1 && rec_has(&r, keys[k]), "rec_get/rec_has on key '%s' -> 1",
              keys[k]);
    }
    int64_t iv = 0;
    double dv = 0;
    rec_get_i64(&r, "i", &iv, &err);
    rec_get_f64(&r, "i", &dv, &err);
    CHECK(iv == -7 && dv == -7.0, "rec_get_i64 and rec_get_f64 of -7");
    rec_get_f64(&r, "u", &dv, &err);
    CHECK(dv == 9223372036854775808.0, "rec_get_f64 of uint64 2^63");
    memset(&err, 0, sizeof err);
    rec_get_i64(&r, "s", &iv, &err);
    CHECK(contains(err.msg, "string") && contains(err.msg, "expected"), "wrong type message says what was expected and found (%s)",
          err.msg);

    /* absent keys: 0, err untouched */
    yerr e2;
    e2.code = 77;
    strcpy(e2.msg, "untouched");
    int64_t i2;
    double d2;
    int b2;
    const char *s2;
    size_t l2;
    const msgpack_object_array *a2;
    const msgpack_object_map *m2;
    const msgpack_object *o2;
    tensor_view t2;
    const uint8_t *p2;
    int all0 = rec_get_i64(&r, "absent", &i2, &e2) == 0 && rec_get_f64(&r, "absent", &d2, &e2) == 0 &&
               rec_get_bool(&r, "absent", &b2, &e2) == 0 && rec_get_str(&r, "absent", &s2, &l2, &e2) == 0 &&
               rec_get_array(&r, "absent", &a2, &e2) == 0 && rec_get_map(&r, "absent", &m2, &e2) == 0 &&
               rec_get_tensor(&r, "absent", &t2, &e2) == 0 && rec_get(&r, "absent", &o2, &e2) == 0 &&
               rec_get_raw(&r, "absent", &p2, &l2) == 0 && rec_has(&r, "absent") == 0;
    CHECK(all0, "every getter on an absent key returns 0");
    CHECK(e2.code == 77 && strcmp(e2.msg, "untouched") == 0, "absent key: err untouched");
    CHECK(rec_get_i64(&r, "I", &i2, &e2) == 0 && rec_get_i64(&r, "ii", &i2, &e2) == 0 &&
              rec_get_i64(&r, "", &i2, &e2) == 0,
          "keys are matched exactly (case, length)");

    /* rec_fail formats a path inside a value */
    memset(&err, 0, sizeof err);
    CHECK(rec_fail(&r, &err, "objects[3].bbox", "has %d numbers", 3) == -1 &&
              msg_has(&err, YOLO_EINPUT, "types.rec", "record 2", "objects[3].bbox", "has 3 numbers", (char *)NULL),
          "rec_fail: %s", err.msg);

    rec_free(&r);
    rec_reader_free(rd);
    pb_free(&b);
}

/* ---- 2. pass-through -------------------------------------------------------- */

/* A record built by hand with non-canonical encodings. */
static const uint8_t hand_rec[] = {
    0xde, 0x00, 0x08,                                     /* map16 of 8 */
    0xa5, 'w', 'i', 'd', 't', 'h', 0xce, 0, 0, 0, 5,      /* uint32 5 */
    0xa4, 'n', 'a', 'm', 'e', 0xda, 0x00, 0x02, 'h', 'i', /* str16 "hi" */
    0xa5, 's', 'c', 'o', 'r', 'e', 0xca, 0x3f, 0x00, 0x00, 0x00, /* float32 0.5 */
    0xa4, 'b', 'l', 'o', 'b', 0xc4, 0x03, 1, 2, 3,        /* bin8 */
    0xa3, 'e', 'x', 't', 0xc7, 0x02, 0x05, 0xaa, 0xbb,    /* ext8 of 2 (not fixext2) */
    0xa6, 'n', 'e', 's', 't', 'e', 'd',                   /* {"k": [uint8 1, int8 -1, uint16 7]} */
    0x81, 0xa1, 'k', 0x93, 0xcc, 0x01, 0xd0, 0xff, 0xcd, 0x00, 0x07,
    0xd9, 0x03, 't', 'a', 'g', 0xc3,                      /* str8 key "tag": true */
    0xa6, 'h', 'e', 'i', 'g', 'h', 't', 0xd1, 0x00, 0x10, /* int16 16 */
};
/* offsets of each entry (key start) and the end */
static const size_t hand_off[] = {3, 14, 24, 35, 45, 54, 72, 78, 88};
static const char *const hand_keys[] = {"width", "name", "score", "blob", "ext", "nested", "tag", "height"};

static void test_passthrough(void)
{
    yerr err = {0};
    CHECK(sizeof hand_rec == hand_off[8], "hand-built record is %zu bytes", sizeof hand_rec);

    rec r;
    rec_init(&r);
    rec_reader *rd;
    CHECK(read_mem1(hand_rec, sizeof hand_rec, "hand.rec", &r, &rd, &err) == 1, "hand-built record reads");
    int64_t iv = 0;
    const char *s;
    size_t sl;
    double dv;
    int bv;
    CHECK(rec_get_i64(&r, "width", &iv, &err) == 1 && iv == 5, "uint32-encoded 5 reads as 5");
    CHECK(rec_get_str(&r, "name", &s, &sl, &err) == 1 && sl == 2 && memcmp(s, "hi", 2) == 0, "str16 \"hi\" reads");
    CHECK(rec_get_f64(&r, "score", &dv, &err) == 1 && dv == 0.5, "float32 0.5 reads as 0.5");
    CHECK(rec_get_bool(&r, "tag", &bv, &err) == 1 && bv == 1, "str8-encoded key \"tag\" is found");
    CHECK(rec_get_i64(&r, "height", &iv, &err) == 1 && iv == 16, "int16 16 reads");
    const uint8_t *rp;
    size_t rl;
    CHECK(rec_get_raw(&r, "width", &rp, &rl) == 1 && rl == 5 && memcmp(rp, "\xce\0\0\0\x05", 5) == 0,
          "rec_get_raw gives the value's original bytes");

    /* unmodified (even after getting values): written exactly as read */
    bytes out;
    write_one(&r, &out);
    CHECK(out.n == sizeof hand_rec && memcmp(out.p, hand_rec, out.n) == 0,
          "unmodified record written identically (map16 header kept)");
    free(out.p);

    /* replace one key, add one */
    CHECK(rec_set_cstr(&r, "name", "bob", &err) == 0, "replace 'name'");
    CHECK(rec_set_i64(&r, "added", 42, &err) == 0, "add 'added'");
    CHECK(r.modified, "record marked modified");
    CHECK(rec_get_str(&r, "name", &s, &sl, &err) == 1 && sl == 3 && memcmp(s, "bob", 3) == 0,
          "replaced value is seen by getters before writing");
    write_one(&r, &out);
    walked wk;
    int wr = walk(out.p, out.n, &wk);
    CHECK(wr == 0 && wk.count == 9, "modified record: a map of 9 entries");
    int ok = wr == 0 && wk.count == 9;
    for (size_t i = 0; ok && i < 8; i++) {
        ok &= wkey_is(&wk, i, hand_keys[i]);
        if (i == 1)
            continue;
        /* untouched: key and value byte for byte */
        size_t kv = hand_off[i + 1] - hand_off[i];
        ok &= wk.kl[i] + wk.vl[i] == kv && memcmp(wk.k[i], hand_rec + hand_off[i], wk.kl[i]) == 0 &&
              wk.v[i] == wk.k[i] + wk.kl[i] && memcmp(wk.v[i], hand_rec + hand_off[i] + wk.kl[i], wk.vl[i]) == 0;
    }
    CHECK(ok, "untouched keys written byte for byte, in the original order");
    CHECK(wr == 0 && wkey_is(&wk, 1, "name") && wk.vl[1] == 4 && memcmp(wk.v[1], "\xa3" "bob", 4) == 0,
          "replaced key keeps its position (2nd) with the new value");
    CHECK(wr == 0 && wkey_is(&wk, 8, "added") && wk.vl[8] == 1 && wk.v[8][0] == 42, "new key is last");
    /* the untouched bytes appear verbatim, in order, in the output */
    size_t from = 0;
    ok = 1;
    for (size_t i = 0; i < 8; i++) {
        if (i == 1)
            continue;
        int at = find_sub(out.p, out.n, hand_rec + hand_off[i], hand_off[i + 1] - hand_off[i], from);
        if (at < 0)
            ok = 0;
        else
            from = (size_t)at + 1;
    }
    CHECK(ok, "non-canonical encodings (uint32 5, float32, bin8, ext8, nested int8/uint8, str8 key) survive");
    {
        rec r2;
        rec_init(&r2);
        rec_reader *rd2;
        CHECK(read_mem1(out.p, out.n, "out", &r2, &rd2, &err) == 1 && rec_get_str(&r2, "name", &s, &sl, &err) == 1 &&
                  sl == 3 && rec_get_i64(&r2, "added", &iv, &err) == 1 && iv == 42 &&
                  rec_get_i64(&r2, "width", &iv, &err) == 1 && iv == 5,
              "modified record reads back with new and old values");
        rec_free(&r2);
        rec_reader_free(rd2);
    }
    free(out.p);

    /* replacing a key whose own key bytes are non-canonical (str8 "tag") keeps its place */
    CHECK(rec_set_i64(&r, "tag", 7, &err) == 0, "replace 'tag' (str8-encoded key)");
    write_one(&r, &out);
    wr = walk(out.p, out.n, &wk);
    CHECK(wr == 0 && wk.count == 9 && wkey_is(&wk, 6, "tag") && wk.vl[6] == 1 && wk.v[6][0] == 7,
          "replaced str8 key keeps its position (7th)");
    free(out.p);

    /* delete */
    CHECK(rec_delete(&r, "blob") == 1, "rec_delete existing key -> 1");
    CHECK(rec_delete(&r, "blob") == 0 && rec_delete(&r, "absent") == 0, "rec_delete absent key -> 0");
    CHECK(!rec_has(&r, "blob"), "deleted key is absent");
    write_one(&r, &out);
    wr = walk(out.p, out.n, &wk);
    CHECK(wr == 0 && wk.count == 8, "after delete: 8 entries");
    CHECK(find_sub(out.p, out.n, hand_rec + hand_off[3], hand_off[4] - hand_off[3], 0) < 0,
          "deleted key's bytes are gone");
    CHECK(wr == 0 && wkey_is(&wk, 2, "score") && wkey_is(&wk, 3, "ext"), "keys around the deleted one keep order");
    free(out.p);
    CHECK(rec_set_i64(&r, "blob", 1, &err) == 0 && rec_has(&r, "blob"), "set a deleted key again");
    write_one(&r, &out);
    wr = walk(out.p, out.n, &wk);
    CHECK(wr == 0 && wk.count == 9 && wkey_is(&wk, 8, "blob"), "a key set again after delete is new, so last");
    free(out.p);

    /* delete everything: an empty map */
    for (size_t i = 0; i < 8; i++)
        rec_delete(&r, hand_keys[i]);
    rec_delete(&r, "added");
    write_one(&r, &out);
    CHECK(out.n == 1 && out.p[0] == 0x80, "all keys deleted: written as an empty map 0x80");
    free(out.p);
    rec_free(&r);
    rec_reader_free(rd);

    /* rec_get_raw + rec_set_raw copy a value's non-canonical bytes verbatim */
    rec_init(&r);
    read_mem1(hand_rec, sizeof hand_rec, "hand.rec", &r, &rd, &err);
    rec dst;
    rec_init(&dst);
    rec_get_raw(&r, "nested", &rp, &rl);
    CHECK(rec_set_raw(&dst, "nested", rp, rl, &err) == 0, "rec_set_raw from another record");
    rec_get_raw(&r, "ext", &rp, &rl);
    CHECK(rec_set_raw(&dst, "ext", rp, rl, &err) == 0, "rec_set_raw ext");
    /* from the same record's set values, while its buffer grows */
    static char bigs[100000];
    memset(bigs, 'z', sizeof bigs);
    rec_set_str(&dst, "bigs", bigs, sizeof bigs, &err);
    rec_get_raw(&dst, "bigs", &rp, &rl);
    CHECK(rec_set_raw(&dst, "bigs2", rp, rl, &err) == 0, "rec_set_raw from the same record's buffer");
    write_one(&dst, &out);
    CHECK(find_sub(out.p, out.n, hand_rec + hand_off[5], hand_off[6] - hand_off[5], 0) >= 0 &&
              find_sub(out.p, out.n, hand_rec + hand_off[4], hand_off[5] - hand_off[4], 0) >= 0,
          "values copied with rec_set_raw keep their exact bytes");
    {
        rec r2;
        rec_init(&r2);
        rec_reader *rd2;
        CHECK(read_mem1(out.p, out.n, "out", &r2, &rd2, &err) == 1 && rec_get_str(&r2, "bigs2", &s, &sl, &err) == 1 &&
                  sl == sizeof bigs && memcmp(s, bigs, sl) == 0,
              "value copied within the same record is intact");
        rec_free(&r2);
        rec_reader_free(rd2);
    }
    free(out.p);
    rec_free(&dst);

    /* a record modified to the same values is still valid (header re-encoded) */
    rec_get_i64(&r, "width", &iv, &err);
    rec_set_i64(&r, "width", iv, &err);
    write_one(&r, &out);
    wr = walk(out.p, out.n, &wk);
    CHECK(wr == 0 && wk.count == 8 && wkey_is(&wk, 0, "width"), "record with a key set to its own value stays valid");
    free(out.p);
    rec_free(&r);
    rec_reader_free(rd);

    /* 20 keys: a map16 header */
    rec_init(&r);
    char key[16];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rec_set_i64(&r, key, i, &err);
    }
    write_one(&r, &out);
    CHECK(out.n > 3 && out.p[0] == 0xde && out.p[1] == 0 && out.p[2] == 20, "20 keys: map16 header");
    {
        rec r2;
        rec_init(&r2);
        rec_reader *rd2;
        ok = read_mem1(out.p, out.n, "out", &r2, &rd2, &err) == 1;
        for (int i = 0; ok && i < 20; i++) {
            snprintf(key, sizeof key, "k%d", i);
            ok &= rec_get_i64(&r2, key, &iv, &err) == 1 && iv == i;
        }
        CHECK(ok, "20 keys read back in order");
        rec_free(&r2);
        rec_reader_free(rd2);
    }
    free(out.p);
    rec_free(&r);
}

/* Builds a stream of n small records {"id": base + i, "s": "x..."}. */
static void small_stream(pbuf *b, int base, int n)
{
    for (int i = 0; i < n; i++) {
        msgpack_pack_map(&b->pk, 2);
        pb_str(b, "id");
        msgpack_pack_int(&b->pk, base + i);
        pb_str(b, "s");
        msgpack_pack_str_with_body(&b->pk, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", (size_t)(i % 40));
    }
}

static void test_concatenated(void)
{
    pbuf a, b;
    pb_init(&a);
    pb_init(&b);
    small_stream(&a, 0, 2);
    pb_raw(&a, hand_rec, sizeof hand_rec); /* a non-canonical record in the middle */
    small_stream(&b, 3, 3);
    size_t n = a.sb.size + b.sb.size;
    uint8_t *cat = malloc(n);
    memcpy(cat, a.sb.data, a.sb.size);
    memcpy(cat + a.sb.size, b.sb.data, b.sb.size);

    yerr err = {0};
    rec_reader *rd = rec_reader_new_mem(cat, n, "cat.rec", &err);
    rec r;
    rec_init(&r);
    char *op = NULL;
    size_t ol = 0;
    FILE *of = open_memstream(&op, &ol);
    rec_writer w;
    rec_writer_init(&w, of, "<out>");
    int got = 0, ok = 1, rc;
    while ((rc = rec_read(rd, &r, &err)) == 1) {
        int64_t id = -1;
        if (r.index != got)
            ok = 0;
        if (got != 2 && (rec_get_i64(&r, "id", &id, &err) != 1 || id != got))
            ok = 0;
        rec_write(&w, &r, &err);
        got++;
    }
    fclose(of);
    CHECK(rc == 0 && got == 6 && ok, "two streams concatenated read as one stream of 6 records");
    CHECK(rec_reader_count(rd) == 6 && rec_reader_bytes(rd) == n, "count 6 and bytes = total after cat a b");
    CHECK(ol == n && memcmp(op, cat, n) == 0, "cat a b passed through unmodified is identical");
    CHECK(w.count == 6 && w.bytes == n, "writer counted 6 records and every byte");
    free(op);
    rec_free(&r);
    rec_reader_free(rd);
    free(cat);
    pb_free(&a);
    pb_free(&b);
}

/* ---- 3. errors -------------------------------------------------------------- */

/* Expects one bad record at index idx in buf: rec_read returns -1, code 2,
 * and the message names the source, "record idx" and every extra string. */
static void expect_read_error(const char *name, const void *buf, size_t n, int idx, const char *s1, const char *s2)
{
    uint8_t *p = dup_bytes(buf, n);
    yerr err = {0};
    rec_reader *rd = rec_reader_new_mem(p, n, "bad.rec", &err);
    rec r;
    rec_init(&r);
    int rc = 1, i;
    for (i = 0; i <= idx && rc == 1; i++)
        rc = rec_read(rd, &r, &err);
    char ri[32];
    snprintf(ri, sizeof ri, "record %d", idx);
    CHECK(rc == -1 && i == idx + 1 && msg_has(&err, YOLO_EINPUT, "bad.rec", ri, s1 ? s1 : "", s2 ? s2 : "", (char *)NULL),
          "%s: rec_read -1, code 2, message names source, %s%s%s%s%s (%s)", name, ri, s1 ? ", " : "", s1 ? s1 : "",
          s2 ? ", " : "", s2 ? s2 : "", err.msg);
    rec_free(&r);
    rec_reader_free(rd);
    free(p);
}

static void test_read_errors(void)
{
    /* not a map */
    expect_read_error("top-level int", "\x05", 1, 0, "not a map", NULL);
    expect_read_error("top-level array", "\x92\x01\x02", 3, 0, "not a map", "array");
    expect_read_error("top-level string", "\xa3" "abc", 4, 0, "not a map", "string");
    expect_read_error("top-level nil", "\xc0", 1, 0, "not a map", NULL);
    expect_read_error("top-level bin", "\xc4\x01\x00", 3, 0, "not a map", NULL);
    expect_read_error("top-level float", "\xcb\0\0\0\0\0\0\0\0", 9, 0, "not a map", NULL);
    expect_read_error("int after a good record", "\x81\xa1x\x01\x05", 5, 1, "not a map", NULL);
    /* keys */
    expect_read_error("int key", "\x81\x01\x02", 3, 0, "not a string", NULL);
    expect_read_error("bin key", "\x81\xc4\x01x\x02", 5, 0, "not a string", NULL);
    expect_read_error("nil key after a good key", "\x82\xa1x\x01\xc0\x02", 6, 0, "not a string", NULL);
    expect_read_error("map key", "\x81\x80\x02", 3, 0, "not a string", NULL);
    expect_read_error("duplicate key", "\x82\xa1x\x01\xa1x\x02", 7, 0, "'x'", "twice");
    expect_read_error("duplicate key, different str encodings", "\x82\xa3" "abc\x01\xd9\x03" "abc\x02", 12, 0, "'abc'",
                      "twice");
    expect_read_error("duplicate key in record 1", "\x80\x83\xa1x\x01\xa1y\x01\xa1y\x02", 11, 1, "'y'", "twice");
    /* invalid bytes */
    expect_read_error("0xc1 at top level", "\xc1", 1, 0, "invalid", "0xc1");
    expect_read_error("0xc1 as a value", "\x81\xa1x\xc1", 4, 0, "invalid", "0xc1");
    expect_read_error("0xc1 as a key", "\x81\xc1\x01", 3, 0, "invalid", NULL);
    expect_read_error("0xc1 in record 1", "\x80\x81\xa1x\x91\xc1", 6, 1, "invalid", "byte offset 5");
    /* nesting: map + 31 arrays is fine, map + 32 arrays is too deep */
    {
        uint8_t buf[64];
        size_t k = 0;
        buf[k++] = 0x81;
        buf[k++] = 0xa1;
        buf[k++] = 'd';
        for (int i = 0; i < 31; i++)
            buf[k++] = 0x91;
        buf[k++] = 0x07;
        yerr err = {0};
        rec r;
        rec_init(&r);
        rec_reader *rd;
        const msgpack_object *o = NULL;
        CHECK(read_mem1(buf, k, "deep.rec", &r, &rd, &err) == 1 && rec_get(&r, "d", &o, &err) == 1 &&
                  o->type == MSGPACK_OBJECT_ARRAY,
              "record 32 containers deep reads and its value decodes");
        rec_free(&r);
        rec_reader_free(rd);
        memmove(buf + 4, buf + 3, k - 3);
        buf[3] = 0x91;
        expect_read_error("record 33 containers deep", buf, k + 1, 0, "nesting", NULL);
    }
    /* size limits on keys */
    {
        pbuf b;
        pb_init(&b);
        static char kbuf[REC_MAX_KEY_LEN + 1];
        memset(kbuf, 'k', sizeof kbuf);
        msgpack_pack_map(&b.pk, 1);
        msgpack_pack_str_with_body(&b.pk, kbuf, REC_MAX_KEY_LEN);
        msgpack_pack_int(&b.pk, 1);
        yerr err = {0};
        rec r;
        rec_init(&r);
        rec_reader *rd;
        CHECK(read_mem1(b.sb.data, b.sb.size, "k.rec", &r, &rd, &err) == 1, "key of %d bytes is fine", REC_MAX_KEY_LEN);
        rec_free(&r);
        rec_reader_free(rd);
        msgpack_sbuffer_clear(&b.sb);
        msgpack_pack_map(&b.pk, 1);
        msgpack_pack_str_with_body(&b.pk, kbuf, REC_MAX_KEY_LEN + 1);
        msgpack_pack_int(&b.pk, 1);
        expect_read_error("key too long", b.sb.data, b.sb.size, 0, "1025", NULL);

        /* REC_MAX_KEYS keys fine, one more refused */
        for (int extra = 0; extra < 2; extra++) {
            msgpack_sbuffer_clear(&b.sb);
            int nk = REC_MAX_KEYS + extra;
            msgpack_pack_map(&b.pk, (size_t)nk);
            char key[16];
            for (int i = 0; i < nk; i++) {
                snprintf(key, sizeof key, "%d", i);
                pb_str(&b, key);
                msgpack_pack_int(&b.pk, i);
            }
            if (!extra) {
                rec_init(&r);
                int64_t v = 0;
                CHECK(read_mem1(b.sb.data, b.sb.size, "k.rec", &r, &rd, &err) == 1 &&
                          rec_get_i64(&r, "4095", &v, &err) == 1 && v == 4095,
                      "record of %d keys is fine", REC_MAX_KEYS);
                rec_free(&r);
                rec_reader_free(rd);
            } else {
                expect_read_error("too many keys", b.sb.data, b.sb.size, 0, "4097", NULL);
            }
        }
        pb_free(&b);
    }
    /* huge claimed lengths: an error, not a 4 GiB allocation or a crash */
    expect_read_error("bin32 of 4 GiB with 10 bytes present", "\x81\xa1x\xc6\xff\xff\xff\xff\x01\x02\x03\x04\x05", 13, 0,
                      NULL, NULL);
    expect_read_error("str32 of 1 GiB with 3 bytes present", "\x81\xa1x\xdb\x40\x00\x00\x00" "abc", 11, 0, "truncated",
                      NULL);
    expect_read_error("map32 of 4G entries with 1 present", "\xdf\xff\xff\xff\xff\xa1x\x01", 8, 0, "truncated", NULL);
}

/* A record with one key "input" whose value is packed by fn; rec_get_tensor
 * must return want, and on -1 name the source, record 0, key and s. */
typedef void (*pack_fn)(msgpack_packer *pk);

static void tensor_case(const char *name, pack_fn fn, int want, const char *s)
{
    pbuf b;
    pb_init(&b);
    msgpack_pack_map(&b.pk, 1);
    pb_str(&b, "input");
    fn(&b.pk);
    yerr err = {0};
    rec r;
    rec_init(&r);
    rec_reader *rd;
    int rc = read_mem1(b.sb.data, b.sb.size, "tensor.rec", &r, &rd, &err);
    tensor_view t;
    memset(&err, 0, sizeof err);
    int trc = rc == 1 ? rec_get_tensor(&r, "input", &t, &err) : 99;
    if (want == -1)
        CHECK(trc == -1 && msg_has(&err, YOLO_EINPUT, "tensor.rec", "record 0", "'input'", s ? s : "", (char *)NULL),
              "tensor %s: -1, code 2, names source, record, key%s%s (%s)", name, s ? " and " : "", s ? s : "",
              err.msg);
    else
        CHECK(trc == want, "tensor %s: %d", name, want);
    rec_free(&r);
    rec_reader_free(rd);
    pb_free(&b);
}

static void kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
    msgpack_pack_str_with_body(pk, v, strlen(v));
}
static void pack_shape(msgpack_packer *pk, int n, const int64_t *d)
{
    msgpack_pack_str_with_body(pk, "shape", 5);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        msgpack_pack_int64(pk, d[i]);
}
static void pack_data(msgpack_packer *pk, size_t n)
{
    static const uint8_t z[256];
    msgpack_pack_str_with_body(pk, "data", 4);
    msgpack_pack_bin_with_body(pk, z, n);
}
/* {dtype, shape, data} in that order, with nbytes of zero data. */
static void std_tensor(msgpack_packer *pk, const char *dtype, int n, const int64_t *dims,
                       size_t nbytes)
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", dtype);
    pack_shape(pk, n, dims);
    pack_data(pk, nbytes);
}
static void t_good(msgpack_packer *pk) { std_tensor(pk, "f32", 2, (const int64_t[]){2, 3}, 24); }
static void t_extra_keys_order(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    pack_data(pk, 6);
    kv_str(pk, "note", "keys in any order, extra keys ignored");
    pack_shape(pk, 2, (const int64_t[]){2, 3});
    kv_str(pk, "dtype", "u8");
}
static void t_short(msgpack_packer *pk) { std_tensor(pk, "f32", 2, (const int64_t[]){2, 3}, 20); }
static void t_long(msgpack_packer *pk) { std_tensor(pk, "i32", 1, (const int64_t[]){3}, 13); }
static void t_dtype(msgpack_packer *pk) { std_tensor(pk, "f64", 1, (const int64_t[]){2}, 16); }
static void t_dtype_int(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    msgpack_pack_str_with_body(pk, "dtype", 5);
    msgpack_pack_int(pk, 0);
    pack_shape(pk, 1, (const int64_t[]){2});
    pack_data(pk, 8);
}
static void t_neg(msgpack_packer *pk) { std_tensor(pk, "u8", 2, (const int64_t[]){2, -1}, 2); }
static void t_dims9(msgpack_packer *pk) { std_tensor(pk, "u8", 9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 1); }
static void t_data_str(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "u8");
    pack_shape(pk, 1, (const int64_t[]){2});
    kv_str(pk, "data", "ab");
}
static void t_no_data(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    kv_str(pk, "dtype", "u8");
    pack_shape(pk, 1, (const int64_t[]){2});
}
static void t_no_dtype(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    pack_shape(pk, 1, (const int64_t[]){2});
    pack_data(pk, 2);
}
static void t_shape_int(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "u8");
    msgpack_pack_str_with_body(pk, "shape", 5);
    msgpack_pack_int(pk, 2);
    pack_data(pk, 2);
}
static void t_shape_float(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "u8");
    msgpack_pack_str_with_body(pk, "shape", 5);
    msgpack_pack_array(pk, 1);
    msgpack_pack_double(pk, 2.0);
    pack_data(pk, 2);
}
static void t_overflow(msgpack_packer *pk) { std_tensor(pk, "f32", 3, (const int64_t[]){1ll << 40, 1ll << 40, 1ll << 40}, 0); }
static void t_huge_dim(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "u8");
    msgpack_pack_str_with_body(pk, "shape", 5);
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint64(pk, UINT64_MAX);
    pack_data(pk, 0);
}
static void t_big_count(msgpack_packer *pk) /* huge but representable: a mismatch */
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "i32");
    pack_shape(pk, 2, (const int64_t[]){1ll << 30, 1ll << 30});
    pack_data(pk, 4);
}
static void t_shape_signed(msgpack_packer *pk) /* [int8 2, int16 3]: non-canonical but valid */
{
    msgpack_pack_map(pk, 3);
    kv_str(pk, "dtype", "u8");
    msgpack_pack_str_with_body(pk, "shape", 5);
    msgpack_pack_array(pk, 2);
    msgpack_pack_fix_int8(pk, 2);
    msgpack_pack_fix_int16(pk, 3);
    pack_data(pk, 6);
}
static void t_int(msgpack_packer *pk) { msgpack_pack_int(pk, 3); }
static void t_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_int(pk, 1);
    msgpack_pack_int(pk, 2);
    msgpack_pack_int(pk, 3);
}

static void test_tensor_errors(void)
{
    tensor_case("valid f32 [2,3]", t_good, 1, NULL);
    tensor_case("keys in another order with an extra key", t_extra_keys_order, 1, NULL);
    tensor_case("data 20 bytes for f32 [2,3]", t_short, -1, "needs 24 bytes");
    tensor_case("data 13 bytes for i32 [3]", t_long, -1, "needs 12 bytes");
    tensor_case("shape as int8/int16 (non-canonical)", t_shape_signed, 1, NULL);
    tensor_case("unknown dtype f64", t_dtype, -1, "dtype");
    tensor_case("dtype not a string", t_dtype_int, -1, "dtype");
    tensor_case("shape with a negative entry", t_neg, -1, "shape");
    tensor_case("shape with 9 dims", t_dims9, -1, "8 dimensions");
    tensor_case("data a string, not bin", t_data_str, -1, "bin");
    tensor_case("map without data", t_no_data, -1, "without data");
    tensor_case("map without dtype", t_no_dtype, -1, "dtype");
    tensor_case("shape an int", t_shape_int, -1, "shape");
    tensor_case("shape of floats", t_shape_float, -1, "shape");
    tensor_case("shape whose byte count overflows", t_overflow, -1, "shape");
    tensor_case("shape with a dimension of 2^64-1", t_huge_dim, -1, "shape");
    tensor_case("i32 [2^30,2^30] with 4 bytes", t_big_count, -1, "needs 4611686018427387904 bytes");
    tensor_case("an int", t_int, -1, "expected a tensor");
    tensor_case("an array", t_array, -1, "expected a tensor");

    /* tensor_set_shape refuses the same things */
    tensor_view t;
    memset(&t, 0, sizeof t);
    t.dtype = TENSOR_F32;
    const char *why = NULL;
    CHECK(tensor_set_shape(&t, 9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, &why) == -1 && why,
          "tensor_set_shape: 9 dims refused");
    CHECK(tensor_set_shape(&t, 2, (const int64_t[]){3, -1}, &why) == -1, "tensor_set_shape: negative refused");
    CHECK(tensor_set_shape(&t, 3, (const int64_t[]){1ll << 40, 1ll << 40, 1ll << 40}, &why) == -1,
          "tensor_set_shape: overflow refused");
    CHECK(tensor_set_shape(&t, -1, NULL, &why) == -1, "tensor_set_shape: ndim -1 refused");
    CHECK(tensor_set_shape(&t, 2, (const int64_t[]){0, 1ll << 40}, &why) == 0 && t.count == 0 && t.nbytes == 0,
          "tensor_set_shape: a zero dimension makes 0 elements");
}

/* A known key with the wrong type, as a stage would meet it. */
static void test_known_key_wrong_type(void)
{
    const uint8_t buf[] = {0x82, 0xa5, 'w', 'i', 'd', 't', 'h', 0xa3, '6', '4', '0',
                           0xa6, 'h', 'e', 'i', 'g', 'h', 't', 0xcd, 0x01, 0xe0};
    yerr err = {0};
    rec r;
    rec_init(&r);
    rec_reader *rd;
    read_mem1(buf, sizeof buf, "frames.rec", &r, &rd, &err);
    int64_t w = 0, h = 0;
    memset(&err, 0, sizeof err);
    CHECK(rec_get_i64(&r, "width", &w, &err) == -1 &&
              msg_has(&err, YOLO_EINPUT, "frames.rec", "record 0", "width", "string", (char *)NULL),
          "width as a string: -1 naming source, record, key, type (%s)", err.msg);
    CHECK(rec_get_i64(&r, "height", &h, &err) == 1 && h == 480, "the other keys still work");
    rec_free(&r);
    rec_reader_free(rd);
}

/* A valid 3-record stream, cut at every byte. */
static void make_stream3(pbuf *b, size_t bound[4])
{
    bound[0] = 0;
    msgpack_pack_map(&b->pk, 3);
    pb_str(b, "id");
    msgpack_pack_int(&b->pk, 0);
    pb_str(b, "name");
    pb_str(b, "first");
    pb_str(b, "t");
    {
        uint8_t d[4] = {1, 2, 3, 4};
        tensor_view tv;
        mk_tensor(&tv, TENSOR_U8, 2, (const int64_t[]){2, 2}, d);
        tensor_pack(&b->pk, &tv);
    }
    bound[1] = b->sb.size;
    msgpack_pack_map(&b->pk, 2);
    pb_str(b, "id");
    msgpack_pack_int(&b->pk, 1);
    pb_str(b, "objects");
    pack_objects(&b->pk, 2);
    bound[2] = b->sb.size;
    msgpack_pack_map(&b->pk, 4);
    pb_str(b, "id");
    msgpack_pack_int(&b->pk, 2);
    pb_str(b, "score");
    msgpack_pack_double(&b->pk, 0.5);
    pb_str(b, "blob");
    msgpack_pack_bin_with_body(&b->pk, "0123456789012345678901234567890123456789", 40);
    pb_str(b, "big");
    msgpack_pack_fix_uint64(&b->pk, 1);
    bound[3] = b->sb.size;
}

enum { SRC_MEM, SRC_FILE, SRC_FD };

static rec_reader *open_src(int kind, const uint8_t *p, size_t n, FILE **keep, yerr *err)
{
    *keep = NULL;
    if (kind == SRC_MEM)
        return rec_reader_new_mem(p, n, "cut.rec", err);
    FILE *f = tmpfile();
    if (n)
        fwrite(p, 1, n, f);
    fflush(f);
    rewind(f);
    *keep = f;
    if (kind == SRC_FILE)
        return rec_reader_new_file(f, "cut.rec", err);
    lseek(fileno(f), 0, SEEK_SET);
    return rec_reader_new_fd(fileno(f), "cut.rec", err);
}

static void test_truncation(void)
{
    pbuf b;
    pb_init(&b);
    size_t bound[4];
    make_stream3(&b, bound);
    size_t len = b.sb.size;
    static const char *kinds[] = {"memory", "FILE*", "fd"};
    for (int kind = 0; kind < 3; kind++) {
        int ok_before = 1, ok_end = 1, ok_trunc = 1, ok_again = 1, ok_count = 1;
        char first_bad[1200] = "";
        for (size_t cut = 0; cut <= len; cut++) {
            uint8_t *p = dup_bytes(b.sb.data, cut);
            yerr err = {0};
            FILE *keep;
            rec_reader *rd = open_src(kind, p, cut, &keep, &err);
            rec r;
            rec_init(&r);
            int full = (cut >= bound[1]) + (cut >= bound[2]) + (cut >= bound[3]);
            int boundary = cut == bound[0] || cut == bound[1] || cut == bound[2] || cut == bound[3];
            for (int i = 0; i < full; i++) {
                int64_t id = -1;
                if (rec_read(rd, &r, &err) != 1 || rec_get_i64(&r, "id", &id, &err) != 1 || id != i ||
                    r.index != i || r.offset != bound[i])
                    ok_before = 0;
            }
            memset(&err, 0, sizeof err);
            int rc = rec_read(rd, &r, &err);
            char ri[32];
            snprintf(ri, sizeof ri, "record %d", full);
            if (boundary) {
                if (rc != 0)
                    ok_end = 0;
            } else if (rc != -1 || !msg_has(&err, YOLO_EINPUT, "cut.rec", "truncated", ri, (char *)NULL)) {
                if (ok_trunc)
                    snprintf(first_bad, sizeof first_bad, "cut %zu: rc %d: %s", cut, rc, err.msg);
                ok_trunc = 0;
            } else {
                /* reading again is still an error (or the end), never a crash */
                int rc2 = rec_read(rd, &r, &err);
                if (rc2 == 1)
                    ok_again = 0;
            }
            if (rec_reader_count(rd) != full)
                ok_count = 0;
            rec_free(&r);
            rec_reader_free(rd);
            if (keep)
                fclose(keep);
            free(p);
        }
        CHECK(ok_before, "%s, cut at every byte of %zu: records before the cut read fine", kinds[kind], len);
        CHECK(ok_end, "%s, cut at a record boundary: 0 (clean end)", kinds[kind]);
        CHECK(ok_trunc, "%s, cut inside a record: -1, code 2, \"truncated\", source, record index %s", kinds[kind],
              first_bad);
        CHECK(ok_again, "%s, reading again after a truncation error does not return a record", kinds[kind]);
        CHECK(ok_count, "%s, rec_reader_count counts only the records returned", kinds[kind]);
    }
    /* the message for one cut in full */
    {
        yerr err = {0};
        rec_reader *rd = rec_reader_new_mem(b.sb.data, bound[2] + 5, "cut.rec", &err);
        rec r;
        rec_init(&r);
        rec_read(rd, &r, &err);
        rec_read(rd, &r, &err);
        int rc = rec_read(rd, &r, &err);
        CHECK(rc == -1 && msg_has(&err, YOLO_EINPUT, "cut.rec", "truncated", "record 2", (char *)NULL),
              "truncated message: %s", err.msg);
        rec_free(&r);
        rec_reader_free(rd);
    }
    pb_free(&b);
}

/* Every getter on a record that was read: a documented status, and sane
 * results. Returns 0 if anything was off. */
static int exercise(rec *r, rec *scratch)
{
    int ok = 1;
    msgpack_zone z;
    msgpack_zone_init(&z, 4096);
    msgpack_object whole;
    size_t off = 0;
    if (msgpack_unpack((const char *)r->raw, r->raw_len, &off, &z, &whole) != MSGPACK_UNPACK_SUCCESS ||
        whole.type != MSGPACK_OBJECT_MAP) {
        msgpack_zone_destroy(&z);
        return 0;
    }
    char key[REC_MAX_KEY_LEN + 1];
    for (uint32_t i = 0; i <= whole.via.map.size; i++) {
        if (i < whole.via.map.size) {
            const msgpack_object *k = &whole.via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR || k->via.str.size > REC_MAX_KEY_LEN) {
                ok = 0;
                continue;
            }
            if (k->via.str.size) /* msgpack-c gives ptr NULL for "" */
                memcpy(key, k->via.str.ptr, k->via.str.size);
            key[k->via.str.size] = 0;
        } else {
            strcpy(key, "no such key");
        }
        int present = i < whole.via.map.size && strlen(key) == whole.via.map.ptr[i].key.via.str.size;
        yerr err;
        int64_t iv;
        double dv;
        int bv;
        const char *sv;
        size_t sl;
        const msgpack_object_array *av;
        const msgpack_object_map *mv;
        const msgpack_object *ov;
        tensor_view tv;
        const uint8_t *rp;
        int rcs[10];
        memset(&err, 0, sizeof err);
        rcs[0] = rec_get(r, key, &ov, &err);
        rcs[1] = rec_get_i64(r, key, &iv, &err);
        rcs[2] = rec_get_f64(r, key, &dv, &err);
        rcs[3] = rec_get_bool(r, key, &bv, &err);
        rcs[4] = rec_get_str(r, key, &sv, &sl, &err);
        rcs[5] = rec_get_array(r, key, &av, &err);
        rcs[6] = rec_get_map(r, key, &mv, &err);
        rcs[7] = rec_get_tensor(r, key, &tv, &err);
        rcs[8] = rec_get_raw(r, key, &rp, &sl);
        rcs[9] = rec_has(r, key);
        for (int g = 0; g < 10; g++)
            if (rcs[g] < -1 || rcs[g] > 1)
                ok = 0;
        if (present && (rcs[0] != 1 || rcs[8] != 1 || rcs[9] != 1))
            ok = 0;
        if (!present && !strcmp(key, "no such key") && (rcs[0] | rcs[1] | rcs[7] | rcs[8] | rcs[9]) != 0)
            ok = 0;
        if (rcs[7] == 1 && (tv.count * tensor_dtype_size(tv.dtype) != tv.nbytes || tv.ndim < 0 ||
                            tv.ndim > TENSOR_MAX_DIMS ||
                            (tv.nbytes && (tv.data < r->raw || tv.data + tv.nbytes > r->raw + r->raw_len))))
            ok = 0;
        if (rcs[7] == 1 && tv.nbytes) {
            volatile double acc = 0;
            for (size_t e = 0; e < tv.count && e < 64; e++)
                acc += tensor_get(&tv, e);
            (void)acc;
        }
        yerr e1 = {0};
        if (rec_get_i64(r, key, &iv, &e1) == -1 && (e1.code != YOLO_EINPUT || !strstr(e1.msg, "record")))
            ok = 0;
        memset(&e1, 0, sizeof e1);
        if (rec_get_tensor(r, key, &tv, &e1) == -1 && (e1.code != YOLO_EINPUT || !strstr(e1.msg, "record")))
            ok = 0;
        memset(&e1, 0, sizeof e1);
        if (rec_get_str(r, key, &sv, &sl, &e1) == -1 && (e1.code != YOLO_EINPUT || !strstr(e1.msg, "record")))
            ok = 0;
    }

    /* rec_at over every entry */
    for (size_t i = 0; i < r->n; i++) {
        const char *k;
        size_t kl;
        const msgpack_object *v;
        yerr e1 = {0};
        if (rec_at(r, i, &k, &kl, &v, &e1) != 1)
            ok = 0;
    }

    /* written unmodified: identical; modified: still a valid record */
    bytes out;
    write_one(r, &out);
    if (out.n != r->raw_len || memcmp(out.p, r->raw, out.n) != 0)
        ok = 0;
    free(out.p);
    yerr err = {0};
    if (whole.via.map.size > 0) {
        const msgpack_object *k0 = &whole.via.map.ptr[0].key;
        if (k0->via.str.size)
            memcpy(key, k0->via.str.ptr, k0->via.str.size);
        key[k0->via.str.size] = 0;
        rec_delete(r, key);
    }
    rec_set_i64(r, "fuzz_added", 1, &err);
    write_one(r, &out);
    rec_reader *rd = rec_reader_new_mem(out.p, out.n, "rewritten", &err);
    int64_t v = 0;
    if (rec_read(rd, scratch, &err) != 1 || rec_get_i64(scratch, "fuzz_added", &v, &err) != 1 || v != 1 ||
        rec_read(rd, scratch, &err) != 0)
        ok = 0;
    rec_reader_free(rd);
    free(out.p);
    msgpack_zone_destroy(&z);
    return ok;
}

/* Reads everything from buf; returns 0 if some call returned something
 * undocumented. */
static int fuzz_one(const uint8_t *buf, size_t n, int *nrec, int *nerr, char *why, size_t whyn)
{
    uint8_t *p = dup_bytes(buf, n);
    yerr err = {0};
    rec_reader *rd = rec_reader_new_mem(p, n, "fuzz", &err);
    rec r, scratch;
    rec_init(&r);
    rec_init(&scratch);
    int ok = 1;
    for (int i = 0; i < 64; i++) {
        memset(&err, 0, sizeof err);
        int rc = rec_read(rd, &r, &err);
        if (rc == 1) {
            (*nrec)++;
            if (!exercise(&r, &scratch)) {
                ok = 0;
                snprintf(why, whyn, "record %d failed the getter/writer checks", i);
            }
            continue;
        }
        if (rc == 0)
            break;
        if (rc != -1 || err.code != YOLO_EINPUT || !strstr(err.msg, "fuzz") || !strstr(err.msg, "record")) {
            ok = 0;
            snprintf(why, whyn, "rec_read rc %d code %d: %s", rc, err.code, err.msg);
        }
        (*nerr)++;
        /* some errors (not a map, bad keys) come after the record was framed
         * and the reader moves on; others stay put: either way, stop */
        break;
    }
    rec_free(&r);
    rec_free(&scratch);
    rec_reader_free(rd);
    free(p);
    return ok;
}

static void test_garbage(void)
{
    static const uint8_t interesting[] = {0x80, 0x81, 0x82, 0x83, 0x8f, 0x90, 0x91, 0x93, 0xa0, 0xa1, 0xa4, 0xa5,
                                          0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0,
                                          0xd9, 0xda, 0xdc, 0xde, 0x00, 0x01, 0x7f, 0xff, 'd', 't', 'x'};
    char why[1100] = "";
    int ok = 1, nrec = 0, nerr = 0;
    uint8_t buf[301];
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = (size_t)(xrand() % 301);
        int mostly_maps = iter % 2;
        for (size_t i = 0; i < n; i++)
            buf[i] = (mostly_maps && xrand() % 2) ? interesting[xrand() % sizeof interesting] : (uint8_t)xrand();
        if (mostly_maps && n)
            buf[0] = (uint8_t)(0x80 | (xrand() % 4));
        if (!fuzz_one(buf, n, &nrec, &nerr, why, sizeof why) && ok)
            ok = 0;
    }
    CHECK(ok, "2000 random byte strings: every call returns a documented status %s", why);

    /* mutations of a valid stream (with a tensor, objects, nested values) */
    pbuf b;
    pb_init(&b);
    size_t bound[4];
    make_stream3(&b, bound);
    pb_raw(&b, hand_rec, sizeof hand_rec);
    const uint8_t *good = (const uint8_t *)b.sb.data;
    size_t gn = b.sb.size;
    uint8_t *mut = malloc(gn + 16);
    int ok2 = 1, mrec = 0, merr = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(mut, good, gn);
        size_t n = gn;
        int flips = 1 + (int)(xrand() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = (size_t)(xrand() % n);
            switch (xrand() % 4) {
            case 0: mut[at] = (uint8_t)xrand(); break;
            case 1: mut[at] ^= (uint8_t)(1u << (xrand() % 8)); break;
            case 2: mut[at] = interesting[xrand() % sizeof interesting]; break;
            default: mut[at] = (uint8_t)(mut[at] + (xrand() % 2 ? 1 : -1)); break;
            }
        }
        if (xrand() % 4 == 0)
            n = (size_t)(xrand() % (n + 1));
        if (!fuzz_one(mut, n, &mrec, &merr, why, sizeof why) && ok2)
            ok2 = 0;
    }
    CHECK(ok2, "3000 mutations of a valid stream: every call returns a documented status %s", why);
    CHECK(mrec > 3000 && merr > 300, "mutations reach both records (%d) and errors (%d)", mrec, merr);
    CHECK(nrec + nerr > 1000, "random strings: %d records, %d errors", nrec, nerr);
    free(mut);
    pb_free(&b);
}

/* ---- 4. readers from fd and FILE*, big and many records ----------------------- */

#define BIG_FLOATS (5 * 1024 * 1024 / 4)
#define MANY 3000

/* A stream of one 5 MiB f32 tensor record then MANY small ones. */
static void big_stream(pbuf *b)
{
    float *f = malloc(BIG_FLOATS * sizeof *f);
    for (size_t i = 0; i < BIG_FLOATS; i++)
        f[i] = (float)i * 0.25f - 7.0f;
    tensor_view t;
    mk_tensor(&t, TENSOR_F32, 3, (const int64_t[]){5, 512, 512}, f);
    msgpack_pack_map(&b->pk, 2);
    pb_str(b, "id");
    msgpack_pack_int(&b->pk, 0);
    pb_str(b, "input");
    tensor_pack(&b->pk, &t);
    free(f);
    small_stream(b, 1, MANY);
}

static int check_big_stream(rec_reader *rd, size_t total, const char *what)
{
    yerr err = {0};
    rec r;
    rec_init(&r);
    int rc = rec_read(rd, &r, &err);
    tensor_view t;
    int ok_big = rc == 1 && rec_get_tensor(&r, "input", &t, &err) == 1 && t.count == BIG_FLOATS &&
                 t.ndim == 3 && t.shape[0] == 5 && t.shape[1] == 512 && t.shape[2] == 512;
    int ok_vals = ok_big;
    for (size_t i = 0; ok_vals && i < BIG_FLOATS; i += 997)
        ok_vals = tensor_get(&t, i) == (double)((float)i * 0.25f - 7.0f);
    ok_vals = ok_vals && tensor_get(&t, BIG_FLOATS - 1) == (double)((float)(BIG_FLOATS - 1) * 0.25f - 7.0f);
    CHECK(ok_big, "%s: 5 MiB tensor record (more than the 64 KiB initial buffer) reads", what);
    CHECK(ok_vals, "%s: 5 MiB tensor values intact", what);
    CHECK(ok_big && t.data >= r.raw && t.data + t.nbytes <= r.raw + r.raw_len && r.raw_len > t.nbytes,
          "%s: tensor data points inside the record's raw bytes (no copy)", what);
    int ok = 1, n = 0;
    while ((rc = rec_read(rd, &r, &err)) == 1) {
        int64_t id;
        n++;
        if (rec_get_i64(&r, "id", &id, &err) != 1 || id != n || r.index != n)
            ok = 0;
    }
    CHECK(rc == 0 && ok && n == MANY, "%s: then %d small records in order, then end (%d, rc %d %s)", what, MANY, n,
          rc, rc < 0 ? err.msg : "");
    CHECK(rec_reader_count(rd) == MANY + 1 && rec_reader_bytes(rd) == total, "%s: count %d, bytes %zu", what,
          MANY + 1, total);
    CHECK(rec_read(rd, &r, &err) == 0, "%s: reading past the end is still 0", what);
    rec_free(&r);
    return ok;
}

static void test_readers(void)
{
    pbuf b;
    pb_init(&b);
    big_stream(&b);
    size_t total = b.sb.size;
    yerr err = {0};

    /* a pipe written by a child, in odd-sized chunks */
    {
        int fds[2];
        CHECK(pipe(fds) == 0, "pipe");
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            size_t off = 0, chunk = 1;
            while (off < total) {
                size_t n = chunk < total - off ? chunk : total - off;
                ssize_t k = write(fds[1], b.sb.data + off, n);
                if (k <= 0)
                    _exit(1);
                off += (size_t)k;
                chunk = chunk * 7 % 9001 + 1;
            }
            close(fds[1]);
            _exit(0);
        }
        close(fds[1]);
        rec_reader *rd = rec_reader_new_fd(fds[0], "<pipe>", &err);
        check_big_stream(rd, total, "pipe");
        rec_reader_free(rd);
        close(fds[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pipe writer child exited cleanly");
    }
    /* a small stream through a pipe one byte per write */
    {
        pbuf s;
        pb_init(&s);
        small_stream(&s, 0, 20);
        pb_raw(&s, hand_rec, sizeof hand_rec);
        int fds[2];
        pipe(fds);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            for (size_t i = 0; i < s.sb.size; i++)
                if (write(fds[1], s.sb.data + i, 1) != 1)
                    _exit(1);
            _exit(0);
        }
        close(fds[1]);
        rec_reader *rd = rec_reader_new_fd(fds[0], "<pipe1>", &err);
        rec r;
        rec_init(&r);
        int n = 0, rc, ok = 1;
        while ((rc = rec_read(rd, &r, &err)) == 1) {
            int64_t id;
            if (n < 20 && (rec_get_i64(&r, "id", &id, &err) != 1 || id != n))
                ok = 0;
            if (n == 20) {
                bytes out;
                write_one(&r, &out);
                ok &= out.n == sizeof hand_rec && memcmp(out.p, hand_rec, out.n) == 0;
                free(out.p);
            }
            n++;
        }
        CHECK(rc == 0 && n == 21 && ok, "pipe fed one byte per write: 21 records intact");
        rec_free(&r);
        rec_reader_free(rd);
        close(fds[0]);
        int st;
        waitpid(pid, &st, 0);
        pb_free(&s);
    }
    /* a temporary file, by fd and by FILE* */
    {
        FILE *f = tmpfile();
        fwrite(b.sb.data, 1, total, f);
        fflush(f);
        lseek(fileno(f), 0, SEEK_SET);
        rec_reader *rd = rec_reader_new_fd(fileno(f), "big.rec", &err);
        check_big_stream(rd, total, "file fd");
        rec_reader_free(rd);
        rewind(f);
        rd = rec_reader_new_file(f, "big.rec", &err);
        check_big_stream(rd, total, "FILE*");
        rec_reader_free(rd);
        fclose(f);
    }
    /* memory */
    {
        rec_reader *rd = rec_reader_new_mem(b.sb.data, total, "big.rec", &err);
        check_big_stream(rd, total, "memory");
        rec_reader_free(rd);
    }
    /* a read error is YOLO_EIO */
    {
        int dfd = open("/", O_RDONLY);
        rec_reader *rd = rec_reader_new_fd(dfd, "a-directory", &err);
        rec r;
        rec_init(&r);
        memset(&err, 0, sizeof err);
        CHECK(rec_read(rd, &r, &err) == -1 && err.code == YOLO_EIO && contains(err.msg, "a-directory"),
              "read error (a directory): -1, code 3 (%s)", err.msg);
        rec_free(&r);
        rec_reader_free(rd);
        close(dfd);
    }
    /* a huge claimed length through an fd: refused without reading 4 GiB */
    {
        FILE *f = tmpfile();
        fwrite("\x81\xa1x\xc6\xff\xff\xff\xff\x01\x02", 1, 10, f);
        fflush(f);
        lseek(fileno(f), 0, SEEK_SET);
        rec_reader *rd = rec_reader_new_fd(fileno(f), "huge.rec", &err);
        rec r;
        rec_init(&r);
        memset(&err, 0, sizeof err);
        CHECK(rec_read(rd, &r, &err) == -1 && msg_has(&err, YOLO_EINPUT, "huge.rec", "record 0", (char *)NULL),
              "fd: bin32 claiming 4 GiB: -1, code 2 (%s)", err.msg);
        rec_free(&r);
        rec_reader_free(rd);
        fclose(f);
    }
    pb_free(&b);
}

/* ---- 5. the writer, counts and offsets ---------------------------------------- */

static void test_writer(void)
{
    yerr err = {0};
    pbuf in;
    pb_init(&in);
    small_stream(&in, 0, 2);
    size_t first_len;
    pb_raw(&in, hand_rec, sizeof hand_rec);
    rec_reader *rd = rec_reader_new_mem(in.sb.data, in.sb.size, "in.rec", &err);
    rec r;
    rec_init(&r);
    FILE *f = tmpfile();
    rec_writer w;
    rec_writer_init(&w, f, "out.rec");
    CHECK(w.count == 0 && w.bytes == 0 && w.f == f, "rec_writer_init");
    CHECK(rec_reader_count(rd) == 0 && rec_reader_bytes(rd) == 0, "fresh reader: count 0, bytes 0");

    /* record 0 unmodified */
    CHECK(rec_read(rd, &r, &err) == 1 && r.index == 0 && r.offset == 0, "record 0: index 0, offset 0");
    first_len = r.raw_len;
    CHECK(rec_reader_count(rd) == 1 && rec_reader_bytes(rd) == first_len, "after record 0: count 1, bytes %zu",
          first_len);
    CHECK(rec_write(&w, &r, &err) == 0 && w.count == 1 && w.bytes == first_len, "write record 0 unmodified");
    uint8_t *rec0 = dup_bytes(r.raw, r.raw_len);

    /* record 1 modified */
    CHECK(rec_read(rd, &r, &err) == 1 && r.index == 1 && r.offset == first_len, "record 1: index 1, offset %zu",
          first_len);
    size_t second_end = first_len + r.raw_len;
    CHECK(rec_reader_count(rd) == 2 && rec_reader_bytes(rd) == second_end, "after record 1: count 2, bytes %zu",
          second_end);
    rec_set_cstr(&r, "note", "changed", &err);
    rec_delete(&r, "s");
    CHECK(rec_write(&w, &r, &err) == 0 && w.count == 2, "write record 1 modified");
    long mod_end = (long)w.bytes;

    /* record 2 (hand-built) unmodified */
    CHECK(rec_read(rd, &r, &err) == 1 && r.index == 2 && r.offset == second_end, "record 2: index 2");
    CHECK(rec_write(&w, &r, &err) == 0, "write record 2 unmodified");
    CHECK(rec_read(rd, &r, &err) == 0 && rec_reader_count(rd) == 3 && rec_reader_bytes(rd) == in.sb.size,
          "end: count 3, bytes %zu", in.sb.size);

    /* a new record */
    rec n;
    rec_init(&n);
    rec_set_i64(&n, "fresh", 1, &err);
    CHECK(rec_write(&w, &n, &err) == 0 && w.count == 4, "write a new record");
    fflush(f);
    long fsz = ftell(f);
    CHECK(fsz == (long)w.bytes, "writer bytes %lu = file size %ld", (unsigned long)w.bytes, fsz);

    /* check the file's bytes */
    uint8_t *fb = malloc((size_t)fsz);
    rewind(f);
    size_t got = fread(fb, 1, (size_t)fsz, f);
    CHECK(got == (size_t)fsz, "read the written file back");
    CHECK(memcmp(fb, rec0, first_len) == 0, "file: record 0 exactly as read");
    walked wk;
    CHECK(walk(fb + first_len, (size_t)mod_end - first_len, &wk) == 0 && wk.count == 2 && wkey_is(&wk, 0, "id") &&
              wkey_is(&wk, 1, "note"),
          "file: record 1 is {id, note} ('s' deleted, 'note' added last)");
    CHECK(memcmp(fb + mod_end, hand_rec, sizeof hand_rec) == 0, "file: record 2 exactly as read");
    CHECK((size_t)fsz == (size_t)mod_end + sizeof hand_rec + 8 &&
              memcmp(fb + mod_end + sizeof hand_rec, "\x81\xa5" "fresh\x01", 8) == 0,
          "file: new record {fresh: 1}");
    free(fb);

    /* read the file back with a FILE* reader */
    rewind(f);
    rec_reader *rd2 = rec_reader_new_file(f, "out.rec", &err);
    int cnt = 0, rc;
    while ((rc = rec_read(rd2, &r, &err)) == 1)
        cnt++;
    CHECK(rc == 0 && cnt == 4 && rec_reader_bytes(rd2) == (uint64_t)fsz, "written file reads back as 4 records");
    rec_reader_free(rd2);
    fclose(f);

    /* write failure is YOLO_EIO */
    FILE *ro = fopen("/dev/null", "r");
    rec_writer wr;
    rec_writer_init(&wr, ro, "readonly");
    memset(&err, 0, sizeof err);
    CHECK(rec_write(&wr, &n, &err) == -1 && err.code == YOLO_EIO && contains(err.msg, "readonly"),
          "write to a read-only FILE: -1, code 3 (%s)", err.msg);
    fclose(ro);

    /* rec_clear empties a record for reuse */
    rec_clear(&n);
    CHECK(!rec_has(&n, "fresh") && n.n == 0 && !n.modified, "rec_clear empties the record");
    rec_set_i64(&n, "again", 2, &err);
    bytes out;
    write_one(&n, &out);
    CHECK(out.n == 8 && memcmp(out.p, "\x81\xa5" "again\x02", 8) == 0, "cleared record reused");
    free(out.p);
    rec_free(&n);
    rec_free(&r);
    rec_reader_free(rd);
    free(rec0);
    pb_free(&in);
}

/* Reads n bytes off fd: 1 if they came. */
static int read_all(int fd, size_t n)
{
    char buf[65536];
    while (n > 0) {
        ssize_t k = read(fd, buf, n < sizeof buf ? n : sizeof buf);
        if (k <= 0)
            return 0;
        n -= (size_t)k;
    }
    return 1;
}

/* A record of n bytes ({"b": bin}) written to w (rec_write alone: the
 * writer flushes a pipe), and read off fd whole (by a child when the pipe
 * cannot hold it). */
static int write_big(rec_writer *w, int fd, size_t n, int child)
{
    yerr err = {0};
    rec r;
    rec_init(&r);
    uint8_t *blob = calloc(n, 1);
    size_t want = 3 + (n < 256 ? 2 : n < 65536 ? 3 : 5) + n;   /* map, key, bin header */
    fflush(stdout);
    pid_t pid = child ? fork() : 0;
    if (child && pid == 0)
        _exit(read_all(fd, want) ? 0 : 1);
    msgpack_packer *pk = rec_set_begin(&r, "b");
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, blob, n);
    int ok = blob && rec_set_end(&r, &err) == 0 && rec_write(w, &r, &err) == 0;
    if (child) {
        int st = 0;
        ok = ok && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    } else {
        ok = ok && read_all(fd, want);
    }
    rec_free(&r);
    free(blob);
    return ok;
}

/* The writer grows the pipe it writes to so that a record fits whole, from
 * the kernel's 64 KiB up to 1 MiB, and leaves it as it is for records that
 * fit and for other outputs; each record reaches the pipe whole as it is
 * written. */
static void test_writer_pipe(void)
{
#ifdef F_SETPIPE_SZ
    int fds[2], probe[2];
    if (pipe(fds) != 0 || pipe(probe) != 0) {
        CHECK(0, "pipes for the writer");
        return;
    }
    int allowed = fcntl(probe[1], F_SETPIPE_SZ, 1 << 20) >= 1 << 20;
    close(probe[0]);
    close(probe[1]);
    int before = fcntl(fds[1], F_GETPIPE_SZ);
    FILE *f = fdopen(fds[1], "w");
    rec_writer w;
    rec_writer_init(&w, f, "<pipe>");
    CHECK(w.pipe_bytes == (size_t)before, "a pipe: its size known (%d)", before);
    CHECK(write_big(&w, fds[0], 1000, 0) && fcntl(fds[1], F_GETPIPE_SZ) == before,
          "a record that fits: the pipe as it was, the record in it whole without a flush");
    if (allowed) {
        CHECK(write_big(&w, fds[0], 200000, 0) && fcntl(fds[1], F_GETPIPE_SZ) == 256 << 10,
              "a 200 kB record: the pipe grown to 256 KiB (%d) before the write, which then does not wait",
              fcntl(fds[1], F_GETPIPE_SZ));
        CHECK(write_big(&w, fds[0], 3000000, 1) && fcntl(fds[1], F_GETPIPE_SZ) == 1 << 20 &&
                  w.pipe_bytes == 1 << 20,
              "a 3 MB record: the pipe at its most, 1 MiB, the record read whole by a child");
    } else {
        SKIP("this system refuses a 1 MiB pipe", "a 200 kB record grows the pipe to 256 KiB");
        SKIP("this system refuses a 1 MiB pipe", "a 3 MB record grows it to 1 MiB");
    }
    fclose(f);
    close(fds[0]);
    FILE *t = tmpfile();
    rec_writer_init(&w, t, "file");
    CHECK(w.f == t && w.count == 0 && w.pipe_bytes == 0 && !w.pipe, "a file: no pipe to grow or flush");
    fclose(t);
#else
    SKIP("no F_SETPIPE_SZ here", "the writer's pipe grows to hold a record");
#endif
}

/* ---- edge cases of the setters --------------------------------------------------- */

static void test_setter_edges(void)
{
    yerr err = {0};
    rec w;
    rec_init(&w);

    /* setting the same key many times keeps one entry with the last value */
    for (int i = 0; i < 100; i++)
        rec_set_i64(&w, "k", i, &err);
    int64_t v = 0;
    CHECK(rec_get_i64(&w, "k", &v, &err) == 1 && v == 99, "set 100 times: last value wins");
    bytes out;
    write_one(&w, &out);
    CHECK(out.n == 4 && memcmp(out.p, "\x81\xa1k\x63", 4) == 0, "set 100 times: one key written");
    free(out.p);

    /* a key's type can change */
    rec_set_cstr(&w, "k", "now a string", &err);
    CHECK(rec_get_i64(&w, "k", &v, &err) == -1 && err.code == YOLO_EINPUT, "key re-set to a string: i64 is -1");

    /* a failed huge tensor alloc reports an error and the record stays writable */
    tensor_view th;
    memset(&th, 0, sizeof th);
    th.dtype = TENSOR_F32;
    const char *why = NULL;
    int shaped = tensor_set_shape(&th, 1, (const int64_t[]){((int64_t)1 << 61) - 1}, &why) == 0;
    CHECK(shaped, "tensor_set_shape accepts 2^61-1 f32 elements");
    memset(&err, 0, sizeof err);
    void *p = shaped ? rec_set_tensor_alloc(&w, "huge", &th, &err) : NULL;
    CHECK(p == NULL && err.code != 0, "rec_set_tensor_alloc of 8 EiB: NULL with an error (%s)", err.msg);
    write_one(&w, &out);
    {
        rec r2;
        rec_init(&r2);
        rec_reader *rd2;
        yerr e2 = {0};
        int rc = read_mem1(out.p, out.n, "after-oom", &r2, &rd2, &e2);
        CHECK(rc == 1 && !rec_has(&r2, "huge") && rec_has(&r2, "k"),
              "after a failed rec_set_tensor_alloc the record is written valid, without the key (rc %d: %s)", rc,
              rc < 0 ? e2.msg : "");
        rec_free(&r2);
        rec_reader_free(rd2);
    }
    free(out.p);
    rec_free(&w);

    /* a failed set of a key the record had keeps its old value; a later
     * set works (the out-of-memory state does not stick) */
    rec_init(&w);
    rec_set_i64(&w, "keep", 7, &err);
    p = shaped ? rec_set_tensor_alloc(&w, "keep", &th, &err) : NULL;
    CHECK(p == NULL && rec_get_i64(&w, "keep", &v, &err) == 1 && v == 7,
          "a failed set of an existing key leaves its old value");
    CHECK(rec_set_i64(&w, "after", 1, &err) == 0 && rec_has(&w, "after"),
          "a set after a failed one works");
    rec_free(&w);

    /* an empty string given as (NULL, 0): nothing to copy */
    rec_init(&w);
    CHECK(rec_set_str(&w, "empty_s", NULL, 0, &err) == 0, "rec_set_str of length 0 with s NULL");
    const char *es = "x";
    size_t el = 9;
    CHECK(rec_get_str(&w, "empty_s", &es, &el, &err) == 1 && el == 0 && es != NULL,
          "empty string from (NULL, 0) reads back, as a non-NULL pointer");
    /* a 0-element tensor given with data NULL */
    tensor_view tz;
    memset(&tz, 0, sizeof tz);
    tz.dtype = TENSOR_U8;
    tensor_set_shape(&tz, 2, (const int64_t[]){0, 4}, &why);
    CHECK(rec_set_tensor(&w, "tz", &tz, &err) == 0, "rec_set_tensor of 0 elements with data NULL");
    tensor_view tr;
    CHECK(rec_get_tensor(&w, "tz", &tr, &err) == 1 && tr.count == 0 && tr.ndim == 2,
          "0-element tensor reads back with its shape");
    rec_free(&w);

    /* a nested map with an empty key: msgpack-c gives it a NULL pointer */
    {
        static const uint8_t b[] = {0x81, 0xa1, 'm', 0x81, 0xa0, 0x01};
        rec r3;
        rec_init(&r3);
        rec_reader *rd3;
        yerr e3 = {0};
        const msgpack_object *m = NULL;
        int rc = read_mem1(b, sizeof b, "emptykey", &r3, &rd3, &e3);
        int ok = rc == 1 && rec_get(&r3, "m", &m, &e3) == 1;
        const msgpack_object *x = ok ? mp_map_get(m, "") : NULL;
        CHECK(x && x->type == MSGPACK_OBJECT_POSITIVE_INTEGER && x->via.u64 == 1,
              "mp_map_get finds an empty key");
        CHECK(ok && mp_map_get(m, "a") == NULL, "mp_map_get does not match a non-empty key to it");
        rec_free(&r3);
        rec_reader_free(rd3);
    }
}

/* Walking keys with rec_at / rec_raw_at, nested tensors with rec_as_tensor,
 * and rec_reader_reset_mem. */
static void test_walk_and_nested(void)
{
    yerr err = {0};
    rec r;
    rec_init(&r);
    rec_reader *rd;
    CHECK(read_mem1(hand_rec, sizeof hand_rec, "hand.rec", &r, &rd, &err) == 1, "hand record for rec_at");
    CHECK(r.n == 8, "r.n is the number of keys (8)");
    int ok = 1;
    for (size_t i = 0; i < r.n; i++) {
        const char *k;
        size_t kl;
        const msgpack_object *v;
        const uint8_t *p;
        size_t pl;
        ok &= rec_at(&r, i, &k, &kl, &v, &err) == 1 && kl == strlen(hand_keys[i]) && memcmp(k, hand_keys[i], kl) == 0;
        rec_raw_at(&r, i, &p, &pl);
        size_t kbytes = i == 6 ? 5 : 1 + kl; /* "tag" is a str8 key */
        ok &= pl == hand_off[i + 1] - hand_off[i] - kbytes && memcmp(p, hand_rec + hand_off[i] + kbytes, pl) == 0;
    }
    CHECK(ok, "rec_at walks the keys in order; rec_raw_at gives each value's original bytes");
    rec_delete(&r, "score");
    rec_set_i64(&r, "width", 6, &err);
    rec_set_i64(&r, "new", 1, &err);
    {
        const char *k;
        size_t kl;
        const msgpack_object *v;
        int64_t iv = 0;
        CHECK(rec_at(&r, 2, &k, &kl, &v, &err) == 0, "rec_at of a deleted key -> 0");
        CHECK(rec_at(&r, 0, &k, &kl, &v, &err) == 1 && mp_as_i64(v, &iv) == 0 && iv == 6,
              "rec_at of a replaced key gives the new value");
        CHECK(r.n == 9 && rec_at(&r, 8, &k, &kl, &v, &err) == 1 && kl == 3 && memcmp(k, "new", 3) == 0,
              "rec_at: a new key is last");
    }
    rec_free(&r);
    rec_reader_free(rd);

    /* a tensor nested in a list: rec_as_tensor names the path */
    pbuf b;
    pb_init(&b);
    msgpack_pack_map(&b.pk, 1);
    pb_str(&b, "output");
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_map(&b.pk, 1);
    pb_str(&b, "tensor");
    {
        float d[4] = {1, 2, 3, 4};
        tensor_view tv;
        mk_tensor(&tv, TENSOR_F32, 1, (const int64_t[]){4}, d);
        tensor_pack(&b.pk, &tv);
    }
    msgpack_pack_map(&b.pk, 1);
    pb_str(&b, "tensor");
    t_short(&b.pk);
    rec_init(&r);
    CHECK(read_mem1(b.sb.data, b.sb.size, "nested.rec", &r, &rd, &err) == 1, "record with nested tensors");
    const msgpack_object_array *a = NULL;
    tensor_view t;
    rec_get_array(&r, "output", &a, &err);
    CHECK(a && rec_as_tensor(&r, mp_map_get(&a->ptr[0], "tensor"), "output[0].tensor", &t, &err) == 0 &&
              t.count == 4 && tensor_get(&t, 3) == 4.0 && t.data > r.raw && t.data + 16 <= r.raw + r.raw_len,
          "rec_as_tensor on output[0].tensor: 0, data in place");
    memset(&err, 0, sizeof err);
    CHECK(a && rec_as_tensor(&r, mp_map_get(&a->ptr[1], "tensor"), "output[1].tensor", &t, &err) == -1 &&
              msg_has(&err, YOLO_EINPUT, "nested.rec", "record 0", "'output[1].tensor'", "needs 24 bytes",
                      (char *)NULL),
          "rec_as_tensor on a bad output[1].tensor: -1 naming the path (%s)", err.msg);
    memset(&err, 0, sizeof err);
    CHECK(a && rec_as_tensor(&r, &a->ptr[0], "output[0]", &t, &err) == -1 &&
              msg_has(&err, YOLO_EINPUT, "'output[0]'", "expected a tensor", (char *)NULL),
          "rec_as_tensor on a map that is not a tensor: -1 (%s)", err.msg);
    rec_free(&r);

    /* rec_reader_reset_mem keeps counting records */
    rec_init(&r);
    rec_reader_reset_mem(rd, hand_rec, sizeof hand_rec);
    CHECK(rec_read(rd, &r, &err) == 1 && r.index == 1 && rec_reader_count(rd) == 2,
          "rec_reader_reset_mem: the next record is record 1");
    CHECK(rec_read(rd, &r, &err) == 0, "rec_reader_reset_mem: then the end");
    rec_reader_reset_mem(rd, "\x05", 1);
    memset(&err, 0, sizeof err);
    CHECK(rec_read(rd, &r, &err) == -1 && msg_has(&err, YOLO_EINPUT, "nested.rec", "record 2", (char *)NULL),
          "rec_reader_reset_mem: errors name the continued index (%s)", err.msg);
    rec_free(&r);
    rec_reader_free(rd);
    pb_free(&b);
}

/* rec_set_raw from a value the record itself set (bytes inside its own
 * buffer, which the copy makes grow). */
static void test_set_raw_self(void)
{
    yerr err = {0};
    rec r;
    rec_init(&r);
    int ok = rec_set_cstr(&r, "k0", "a string long enough to matter here", &err) == 0;
    char key[16];
    for (int i = 1; ok && i < 200; i++) {
        const uint8_t *p;
        size_t n;
        snprintf(key, sizeof key, "k%d", i - 1);
        ok = rec_get_raw(&r, key, &p, &n) == 1;
        snprintf(key, sizeof key, "k%d", i);
        ok = ok && rec_set_raw(&r, key, p, n, &err) == 0;
    }
    const char *s;
    size_t n;
    CHECK(ok && rec_get_str(&r, "k199", &s, &n, &err) == 1 &&
              n == strlen("a string long enough to matter here") &&
              memcmp(s, "a string long enough to matter here", n) == 0,
          "rec_set_raw from the record's own buffer, 199 times while it grows");
    rec_free(&r);
}

static void test_set_error(void)
{
    yerr err = {0};
    rec r;
    rec_init(&r);
    const char *s;
    size_t n;
    int ok = rec_set_error(&r, "darknet-forward", "image 'a.jpg':\nno such file", &err) == 0 &&
             rec_get_str(&r, "error", &s, &n, &err) == 1;
    CHECK(ok && n == strlen("darknet-forward: image 'a.jpg': no such file") &&
              memcmp(s, "darknet-forward: image 'a.jpg': no such file", n) == 0,
          "rec_set_error: 'stage: message' on one line");
    rec_free(&r);
}

/* Three 1 MiB records through a file reader (whose buffer is reused): the
 * first, detached, still reads and writes back as it was after the others. */
static void test_detach(void)
{
    yerr err = {0};
    pbuf b;
    pb_init(&b);
    static uint8_t blob[1 << 20];
    for (int i = 0; i < 3; i++) {
        memset(blob, 'a' + i, sizeof blob);
        msgpack_pack_map(&b.pk, 2);
        pb_str(&b, "id");
        pb_str(&b, i == 0 ? "first" : "other");
        pb_str(&b, "blob");
        msgpack_pack_bin_with_body(&b.pk, blob, sizeof blob);
    }
    size_t first_len = b.sb.size / 3;
    uint8_t *want = dup_bytes(b.sb.data, first_len);
    FILE *f = tmpfile();
    int ok = want && f && fwrite(b.sb.data, 1, b.sb.size, f) == b.sb.size && fseek(f, 0, SEEK_SET) == 0;
    rec_reader *rd = ok ? rec_reader_new_file(f, "three.rec", &err) : NULL;
    rec a, other;
    rec_init(&a);
    rec_init(&other);
    ok = rd && rec_read(rd, &a, &err) == 1 && rec_detach(&a, &err) == 0 &&
         rec_read(rd, &other, &err) == 1 && rec_read(rd, &other, &err) == 1;
    const char *s;
    size_t n;
    CHECK(ok && a.raw == a.own.p && strcmp(a.src, "three.rec") == 0 &&
              rec_get_str(&a, "id", &s, &n, &err) == 1 && n == 5 && memcmp(s, "first", 5) == 0,
          "rec_detach: the record reads after two more reads (%s)", ok ? "ok" : err.msg);
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    rec_writer w;
    rec_writer_init(&w, out, "mem");
    ok = out && rec_write(&w, &a, &err) == 0 && fclose(out) == 0;
    CHECK(ok && len == first_len && memcmp(mem, want, len) == 0,
          "rec_detach: written back byte for byte");
    free(mem);
    free(want);
    rec_free(&a);
    rec_free(&other);
    rec_reader_free(rd);
    if (f)
        fclose(f);
    pb_free(&b);
}

int main(void)
{
    test_detach();
    test_set_error();
    test_set_raw_self();
    test_roundtrip_scalars();
    test_roundtrip_containers();
    test_roundtrip_tensors();
    test_wrong_types();
    test_passthrough();
    test_concatenated();
    test_read_errors();
    test_tensor_errors();
    test_known_key_wrong_type();
    test_truncation();
    test_garbage();
    test_readers();
    test_writer();
    test_writer_pipe();
    test_setter_edges();
    test_walk_and_nested();
    return check_done();
}
