#define _GNU_SOURCE   /* F_SETPIPE_SZ (Linux): the record writer's pipe buffer */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/records/mpscan.h"
#include "yolo/records/record.h"

/* ---- the record ---------------------------------------------------------- */

/* msgpack_packer's write callback: appends to r->out. */
static int out_write(void *data, const char *buf, size_t len)
{
    rec *r = data;
    return ybuf_put(&r->out, buf, len);
}

void rec_init(rec *r)
{
    memset(r, 0, sizeof *r);
    r->index = -1;
    r->src = "<new>";
    r->open_key = (size_t)-1;
    msgpack_packer_init(&r->pk, r, out_write);
    msgpack_zone_init(&r->zone, 4096);
}

void rec_free(rec *r)
{
    free(r->ents);
    ybuf_free(&r->out);
    ybuf_free(&r->own);
    msgpack_zone_destroy(&r->zone);
    memset(r, 0, sizeof *r);
}

void rec_clear(rec *r)
{
    r->raw = NULL;
    r->raw_len = 0;
    r->index = -1;
    r->offset = 0;
    r->modified = 0;
    r->n = 0;
    r->out.len = 0;
    r->out.oom = 0;
    r->open_key = (size_t)-1;
    msgpack_zone_clear(&r->zone);
}

int rec_detach(rec *r, yerr *err)
{
    size_t nsrc = strlen(r->src) + 1;
    r->own.len = 0;
    r->own.oom = 0;
    if (ybuf_put(&r->own, r->raw, r->raw_len) < 0 || ybuf_put(&r->own, r->src, nsrc) < 0)
        return yerr_set(err, YOLO_EIO, "%s: record %ld: out of memory", r->src, r->index);
    r->raw = r->own.p;
    r->src = (const char *)r->own.p + r->raw_len;
    for (size_t i = 0; i < r->n; i++)     /* decoded values pointed into the old bytes */
        r->ents[i].decoded = 0;
    msgpack_zone_clear(&r->zone);
    return 0;
}

static const uint8_t *span_ptr(const rec *r, rec_span s)
{
    return (s.in_out ? r->out.p : r->raw) + s.off;
}

static int key_eq(const rec *r, const rec_entry *e, const char *key, size_t kl)
{
    return e->keytext.len == kl && memcmp(span_ptr(r, e->keytext), key, kl) == 0;
}

static rec_entry *find(const rec *r, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < r->n; i++)
        if (r->ents[i].state != REC_DELETED && key_eq(r, &r->ents[i], key, kl))
            return &r->ents[i];
    return NULL;
}

static int grow_ents(rec *r)
{
    if (r->n < r->cap)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : 16;
    rec_entry *p = realloc(r->ents, cap * sizeof *p);
    if (!p)
        return -1;
    r->ents = p;
    r->cap = cap;
    return 0;
}

int rec_fail(const rec *r, yerr *err, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->index >= 0)
        return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key '%s': %s", r->src,
                        r->index, path, msg);
    return yerr_set(err, YOLO_EINPUT, "key '%s': %s", path, msg);
}

/* ---- indexing a record's top-level keys ------------------------------------ */

/* Reads a map header at p[0, len): entry count and header size. */
static int map_header(const uint8_t *p, size_t len, uint64_t *count, size_t *hsize)
{
    if (len >= 1 && p[0] >= 0x80 && p[0] <= 0x8f) {
        *count = p[0] & 0x0f;
        *hsize = 1;
    } else if (len >= 3 && p[0] == 0xde) {
        *count = (uint64_t)p[1] << 8 | p[2];
        *hsize = 3;
    } else if (len >= 5 && p[0] == 0xdf) {
        *count = (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
        *hsize = 5;
    } else {
        return -1;
    }
    return 0;
}

/* Text of the str at p: header size and text length, or -1 if not a str. */
static int str_header(const uint8_t *p, size_t len, size_t *hsize, size_t *tlen)
{
    if (len >= 1 && p[0] >= 0xa0 && p[0] <= 0xbf) {
        *hsize = 1;
        *tlen = p[0] & 0x1f;
    } else if (len >= 2 && p[0] == 0xd9) {
        *hsize = 2;
        *tlen = p[1];
    } else if (len >= 3 && p[0] == 0xda) {
        *hsize = 3;
        *tlen = (size_t)p[1] << 8 | p[2];
    } else if (len >= 5 && p[0] == 0xdb) {
        *hsize = 5;
        *tlen = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
    } else {
        return -1;
    }
    return 0;
}

static void quote_key(char *dst, size_t n, const uint8_t *k, size_t kl)
{
    size_t j = 0;
    for (size_t i = 0; i < kl && j + 5 < n; i++) {
        if (k[i] >= 0x20 && k[i] < 0x7f)
            dst[j++] = (char)k[i];
        else
            j += (size_t)snprintf(dst + j, n - j, "\\x%02x", k[i]);
    }
    if (j >= n)
        j = n - 1;
    dst[j] = 0;
}

static int index_record(rec *r, yerr *err)
{
    uint64_t count;
    size_t pos;
    if (map_header(r->raw, r->raw_len, &count, &pos) < 0)
        return yerr_set(err, YOLO_EINPUT, "%s: record %ld (byte offset %llu) is not a map (msgpack %s)",
                        r->src, r->index, (unsigned long long)r->offset,
                        mp_type_name(r->raw[0]));
    if (count > REC_MAX_KEYS)
        return yerr_set(err, YOLO_EINPUT, "%s: record %ld has %llu keys, more than %d",
                        r->src, r->index, (unsigned long long)count, REC_MAX_KEYS);
    for (uint64_t i = 0; i < count; i++) {
        size_t kh, kl;
        const uint8_t *p = r->raw + pos;
        size_t left = r->raw_len - pos;
        if (str_header(p, left, &kh, &kl) < 0)
            return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key number %llu is not a string (msgpack %s)",
                            r->src, r->index, (unsigned long long)i, mp_type_name(p[0]));
        if (kl > REC_MAX_KEY_LEN)
            return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key number %llu is %zu bytes long, more than %d",
                            r->src, r->index, (unsigned long long)i, kl, REC_MAX_KEY_LEN);
        size_t vpos = pos + kh + kl;
        const char *why = NULL;
        size_t vl = mp_skip(r->raw + vpos, r->raw_len - vpos, &why);
        if (grow_ents(r) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        char kq[128];
        quote_key(kq, sizeof kq, p + kh, kl);
        if (vl == 0) /* cannot happen once the framer accepted the record */
            return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key '%s': %s", r->src,
                            r->index, kq, why);
        for (size_t j = 0; j < r->n; j++)
            if (r->ents[j].keytext.len == kl &&
                memcmp(span_ptr(r, r->ents[j].keytext), p + kh, kl) == 0)
                return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key '%s' appears twice",
                                r->src, r->index, kq);
        rec_entry *e = &r->ents[r->n++];
        memset(e, 0, sizeof *e);
        e->key = (rec_span){0, pos, kh + kl};
        e->keytext = (rec_span){0, pos + kh, kl};
        e->val = (rec_span){0, vpos, vl};
        pos = vpos + vl;
    }
    return 0;
}

/* ---- the reader ------------------------------------------------------------ */

typedef ssize_t (*read_fn)(void *src, void *buf, size_t n);

struct rec_reader {
    char *name;
    read_fn read;
    void *src;               /* fd (as intptr) or FILE* */
    int fd;
    uint8_t *buf;            /* [cap]; bytes [start, end) not yet returned */
    size_t cap, start, end;
    const uint8_t *mem;      /* the whole input, for memory readers */
    int eof;
    long count;
    uint64_t consumed;       /* bytes before buf[start] */
};

static ssize_t read_fd(void *src, void *buf, size_t n)
{
    int fd = *(int *)src;
    for (;;) {
        ssize_t k = read(fd, buf, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

static ssize_t read_file(void *src, void *buf, size_t n)
{
    FILE *f = src;
    size_t k = fread(buf, 1, n, f);
    if (k == 0 && ferror(f))
        return -1;
    return (ssize_t)k;
}

static rec_reader *reader_new(const char *name, yerr *err)
{
    rec_reader *rd = calloc(1, sizeof *rd);
    if (rd)
        rd->name = strdup(name);
    if (!rd || !rd->name) {
        free(rd);
        yerr_set(err, YOLO_EIO, "out of memory");
        return NULL;
    }
    return rd;
}

rec_reader *rec_reader_new_fd(int fd, const char *name, yerr *err)
{
    rec_reader *rd = reader_new(name, err);
    if (rd) {
        rd->fd = fd;
        rd->src = &rd->fd;
        rd->read = read_fd;
    }
    return rd;
}

rec_reader *rec_reader_new_file(FILE *f, const char *name, yerr *err)
{
    rec_reader *rd = reader_new(name, err);
    if (rd) {
        rd->src = f;
        rd->read = read_file;
    }
    return rd;
}

rec_reader *rec_reader_new_mem(const void *buf, size_t len, const char *name, yerr *err)
{
    rec_reader *rd = reader_new(name, err);
    if (rd) {
        rd->mem = buf;
        rd->end = len;
        rd->eof = 1;
    }
    return rd;
}

void rec_reader_reset_mem(rec_reader *rd, const void *buf, size_t len)
{
    rd->mem = buf;
    rd->start = 0;
    rd->end = len;
}

void rec_reader_free(rec_reader *rd)
{
    if (!rd)
        return;
    free(rd->name);
    free(rd->buf);
    free(rd);
}

long rec_reader_count(const rec_reader *rd) { return rd->count; }
uint64_t rec_reader_bytes(const rec_reader *rd) { return rd->consumed; }

static const uint8_t *rd_data(const rec_reader *rd)
{
    return (rd->mem ? rd->mem : rd->buf) + rd->start;
}

/* Makes room for at least `want` bytes from start. What is pending moves to
 * the front of the buffer only when the room after it is too small, so the
 * read-ahead of the next record is not copied once per record. */
static int rd_reserve(rec_reader *rd, size_t want)
{
    if (rd->start + want <= rd->cap)
        return 0;
    if (rd->start > 0) {
        memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
        rd->end -= rd->start;
        rd->start = 0;
    }
    if (want <= rd->cap)
        return 0;
    size_t cap = rd->cap ? rd->cap : 1 << 16;
    while (cap < want)
        cap *= 2;
    uint8_t *p = realloc(rd->buf, cap);
    if (!p)
        return -1;
    rd->buf = p;
    rd->cap = cap;
    return 0;
}

/* Reads more input so that at least `need` bytes are pending, or to EOF.
 * Reads in large blocks, so a small read is not paid per record. */
/* Reads more input until at least `need` bytes are pending, or to EOF. The
 * buffer grows with the data that arrives (doubling), not with the length a
 * header claims, so a garbled header does not reserve gigabytes. */
static int rd_fill(rec_reader *rd, size_t need, yerr *err)
{
    while (rd->end - rd->start < need && !rd->eof) {
        size_t have = rd->end - rd->start, want = have * 2;
        if (want < (1 << 16))
            want = 1 << 16;
        if (want > need && need > have)
            want = need > (1 << 16) ? need : (1 << 16);
        if (rd_reserve(rd, want) < 0)
            return yerr_set(err, YOLO_EIO, "%s: out of memory reading a record of %zu bytes",
                            rd->name, need);
        ssize_t k = rd->read(rd->src, rd->buf + rd->end, rd->cap - rd->end);
        if (k < 0)
            return yerr_set(err, YOLO_EIO, "%s: read error: %s", rd->name, strerror(errno));
        if (k == 0)
            rd->eof = 1;
        rd->end += (size_t)k;
    }
    return 0;
}

int rec_read(rec_reader *rd, rec *r, yerr *err)
{
    rec_clear(r);
    r->src = rd->name;
    r->index = rd->count;
    r->offset = rd->consumed;
    mp_scan s;
    mp_scan_init(&s);
    for (;;) {
        size_t have = rd->end - rd->start;
        if (have == 0 && rd->eof)
            return 0;
        int rc = MP_MORE;
        s.need = 1;
        if (have)
            rc = mp_scan_step(&s, rd_data(rd), have);
        if (rc == MP_DONE)
            break;
        if (rc == MP_ERROR)
            return yerr_set(err, YOLO_EINPUT, "%s: record %ld: invalid msgpack at byte offset %llu: %s",
                            rd->name, rd->count,
                            (unsigned long long)(rd->consumed + s.pos), s.why);
        if (s.need > REC_MAX_BYTES)
            return yerr_set(err, YOLO_EINPUT, "%s: record %ld (byte offset %llu) is larger than %llu bytes",
                            rd->name, rd->count, (unsigned long long)rd->consumed,
                            (unsigned long long)REC_MAX_BYTES);
        if (rd->eof)
            return yerr_set(err, YOLO_EINPUT,
                            "%s: truncated stream: record %ld (byte offset %llu) ends after %zu bytes, needs at least %zu",
                            rd->name, rd->count, (unsigned long long)rd->consumed, have, s.need);
        if (rd_fill(rd, s.need, err) < 0)
            return -1;
    }
    r->raw = rd_data(rd);
    r->raw_len = s.pos;
    rd->start += s.pos;
    rd->consumed += s.pos;
    rd->count++;
    return index_record(r, err) < 0 ? -1 : 1;
}

/* ---- getters --------------------------------------------------------------- */

int rec_has(const rec *r, const char *key) { return find(r, key) != NULL; }

static int decode(rec *r, rec_entry *e, const msgpack_object **o, yerr *err)
{
    if (e->decoded) {
        *o = &e->obj;
        return 1;
    }
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack((const char *)span_ptr(r, e->val), e->val.len,
                                              &off, &r->zone, &e->obj);
    if (rc != MSGPACK_UNPACK_SUCCESS) {
        char kq[128];
        quote_key(kq, sizeof kq, span_ptr(r, e->keytext), e->keytext.len);
        return rc == MSGPACK_UNPACK_NOMEM_ERROR
                   ? yerr_set(err, YOLO_EIO, "out of memory decoding key '%s'", kq)
                   : rec_fail(r, err, kq, "value does not decode as msgpack");
    }
    /* A value set since reading lives in `out`, which may move on the next
     * set: decode it afresh each time rather than cache pointers into it. */
    e->decoded = !e->val.in_out;
    *o = &e->obj;
    return 1;
}

int rec_get(rec *r, const char *key, const msgpack_object **o, yerr *err)
{
    rec_entry *e = find(r, key);
    return e ? decode(r, e, o, err) : 0;
}

int rec_at(rec *r, size_t i, const char **key, size_t *klen, const msgpack_object **val,
           yerr *err)
{
    rec_entry *e = &r->ents[i];
    if (e->state == REC_DELETED)
        return 0;
    *key = (const char *)span_ptr(r, e->keytext);
    *klen = e->keytext.len;
    return decode(r, e, val, err);
}

void rec_raw_at(const rec *r, size_t i, const uint8_t **p, size_t *len)
{
    *p = span_ptr(r, r->ents[i].val);
    *len = r->ents[i].val.len;
}

static int wrong_type(rec *r, const char *key, const msgpack_object *o,
                      const char *expected, yerr *err)
{
    return rec_fail(r, err, key, "expected %s, got %s", expected, mp_object_type_name(o));
}

int rec_get_i64(rec *r, const char *key, int64_t *v, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (mp_as_i64(o, v) == 0)
        return 1;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return rec_fail(r, err, key, "integer %llu is beyond the int64 range",
                        (unsigned long long)o->via.u64);
    return wrong_type(r, key, o, "an integer", err);
}

int rec_get_f64(rec *r, const char *key, double *v, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (mp_as_f64(o, v) == 0)
        return 1;
    return wrong_type(r, key, o, "a number", err);
}

int rec_get_bool(rec *r, const char *key, int *v, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (mp_as_bool(o, v) == 0)
        return 1;
    return wrong_type(r, key, o, "a bool", err);
}

int rec_get_str(rec *r, const char *key, const char **s, size_t *len, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (mp_as_str(o, s, len) == 0)
        return 1;
    return wrong_type(r, key, o, "a string", err);
}

int rec_get_array(rec *r, const char *key, const msgpack_object_array **a, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        *a = &o->via.array;
        return 1;
    }
    return wrong_type(r, key, o, "an array", err);
}

int rec_get_map(rec *r, const char *key, const msgpack_object_map **m, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    if (o->type == MSGPACK_OBJECT_MAP) {
        *m = &o->via.map;
        return 1;
    }
    return wrong_type(r, key, o, "a map", err);
}

int rec_as_tensor(const rec *r, const msgpack_object *o, const char *path, tensor_view *t,
                  yerr *err)
{
    const char *why = NULL;
    int rc = tensor_from_object(o, t, &why);
    if (rc == 1)
        return 0;
    if (rc == 0)
        return rec_fail(r, err, path, "expected a tensor {dtype, shape, data}, got %s%s",
                        mp_object_type_name(o),
                        o->type == MSGPACK_OBJECT_MAP && !mp_map_get(o, "data")
                            ? " without data (a summary from records-to-json without --full?)"
                            : "");
    if (strstr(why, "data length")) {
        char shape[160];
        tensor_shape_str(t, shape, sizeof shape);
        return rec_fail(r, err, path, "tensor %s %s needs %zu bytes of data, has %u",
                        tensor_dtype_name(t->dtype), shape, t->nbytes,
                        mp_map_get(o, "data")->via.bin.size);
    }
    return rec_fail(r, err, path, "bad tensor: %s", why);
}

int rec_get_tensor(rec *r, const char *key, tensor_view *t, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc;
    return rec_as_tensor(r, o, key, t, err) < 0 ? -1 : 1;
}

int rec_get_raw(const rec *r, const char *key, const uint8_t **p, size_t *len)
{
    rec_entry *e = find(r, key);
    if (!e)
        return 0;
    *p = span_ptr(r, e->val);
    *len = e->val.len;
    return 1;
}

/* ---- setters --------------------------------------------------------------- */

msgpack_packer *rec_set_begin(rec *r, const char *key)
{
    size_t kl = strlen(key);
    r->out.oom = 0;
    r->open_key = (size_t)-1;
    r->open_start = r->out.len;
    rec_entry *e = find(r, key);
    r->open_new = !e;
    if (!e && grow_ents(r) < 0) {
        r->out.oom = 1;
        return &r->pk;
    }
    if (e) {
        r->open_prev = *e;
    } else {
        e = &r->ents[r->n++];
        memset(e, 0, sizeof *e);
        msgpack_pack_str_with_body(&r->pk, key, kl);
        e->key = (rec_span){1, r->open_start, r->out.len - r->open_start};
        e->keytext = (rec_span){1, r->out.len - kl, kl};
    }
    e->state = REC_SET;
    e->decoded = 0;
    r->open_key = (size_t)(e - r->ents);
    r->open_off = r->out.len;
    return &r->pk;
}

/* Undoes the set in progress: the record is as before rec_set_begin. */
static void set_abort(rec *r, size_t i)
{
    r->out.len = r->open_start;
    r->out.oom = 0;
    if (i == (size_t)-1)
        return;
    if (r->open_new)
        r->n--;
    else
        r->ents[i] = r->open_prev;
}

int rec_set_end(rec *r, yerr *err)
{
    size_t i = r->open_key;
    r->open_key = (size_t)-1;
    if (r->out.oom) {
        set_abort(r, i);
        return yerr_set(err, YOLO_EIO, "out of memory setting a value");
    }
    if (i == (size_t)-1)
        return yerr_set(err, YOLO_EIO, "internal: rec_set_end without rec_set_begin");
    rec_entry *e = &r->ents[i];
    size_t len = r->out.len - r->open_off;
    const char *why = "nothing was packed";
    if (len == 0 || mp_skip(r->out.p + r->open_off, len, &why) != len) {
        char kq[128];
        quote_key(kq, sizeof kq, span_ptr(r, e->keytext), e->keytext.len);
        set_abort(r, i);
        return yerr_set(err, YOLO_EIO, "internal: value packed for key '%s' is not one msgpack object (%s)",
                        kq, len ? "more than one, or incomplete" : why);
    }
    e->val = (rec_span){1, r->open_off, len};
    r->modified = 1;
    return 0;
}

int rec_set_i64(rec *r, const char *key, int64_t v, yerr *err)
{
    msgpack_pack_int64(rec_set_begin(r, key), v);
    return rec_set_end(r, err);
}

int rec_set_f64(rec *r, const char *key, double v, yerr *err)
{
    msgpack_pack_double(rec_set_begin(r, key), v);
    return rec_set_end(r, err);
}

int rec_set_bool(rec *r, const char *key, int v, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, key);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    return rec_set_end(r, err);
}

int rec_set_nil(rec *r, const char *key, yerr *err)
{
    msgpack_pack_nil(rec_set_begin(r, key));
    return rec_set_end(r, err);
}

int rec_set_str(rec *r, const char *key, const char *s, size_t len, yerr *err)
{
    msgpack_pack_str_with_body(rec_set_begin(r, key), s, len);
    return rec_set_end(r, err);
}

int rec_set_cstr(rec *r, const char *key, const char *s, yerr *err)
{
    return rec_set_str(r, key, s, strlen(s), err);
}

int rec_set_raw(rec *r, const char *key, const uint8_t *p, size_t len, yerr *err)
{
    /* p may point into r->out, which the key's packing can move: only then
     * copy it first (values copied from the record as read need no copy). */
    int inside = r->out.p && p >= r->out.p && p < r->out.p + r->out.cap;
    uint8_t *tmp = inside ? malloc(len ? len : 1) : NULL;
    if (inside && !tmp)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (tmp)
        memcpy(tmp, p, len);
    msgpack_packer *pk = rec_set_begin(r, key);
    out_write(pk->data, (const char *)(tmp ? tmp : p), len);
    free(tmp);
    return rec_set_end(r, err);
}

void *rec_set_tensor_alloc(rec *r, const char *key, tensor_view *t, yerr *err)
{
    tensor_pack_header(rec_set_begin(r, key), t);
    size_t at = r->out.len;
    if (ybuf_reserve(&r->out, t->nbytes) == 0) {
        memset(r->out.p + at, 0, t->nbytes);
        r->out.len += t->nbytes;
    }
    if (rec_set_end(r, err) < 0)
        return NULL;
    return r->out.p + at;
}

int rec_set_tensor(rec *r, const char *key, const tensor_view *t, yerr *err)
{
    tensor_view v = *t;
    /* t->data may point into r->out; alloc may move it, so copy via a
     * temporary only in that case. */
    int inside = r->out.p && t->data >= r->out.p && t->data < r->out.p + r->out.cap;
    uint8_t *tmp = NULL;
    if (inside) {
        tmp = malloc(t->nbytes ? t->nbytes : 1);
        if (!tmp)
            return yerr_set(err, YOLO_EIO, "out of memory");
        memcpy(tmp, t->data, t->nbytes);
        v.data = tmp;
    }
    void *dst = rec_set_tensor_alloc(r, key, &v, err);
    if (dst && v.nbytes)
        memcpy(dst, v.data, v.nbytes);
    free(tmp);
    return dst ? 0 : -1;
}

int rec_set_error(rec *r, const char *stage, const char *msg, yerr *err)
{
    char line[1024];
    snprintf(line, sizeof line, "%s: %s", stage, msg);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return rec_set_cstr(r, "error", line, err);
}

int rec_delete(rec *r, const char *key)
{
    rec_entry *e = find(r, key);
    if (!e)
        return 0;
    e->state = REC_DELETED;
    r->modified = 1;
    return 1;
}

/* ---- the writer ------------------------------------------------------------ */

/* The most a writer grows its pipe to: the default /proc/sys/fs/pipe-max-size,
 * what an unprivileged process may ask. */
#define REC_PIPE_MAX (1 << 20)

void rec_writer_init(rec_writer *w, FILE *f, const char *name)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->name = name;
    struct stat st;
    int fd = f ? fileno(f) : -1;
    w->pipe = fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
#ifdef F_SETPIPE_SZ
    int size;
    if (w->pipe && (size = fcntl(fd, F_GETPIPE_SZ)) > 0)
        w->pipe_bytes = (size_t)size;
#endif
}

/* Before a record of n bytes: w's pipe grown to hold it whole (a power of
 * two times its size, at most REC_PIPE_MAX). With the kernel's 64 KiB a
 * 900 KiB video frame's record passes in 14 rounds of write, wake the
 * reader, read, and the writer waits for the reader to take all but the
 * last 64 KiB: through a chain of stages (rescale | nms | track | draw)
 * each record then ripples through every process before the first can go
 * on. Records that fit (a dataset's, of a few KiB) leave the pipe as it
 * is. A refusal (the system's limits) stops the growing: records go
 * through either way. */
static void fit_pipe(rec_writer *w, size_t n)
{
#ifdef F_SETPIPE_SZ
    if (w->pipe_bytes == 0 || n <= w->pipe_bytes || w->pipe_bytes >= REC_PIPE_MAX)
        return;
    size_t want = w->pipe_bytes;
    while (want < n && want < REC_PIPE_MAX)
        want *= 2;
    int got = fcntl(fileno(w->f), F_SETPIPE_SZ, (int)want);
    w->pipe_bytes = got > 0 ? (size_t)got : 0;
#else
    (void)w, (void)n;
#endif
}

static int put(rec_writer *w, const void *p, size_t n, yerr *err)
{
    if (n && fwrite(p, 1, n, w->f) != n) {
        if (!w->write_errno)
            w->write_errno = errno ? errno : EIO;
        return yerr_set(err, YOLO_EIO, "%s: write error: %s", w->name, strerror(errno));
    }
    w->bytes += n;
    return 0;
}

/* rec_write's bytes. */
static int put_record(rec_writer *w, const rec *r, yerr *err)
{
    if (r->raw && !r->modified) {
        fit_pipe(w, r->raw_len);
        return put(w, r->raw, r->raw_len, err);
    }
    size_t live = 0, len = 5;
    for (size_t i = 0; i < r->n; i++)
        if (r->ents[i].state != REC_DELETED) {
            live++;
            len += r->ents[i].key.len + r->ents[i].val.len;
        }
    fit_pipe(w, len);
    uint8_t hdr[5];
    size_t hn;
    if (live < 16) {
        hdr[0] = (uint8_t)(0x80 | live);
        hn = 1;
    } else if (live < 65536) {
        hdr[0] = 0xde, hdr[1] = (uint8_t)(live >> 8), hdr[2] = (uint8_t)live;
        hn = 3;
    } else {
        hdr[0] = 0xdf, hdr[1] = (uint8_t)(live >> 24), hdr[2] = (uint8_t)(live >> 16);
        hdr[3] = (uint8_t)(live >> 8), hdr[4] = (uint8_t)live;
        hn = 5;
    }
    if (put(w, hdr, hn, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        const rec_entry *e = &r->ents[i];
        if (e->state == REC_DELETED)
            continue;
        if (put(w, span_ptr(r, e->key), e->key.len, err) < 0 ||
            put(w, span_ptr(r, e->val), e->val.len, err) < 0)
            return -1;
    }
    return 0;
}

int rec_write(rec_writer *w, const rec *r, yerr *err)
{
    if (put_record(w, r, err) < 0)
        return -1;
    w->count++;
    /* On a pipe a record goes on whole as soon as it is written: left in
     * stdio's buffer, its last bytes would wait for the next record, and a
     * live video would age one frame in every stage (5 stages at 25 fps:
     * 200 ms). One write more a record. */
    if (w->pipe && fflush(w->f) != 0) {
        if (!w->write_errno)
            w->write_errno = errno ? errno : EIO;
        return yerr_set(err, YOLO_EIO, "%s: write error: %s", w->name, strerror(errno));
    }
    return 0;
}
