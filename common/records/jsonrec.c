#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yajl_parse.h>

#include "yolo/base/json.h"
#include "yolo/records/jsonrec.h"
#include "yolo/records/mpscan.h"
#include "yolo/records/schema.h"

/* ======== records to JSON ======================================================== */

static int put_value(ybuf *b, const msgpack_object *o, int full);

/* {"$msgpack": base64}: for what JSON cannot show faithfully. */
static void put_escape(ybuf *b, const msgpack_object *o)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (msgpack_pack_object(&pk, *o) != 0)
        b->oom = 1;
    ybuf_puts(b, "{\"$msgpack\":\"");
    base64_encode(b, (const uint8_t *)sb.data, sb.size);
    ybuf_puts(b, "\"}");
    msgpack_sbuffer_destroy(&sb);
}

static void put_tensor_data(ybuf *b, const tensor_view *t)
{
    ybuf_putc(b, '[');
    for (size_t i = 0; i < t->count; i++) {
        if (i)
            ybuf_putc(b, ',');
        if (t->dtype == TENSOR_F32) {
            float f;
            memcpy(&f, t->data + 4 * i, 4);
            if (isnan(f))
                ybuf_puts(b, "\"NaN\"");
            else if (isinf(f))
                ybuf_puts(b, f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
            else
                json_put_f32(b, f);
        } else {
            json_put_i64(b, (int64_t)tensor_get(t, i));
        }
    }
    ybuf_putc(b, ']');
}

static void put_summary(ybuf *b, const tensor_view *t)
{
    tensor_stats s;
    tensor_summarise(t, &s);
    ybuf_puts(b, "{\"min\":");
    json_put_approx(b, s.min, 7);
    ybuf_puts(b, ",\"max\":");
    json_put_approx(b, s.max, 7);
    ybuf_puts(b, ",\"mean\":");
    json_put_approx(b, s.mean, 7);
    ybuf_puts(b, ",\"std\":");
    json_put_approx(b, s.std, 7);
    ybuf_puts(b, ",\"nan\":");
    json_put_u64(b, s.nan);
    ybuf_puts(b, ",\"inf\":");
    json_put_u64(b, s.inf);
    ybuf_putc(b, '}');
}

/* Can this map go out as a JSON object and come back the same? Its keys must
 * be distinct UTF-8 strings, and it must not look like what json-to-records
 * turns into something else (a tensor, an escape). */
static int map_is_plain(const msgpack_object *o)
{
    const msgpack_object_map *m = &o->via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR ||
            !json_utf8_valid((const uint8_t *)k->via.str.ptr, k->via.str.size))
            return 0;
        for (uint32_t j = 0; j < i; j++) {
            const msgpack_object_str *a = &m->ptr[j].key.via.str;
            if (mp_str_eq(a, k->via.str.ptr, k->via.str.size))
                return 0;
        }
    }
    if (m->size == 1 && mp_map_get(o, "$msgpack"))
        return 0;
    const msgpack_object *data = mp_map_get(o, "data");
    tensor_view t;
    const char *why;
    return !(mp_map_get(o, "dtype") && mp_map_get(o, "shape") && data &&
             data->type == MSGPACK_OBJECT_ARRAY && tensor_from_object(o, &t, &why) != 1);
}

static void put_map(ybuf *b, const msgpack_object *o, int full)
{
    tensor_view t;
    const char *why;
    int is_tensor = tensor_from_object(o, &t, &why) == 1;
    const msgpack_object_map *m = &o->via.map;
    ybuf_putc(b, '{');
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_str *k = &m->ptr[i].key.via.str;
        if (i)
            ybuf_putc(b, ',');
        int is_data = is_tensor && mp_str_eq(k, "data", 4);
        if (is_data && !full) {
            ybuf_puts(b, "\"summary\":");
            put_summary(b, &t);
            continue;
        }
        json_put_str(b, k->ptr, k->size);
        ybuf_putc(b, ':');
        if (is_data)
            put_tensor_data(b, &t);
        else
            put_value(b, &m->ptr[i].val, full);
    }
    ybuf_putc(b, '}');
}

static int put_value(ybuf *b, const msgpack_object *o, int full)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: ybuf_puts(b, "null"); break;
    case MSGPACK_OBJECT_BOOLEAN: ybuf_puts(b, o->via.boolean ? "true" : "false"); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: json_put_u64(b, o->via.u64); break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: json_put_i64(b, o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        if (!isfinite(o->via.f64))
            put_escape(b, o);
        else if (o->type == MSGPACK_OBJECT_FLOAT32)
            json_put_f32(b, (float)o->via.f64);
        else
            json_put_f64(b, o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        if (json_utf8_valid((const uint8_t *)o->via.str.ptr, o->via.str.size))
            json_put_str(b, o->via.str.ptr, o->via.str.size);
        else
            put_escape(b, o);
        break;
    case MSGPACK_OBJECT_ARRAY:
        ybuf_putc(b, '[');
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                ybuf_putc(b, ',');
            put_value(b, &o->via.array.ptr[i], full);
        }
        ybuf_putc(b, ']');
        break;
    case MSGPACK_OBJECT_MAP:
        if (map_is_plain(o))
            put_map(b, o, full);
        else
            put_escape(b, o);
        break;
    default: /* bin, ext */
        put_escape(b, o);
    }
    return 0;
}

int jrec_from_record(rec *r, ybuf *line, int full, yerr *err)
{
    size_t start = line->len;
    msgpack_object whole = {.type = MSGPACK_OBJECT_MAP};
    msgpack_object_kv kv[REC_MAX_KEYS];
    for (size_t i = 0; i < r->n; i++) {
        const char *k;
        size_t kl;
        const msgpack_object *v;
        int rc = rec_at(r, i, &k, &kl, &v, err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        msgpack_object_kv *e = &kv[whole.via.map.size++];
        e->key = (msgpack_object){.type = MSGPACK_OBJECT_STR,
                                  .via.str = {(uint32_t)kl, k}};
        e->val = *v;
    }
    whole.via.map.ptr = kv;
    put_value(line, &whole, full); /* a record with odd keys goes out escaped, whole */
    ybuf_putc(line, '\n');
    if (!line->oom)
        return 0;
    line->len = start;
    return yerr_set(err, YOLO_EIO, "out of memory writing record %ld as JSON", r->index);
}

/* ======== JSON to records ======================================================== */

enum { K_DTYPE = 1, K_SHAPE = 2, K_DATA = 4, K_ESCAPE = 8, K_OTHER = 16 };

typedef struct jframe {
    int is_map;
    size_t hdr;      /* offset of this container's 5-byte placeholder header */
    uint64_t count;  /* items, or key/value pairs for a map */
    unsigned keys;   /* K_* flags of the keys seen in a map */
} jframe;

struct jrec_parser {
    char *name;
    yajl_handle h;
    jrec_emit_fn emit;
    void *ctx;
    ybuf out;                         /* the record being built */
    msgpack_packer pk;                /* packs into out */
    jframe st[MP_MAX_DEPTH];          /* open containers */
    int depth;
    char topkey[64];                  /* top-level key being read, for messages */
    long records;                     /* records emitted */
    uint64_t fed;                     /* bytes before the current chunk */
    uint64_t lines;                   /* newlines before the current chunk */
    yerr err;                         /* set by a callback that stops the parse */
    int failed;
    int located;                      /* err already names the record and key */
    rec_reader *rd;                   /* reads each record back to check it */
    rec check;                        /* the record read back */
};

static int pk_write(void *data, const char *buf, size_t len)
{
    return ybuf_put(data, buf, len);
}

/* Stops the parse with a bad-input message, naming the top-level key. */
static int fail(jrec_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(jrec_parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->depth >= 1 && p->topkey[0])
        yerr_set(&p->err, YOLO_EINPUT, "key '%s': %s", p->topkey, msg);
    else
        yerr_set(&p->err, YOLO_EINPUT, "%s", msg);
    p->failed = 1;
    return 0; /* stops yajl */
}

/* Stops the parse: memory ran out (an I/O-or-system error, not bad input). */
static int oom(jrec_parser *p)
{
    yerr_set(&p->err, YOLO_EIO, "out of memory");
    p->failed = 1;
    return 0;
}

/* Every value starts here: a record must be an object, nesting is bounded,
 * an array counts its items. */
static int begin_value(jrec_parser *p, int is_map)
{
    if (p->depth == 0 && !is_map)
        return fail(p, "a record must be a JSON object");
    if (p->depth > 0 && !p->st[p->depth - 1].is_map)
        p->st[p->depth - 1].count++;
    return 1;
}

static int open_container(jrec_parser *p, int is_map)
{
    if (!begin_value(p, is_map))
        return 0;
    if (p->depth == MP_MAX_DEPTH)
        return fail(p, "nested deeper than 32 arrays and objects");
    if (p->depth == 0)
        p->topkey[0] = 0;
    jframe *f = &p->st[p->depth++];
    *f = (jframe){is_map, p->out.len, 0, 0};
    static const uint8_t ph[5] = {0};
    return ybuf_put(&p->out, ph, 5) == 0;
}

/* Writes the real header of the container at f, in its shortest form. */
static void close_header(jrec_parser *p, const jframe *f)
{
    uint8_t h[5];
    size_t hn;
    uint64_t n = f->count;
    if (n < 16) {
        h[0] = (uint8_t)((f->is_map ? 0x80 : 0x90) | n);
        hn = 1;
    } else if (n < 65536) {
        h[0] = f->is_map ? 0xde : 0xdc;
        h[1] = (uint8_t)(n >> 8), h[2] = (uint8_t)n;
        hn = 3;
    } else {
        h[0] = f->is_map ? 0xdf : 0xdd;
        h[1] = (uint8_t)(n >> 24), h[2] = (uint8_t)(n >> 16);
        h[3] = (uint8_t)(n >> 8), h[4] = (uint8_t)n;
        hn = 5;
    }
    uint8_t *at = p->out.p + f->hdr;
    memmove(at + hn, at + 5, p->out.len - f->hdr - 5);
    memcpy(at, h, hn);
    p->out.len -= 5 - hn;
}

/* Replaces everything from f->hdr to the end of out with repl. */
static int replace_tail(jrec_parser *p, const jframe *f, const ybuf *repl)
{
    p->out.len = f->hdr;
    return ybuf_put(&p->out, repl->p, repl->len) == 0 ? 1 : oom(p);
}

static int decode_escape(jrec_parser *p, const jframe *f)
{
    msgpack_zone z;
    msgpack_object o;
    size_t off = 0;
    msgpack_zone_init(&z, 256);
    int ok = msgpack_unpack((const char *)p->out.p + f->hdr, p->out.len - f->hdr, &off, &z,
                            &o) == MSGPACK_UNPACK_SUCCESS;
    const msgpack_object *v = ok ? mp_map_get(&o, "$msgpack") : NULL;
    ybuf bytes = {0};
    const char *why = NULL;
    int rc;
    if (!v || v->type != MSGPACK_OBJECT_STR)
        rc = fail(p, "\"$msgpack\" must be a base64 string");
    else if (base64_decode(&bytes, v->via.str.ptr, v->via.str.size) < 0)
        rc = fail(p, "\"$msgpack\" is not valid base64");
    else if (bytes.len == 0 || mp_skip(bytes.p, bytes.len, &why) != bytes.len)
        rc = fail(p, "\"$msgpack\" does not hold exactly one msgpack value");
    else
        rc = replace_tail(p, f, &bytes);
    ybuf_free(&bytes);
    msgpack_zone_destroy(&z);
    return rc;
}

/* One element of a tensor's data list, checked against the dtype's range. */
static int tensor_elem(jrec_parser *p, const msgpack_object *e, tensor_dtype dt, uint8_t *dst)
{
    double d;
    if (e->type == MSGPACK_OBJECT_STR && dt == TENSOR_F32) {
        const char *s = e->via.str.ptr;
        size_t n = e->via.str.size;
        if (n == 3 && !memcmp(s, "NaN", 3))
            d = NAN;
        else if (n == 8 && !memcmp(s, "Infinity", 8))
            d = INFINITY;
        else if (n == 9 && !memcmp(s, "-Infinity", 9))
            d = -INFINITY;
        else
            return fail(p, "tensor data: a string other than \"NaN\", \"Infinity\", \"-Infinity\"");
    } else if (mp_as_f64(e, &d) < 0) {
        return fail(p, "tensor data: %s is not a number", mp_object_type_name(e));
    }
    if (dt == TENSOR_F32) {
        float f = (float)d;
        if (isfinite(d) && isinf(f))
            return fail(p, "tensor data: a number out of f32 range");
        memcpy(dst, &f, 4);
        return 1;
    }
    int64_t v;
    int is_int = mp_as_i64(e, &v) == 0;
    if (dt == TENSOR_U8) {
        if (!is_int || v < 0 || v > 255)
            return fail(p, "tensor data: a u8 element is not an integer in [0, 255]");
        *dst = (uint8_t)v;
        return 1;
    }
    if (!is_int || v < INT32_MIN || v > INT32_MAX)
        return fail(p, "tensor data: an i32 element is not a 32-bit integer");
    int32_t w = (int32_t)v;
    memcpy(dst, &w, 4);
    return 1;
}

/* Packs the map o again with its data list as a bin of dtype elements. */
static int pack_tensor(jrec_parser *p, const msgpack_object *o, msgpack_packer *pk, ybuf *nb)
{
    const msgpack_object *dt = mp_map_get(o, "dtype"), *sh = mp_map_get(o, "shape"),
                         *da = mp_map_get(o, "data");
    int d = dt->type == MSGPACK_OBJECT_STR ? tensor_dtype_parse(dt->via.str.ptr, dt->via.str.size) : -1;
    if (d < 0)
        return fail(p, "tensor: dtype is not \"f32\", \"u8\" or \"i32\"");
    tensor_view t = {.dtype = (tensor_dtype)d};
    int64_t dims[TENSOR_MAX_DIMS];
    if (sh->type != MSGPACK_OBJECT_ARRAY || sh->via.array.size > TENSOR_MAX_DIMS)
        return fail(p, "tensor: shape is not a list of at most 8 integers");
    for (uint32_t i = 0; i < sh->via.array.size; i++)
        if (mp_as_i64(&sh->via.array.ptr[i], &dims[i]) < 0)
            return fail(p, "tensor: shape is not a list of integers");
    const char *why;
    if (tensor_set_shape(&t, (int)sh->via.array.size, dims, &why) < 0)
        return fail(p, "tensor: %s", why);
    if (da->via.array.size != t.count)
        return fail(p, "tensor: data has %u numbers, shape needs %zu", da->via.array.size, t.count);
    msgpack_pack_map(pk, o->via.map.size);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        msgpack_pack_object(pk, kv->key);
        if (&kv->val != da) {
            msgpack_pack_object(pk, kv->val);
            continue;
        }
        msgpack_pack_bin(pk, t.nbytes);
        size_t at = nb->len;
        if (ybuf_reserve(nb, t.nbytes) < 0)
            return oom(p);
        nb->len += t.nbytes;
        size_t esz = tensor_dtype_size(t.dtype);
        for (size_t j = 0; j < t.count; j++)
            if (!tensor_elem(p, &da->via.array.ptr[j], t.dtype, nb->p + at + j * esz))
                return 0;
    }
    return 1;
}

static int make_tensor(jrec_parser *p, const jframe *f)
{
    msgpack_zone z;
    msgpack_object o;
    size_t off = 0;
    msgpack_zone_init(&z, 4096);
    int rc;
    if (msgpack_unpack((const char *)p->out.p + f->hdr, p->out.len - f->hdr, &off, &z, &o) !=
        MSGPACK_UNPACK_SUCCESS) {
        rc = oom(p);
    } else if (mp_map_get(&o, "data")->type != MSGPACK_OBJECT_ARRAY) {
        rc = 1; /* {dtype, shape, data} with data not a list: an ordinary map */
    } else {
        ybuf nb = {0};
        msgpack_packer pk;
        msgpack_packer_init(&pk, &nb, pk_write);
        rc = pack_tensor(p, &o, &pk, &nb);
        if (rc && nb.oom)
            rc = oom(p);
        if (rc)
            rc = replace_tail(p, f, &nb);
        ybuf_free(&nb);
    }
    msgpack_zone_destroy(&z);
    return rc;
}

static int emit_record(jrec_parser *p)
{
    /* Read it back as the next stage will: duplicate keys, the limits and
     * the key types of docs/records.md are caught here, with the record's
     * index. */
    yerr e;
    rec_reader_reset_mem(p->rd, p->out.p, p->out.len);
    int ok = rec_read(p->rd, &p->check, &e) == 1 && rec_check_schema(&p->check, &e) == 0 &&
             p->emit(p->ctx, p->out.p, p->out.len, &e) == 0;
    p->out.len = 0;
    if (!ok) {
        p->err = e;
        p->failed = p->located = 1;
        return 0;
    }
    p->records++;
    return 1;
}

static int close_container(jrec_parser *p)
{
    jframe f = p->st[--p->depth];
    close_header(p, &f);
    int rc = 1;
    if (f.is_map && f.keys == K_ESCAPE && f.count == 1)
        rc = decode_escape(p, &f);
    else if (f.is_map && (f.keys & (K_DTYPE | K_SHAPE | K_DATA)) == (K_DTYPE | K_SHAPE | K_DATA))
        rc = make_tensor(p, &f);
    if (rc && p->out.oom)
        rc = oom(p);
    if (rc && p->depth == 0)
        rc = emit_record(p);
    return rc;
}

static int on_null(void *ctx)
{
    jrec_parser *p = ctx;
    return begin_value(p, 0) && msgpack_pack_nil(&p->pk) == 0;
}

static int on_bool(void *ctx, int v)
{
    jrec_parser *p = ctx;
    return begin_value(p, 0) && (v ? msgpack_pack_true(&p->pk) : msgpack_pack_false(&p->pk)) == 0;
}

static int on_number(void *ctx, const char *s, size_t n)
{
    jrec_parser *p = ctx;
    if (!begin_value(p, 0))
        return 0;
    char t[128];
    if (n >= sizeof t)
        return fail(p, "number with more than 127 characters");
    memcpy(t, s, n);
    t[n] = 0;
    char *end;
    errno = 0;
    if (!strpbrk(t, ".eE")) {
        if (t[0] == '-') {
            long long v = strtoll(t, &end, 10);
            if (errno == 0)
                return msgpack_pack_int64(&p->pk, v) == 0;
        } else {
            unsigned long long v = strtoull(t, &end, 10);
            if (errno == 0)
                return msgpack_pack_uint64(&p->pk, v) == 0;
        }
        return fail(p, "integer %s does not fit in 64 bits", t);
    }
    double d = strtod(t, &end);
    if (errno == ERANGE && isinf(d))
        return fail(p, "number %s is out of double range", t);
    return msgpack_pack_double(&p->pk, d) == 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    jrec_parser *p = ctx;
    return begin_value(p, 0) && msgpack_pack_str_with_body(&p->pk, s, n) == 0;
}

static int on_start_map(void *ctx) { return open_container(ctx, 1); }
static int on_start_array(void *ctx) { return open_container(ctx, 0); }
static int on_end(void *ctx) { return close_container(ctx); }

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    jrec_parser *p = ctx;
    jframe *f = &p->st[p->depth - 1];
    f->count++;
    unsigned k = K_OTHER;
    if (n == 5 && !memcmp(s, "dtype", 5))
        k = K_DTYPE;
    else if (n == 5 && !memcmp(s, "shape", 5))
        k = K_SHAPE;
    else if (n == 4 && !memcmp(s, "data", 4))
        k = K_DATA;
    else if (n == 8 && !memcmp(s, "$msgpack", 8))
        k = K_ESCAPE;
    f->keys |= k;
    if (p->depth == 1) {
        size_t m = n < sizeof p->topkey - 1 ? n : sizeof p->topkey - 1;
        memcpy(p->topkey, s, m);
        p->topkey[m] = 0;
    }
    return msgpack_pack_str_with_body(&p->pk, s, n) == 0;
}

static const yajl_callbacks callbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string,
    on_start_map, on_key, on_end, on_start_array, on_end,
};

jrec_parser *jrec_parser_new(const char *name, jrec_emit_fn emit, void *ctx, yerr *err)
{
    jrec_parser *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(name))) {
        free(p);
        yerr_set(err, YOLO_EIO, "out of memory");
        return NULL;
    }
    p->emit = emit;
    p->ctx = ctx;
    msgpack_packer_init(&p->pk, &p->out, pk_write);
    rec_init(&p->check);
    p->rd = rec_reader_new_mem("", 0, name, err);
    p->h = yajl_alloc(&callbacks, NULL, p);
    if (!p->h || !p->rd) {
        jrec_parser_free(p);
        yerr_set(err, YOLO_EIO, "out of memory");
        return NULL;
    }
    yajl_config(p->h, yajl_allow_multiple_values, 1);
    return p;
}

void jrec_parser_free(jrec_parser *p)
{
    if (!p)
        return;
    if (p->h)
        yajl_free(p->h);
    rec_free(&p->check);
    rec_reader_free(p->rd);
    ybuf_free(&p->out);
    free(p->name);
    free(p);
}

/* Turns a stopped parse into a message with the position. */
static int report(jrec_parser *p, yajl_status st, const uint8_t *buf, size_t len, yerr *err)
{
    size_t at = buf ? yajl_get_bytes_consumed(p->h) : 0;
    if (at > len)
        at = len;
    uint64_t line = p->lines + (buf ? json_count_lines(buf, at) : 0) + 1;
    uint64_t off = p->fed + at;
    if (st == yajl_status_client_canceled && p->failed) {
        if (p->err.code == YOLO_EIO)
            *err = p->err;
        else if (p->located)
            yerr_set(err, p->err.code, "%s (JSON line %llu, byte offset %llu)", p->err.msg,
                     (unsigned long long)line, (unsigned long long)off);
        else
            yerr_set(err, p->err.code, "%s: line %llu (byte offset %llu, record %ld): %s",
                     p->name, (unsigned long long)line, (unsigned long long)off, p->records,
                     p->err.msg);
        return -1;
    }
    if (!buf)
        return yerr_set(err, YOLO_EINPUT, "%s: line %llu (byte offset %llu): truncated: input ends inside record %ld",
                        p->name, (unsigned long long)line, (unsigned long long)off, p->records);
    unsigned char *m = yajl_get_error(p->h, 0, buf, len);
    const char *msg = m ? (const char *)m : "invalid JSON";
    char clean[256];
    snprintf(clean, sizeof clean, "%s", msg);
    for (char *c = clean; *c; c++)
        if (*c == '\n')
            *c = ' ';
    yerr_set(err, YOLO_EINPUT, "%s: line %llu (byte offset %llu, record %ld): %s", p->name,
             (unsigned long long)line, (unsigned long long)off, p->records, clean);
    if (m)
        yajl_free_error(p->h, m);
    return -1;
}

int jrec_feed(jrec_parser *p, const uint8_t *buf, size_t len, yerr *err)
{
    yajl_status st = yajl_parse(p->h, buf, len);
    if (st != yajl_status_ok)
        return report(p, st, buf, len, err);
    p->fed += len;
    p->lines += json_count_lines(buf, len);
    return 0;
}

int jrec_finish(jrec_parser *p, yerr *err)
{
    yajl_status st = yajl_complete_parse(p->h);
    if (st != yajl_status_ok)
        return report(p, st, NULL, 0, err);
    if (p->depth > 0)
        return yerr_set(err, YOLO_EINPUT, "%s: truncated: input ends inside record %ld",
                        p->name, p->records);
    return 0;
}
