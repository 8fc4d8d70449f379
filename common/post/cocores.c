/* COCO results written from records and read back for eval-map
 * (include/yolo/post/cocores.h says what and how). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl_parse.h>

#include "yolo/base/json.h"
#include "yolo/data/coco.h"
#include "yolo/base/buf.h"
#include "yolo/post/cocores.h"
#include "yolo/post/rescale.h"
#include "yolo/records/mp.h"

/* ======== the ids ================================================================ */

int cocores_parse_image_from(const char *s, int *v)
{
    if (!strcmp(s, "coco_id"))
        *v = COCORES_IMAGE_COCO_ID;
    else if (!strcmp(s, "stem"))
        *v = COCORES_IMAGE_STEM;
    else
        return -1;
    return 0;
}

/* A --category-ids file being read (yfile_lines). */
typedef struct category_file {
    cocores_ids *o;
    const char *path;
} category_file;

/* One line of a --category-ids file, trimmed: appended to o->cat. */
static int add_category_line(void *ctx, long line, char *s, size_t len, yerr *err)
{
    category_file *cf = ctx;
    cocores_ids *o = cf->o;
    const char *path = cf->path;
    int64_t id;
    if (json_parse_i64(s, len, &id) < 0)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: '%.40s' is not an integer category id", path,
                        line, s);
    for (int c = 0; c < o->ncat; c++)
        if (o->cat[c] == id)
            return yerr_set(err, YOLO_EINPUT, "%s:%ld: category id %lld is class %d's already",
                            path, line, (long long)id, c);
    if (o->ncat == COCORES_MAX_CLASSES)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: more than %d classes", path, line,
                        COCORES_MAX_CLASSES);
    int64_t *v = realloc(o->cat, (size_t)(o->ncat + 1) * sizeof *v);
    if (!v)
        return yerr_set(err, YOLO_EIO, "out of memory");
    o->cat = v;
    o->cat[o->ncat++] = id;
    return 0;
}

int cocores_load_category_ids(cocores_ids *o, const char *path, yerr *err)
{
    category_file cf = {o, path};
    int rc = yfile_lines(path, 255, "a category id", add_category_line, &cf, err);
    if (rc == 0 && o->ncat == 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: no category ids in it", path);
    return rc;
}

void cocores_ids_free(cocores_ids *o)
{
    free(o->cat);
    o->cat = NULL;
    o->ncat = 0;
}

/* The decimal number a path's file is named by: "a/000000397133.jpg" is
 * 397133. 0, or -1 when the stem is not 1 to 18 digits. */
static int stem_id(const char *s, size_t n, int64_t *id)
{
    const char *base = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/')
            base = s + i + 1;
    size_t len = (size_t)(s + n - base);
    const char *dot = memchr(base, '.', len);
    size_t digits = dot ? (size_t)(dot - base) : len;
    if (digits == 0 || digits > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        if (base[i] < '0' || base[i] > '9')
            return -1;
        v = v * 10 + (base[i] - '0');
    }
    *id = v;
    return 0;
}

int cocores_image_id(rec *r, const cocores_ids *o, int64_t *id, yerr *err)
{
    if (o->image_from == COCORES_IMAGE_COCO_ID) {
        int rc = rec_get_i64(r, "coco_id", id, err);
        if (rc == 0)
            return rec_fail(r, err, "coco_id",
                            "missing: no COCO image id (coco-parse writes it; for images named "
                            "by their id, --image-id-from stem)");
        return rc < 0 ? -1 : 0;
    }
    const char *s;
    size_t n;
    int rc = rec_get_str(r, "image", &s, &n, err);
    if (rc == 0)
        return rec_fail(r, err, "image", "missing: --image-id-from stem needs the image's path");
    if (rc < 0)
        return -1;
    if (stem_id(s, n, id) < 0)
        return rec_fail(r, err, "image",
                        "'%.*s' is not named by a decimal image id (--image-id-from stem)",
                        (int)(n > 200 ? 200 : n), s);
    return 0;
}

/* The record's coco_category_ids into m->v. */
static int record_list(rec *r, cocores_cats *m, yerr *err)
{
    int rc = coco_get_category_ids(r, &m->v, &m->cap, &m->n, err);
    if (rc == 0)
        return rec_fail(r, err, "coco_category_ids",
                        "missing: no category ids for the classes (coco-parse writes them; "
                        "else give --category-ids FILE or --category-id-offset N)");
    return rc < 0 ? -1 : 0;
}

int cocores_record_cats(rec *r, const cocores_ids *o, cocores_cats *m, yerr *err)
{
    m->offset_mode = 0;
    m->n = 0;
    if (o->cat) {
        if (yvec_fit((void **)&m->v, &m->cap, (size_t)o->ncat, sizeof *m->v) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        memcpy(m->v, o->cat, (size_t)o->ncat * sizeof *m->v);
        m->n = (size_t)o->ncat;
        return 0;
    }
    if (o->has_offset) {
        m->offset_mode = 1;
        m->offset = o->offset;
        return 0;
    }
    return record_list(r, m, err);
}

int cocores_category(const cocores_cats *m, int cls, int64_t *id)
{
    if (cls < 0)
        return -1;
    if (m->offset_mode) {
        *id = m->offset + cls;
        return 0;
    }
    if ((size_t)cls >= m->n)
        return -1;
    *id = m->v[cls];
    return 0;
}

void cocores_cats_free(cocores_cats *m)
{
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* ======== writing ================================================================ */

static void put_element(ybuf *b, int64_t image_id, int64_t cat, const ydet *y)
{
    ybuf_puts(b, "{\"image_id\":");
    json_put_i64(b, image_id);
    ybuf_puts(b, ",\"category_id\":");
    json_put_i64(b, cat);
    ybuf_puts(b, ",\"bbox\":[");
    json_put_f64(b, y->bbox.x1);
    ybuf_putc(b, ',');
    json_put_f64(b, y->bbox.y1);
    ybuf_putc(b, ',');
    json_put_f64(b, y->bbox.x2 - y->bbox.x1);
    ybuf_putc(b, ',');
    json_put_f64(b, y->bbox.y2 - y->bbox.y1);
    ybuf_puts(b, "],\"score\":");
    json_put_f64(b, y->score);
    ybuf_putc(b, '}');
}

/* Each detection as an element after b's first `start` bytes. */
static int put_dets(cocores_writer *w, rec *r, int64_t image_id, ybuf *b, yerr *err)
{
    char path[48];
    for (size_t i = 0; i < w->dets.n; i++) {
        const ydet *y = &w->dets.v[i];
        int64_t cat;
        if (cocores_category(&w->cats, y->cls, &cat) < 0) {
            snprintf(path, sizeof path, "detections[%zu].class", i);
            return rec_fail(r, err, path, "class %d has no category id (coco_category_ids has %zu)",
                            y->cls, w->cats.n);
        }
        if (y->bbox.x2 < y->bbox.x1 || y->bbox.y2 < y->bbox.y1) {
            snprintf(path, sizeof path, "detections[%zu].bbox", i);
            return rec_fail(r, err, path, "inverted bbox (x2 < x1 or y2 < y1)");
        }
        ybuf_puts(b, w->elements + (long)i == 0 ? "[\n" : ",\n");
        put_element(b, image_id, cat, y);
    }
    return 0;
}

int cocores_put_record(cocores_writer *w, rec *r, ybuf *b, yerr *err)
{
    int rc = rec_get_detections(r, &w->dets, err);
    if (rc <= 0 || w->dets.n == 0)
        return rc < 0 ? -1 : 0;
    int64_t image_id;
    size_t start = b->len;
    if (cocores_image_id(r, &w->ids, &image_id, err) < 0 ||
        cocores_record_cats(r, &w->ids, &w->cats, err) < 0 ||
        put_dets(w, r, image_id, b, err) < 0) {
        b->len = start;
        return -1;
    }
    if (b->oom) {
        b->len = start;
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    w->elements += (long)w->dets.n;
    return 0;
}

int cocores_put_end(cocores_writer *w, ybuf *b)
{
    return ybuf_puts(b, w->elements ? "\n]\n" : "[]\n");
}

void cocores_writer_free(cocores_writer *w)
{
    cocores_cats_free(&w->cats);
    detlist_free(&w->dets);
}

/* ======== reading ================================================================ */

enum { K_OTHER, K_IMAGE_ID, K_CATEGORY_ID, K_BBOX, K_SCORE, K_COUNT };
enum { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_OBJECT, V_ARRAY };

static const char *const key_names[K_COUNT] = {"", "image_id", "category_id", "bbox", "score"};
static const char *const vkind_names[] = {"null", "a boolean", "a number", "a string",
                                          "an object", "an array"};

typedef struct reader {
    const char *name;
    yajl_handle h;
    cocores_entry_fn fn;
    void *ctx;
    int depth, skip;       /* open containers; depth inside a value skipped (0: none) */
    int started, done;     /* the array opened, closed */
    int key;               /* K_* of the value being read */
    unsigned seen;         /* keys of the element given a non-null value */
    unsigned named;        /* keys of the element met, null or not */
    int nbox;              /* numbers in bbox so far (5: more than 4) */
    cocores_entry e;
    uint64_t fed, lines;   /* bytes and newlines before the current chunk */
    yerr err;              /* set by a callback that stops the parse */
    int failed, located;   /* located: err names the element, the position goes last */
} reader;

#define BIT(k) (1u << (k))

static int stop(reader *p, int code, int located, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int stop(reader *p, int code, int located, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->err.code = code;
    vsnprintf(p->err.msg, sizeof p->err.msg, fmt, ap);
    va_end(ap);
    p->failed = 1;
    p->located = located;
    return 0; /* stops yajl */
}

/* "[12].bbox: MSG", or "[12]: MSG" when no key is read. */
static int bad(reader *p, const char *msg)
{
    if (p->key != K_OTHER)
        return stop(p, YOLO_EINPUT, 1, "[%zu].%s: %s", p->e.index, key_names[p->key], msg);
    return stop(p, YOLO_EINPUT, 1, "[%zu]: %s", p->e.index, msg);
}

static int type_error(reader *p, int got)
{
    static const char *const want[K_COUNT] = {"", "an integer", "an integer",
                                              "an array of 4 numbers [x, y, w, h]", "a number"};
    char msg[160];
    snprintf(msg, sizeof msg, "expected %s, got %s", want[p->key], vkind_names[got]);
    return bad(p, msg);
}

static int number(reader *p, const char *s, size_t n, double *v)
{
    int rc = json_parse_f64(s, n, v);
    if (rc == 0)
        return 1;
    char msg[160];
    snprintf(msg, sizeof msg, "number %.*s%s is %s", (int)(n > 40 ? 40 : n), s,
             n > 40 ? "..." : "",
             rc == -2 ? "longer than 127 characters" : "out of the double range");
    return bad(p, msg);
}

/* A value of the element's key p->key (depth 2), or a bbox number (3). */
static int field(reader *p, int kind, const char *s, size_t n)
{
    char msg[160];
    if (p->depth == 3) {
        if (kind != V_NUMBER)
            return type_error(p, kind);
        if (p->nbox < 4 && !number(p, s, n, &p->e.bbox[p->nbox]))
            return 0;
        p->nbox += p->nbox < 5;
        return 1;
    }
    if (kind == V_NULL)
        return 1;
    if (kind != V_NUMBER || p->key == K_BBOX)
        return type_error(p, kind);
    if (p->key == K_SCORE) {
        if (!number(p, s, n, &p->e.score))
            return 0;
    } else {
        int64_t *v = p->key == K_IMAGE_ID ? &p->e.image_id : &p->e.category_id;
        int rc = json_parse_i64(s, n, v);
        if (rc < 0) {
            snprintf(msg, sizeof msg, "expected an integer, got %.*s%s", (int)(n > 40 ? 40 : n),
                     s, rc == -2 ? " (outside the 64-bit range)" : "");
            return bad(p, msg);
        }
    }
    p->seen |= BIT(p->key);
    return 1;
}

static int on_scalar(reader *p, int kind, const char *s, size_t n)
{
    if (p->skip)
        return 1;
    if (p->depth == 0)
        return stop(p, YOLO_EINPUT, 0, "the input is %s, not a JSON array of results",
                    vkind_names[kind]);
    if (p->depth == 1) {
        char msg[80];
        snprintf(msg, sizeof msg, "expected an object, got %s", vkind_names[kind]);
        return bad(p, msg);
    }
    int rc = p->key == K_OTHER ? 1 : field(p, kind, s, n);
    if (p->depth == 2)
        p->key = K_OTHER;
    return rc;
}

static int on_null(void *ctx) { return on_scalar(ctx, V_NULL, NULL, 0); }
static int on_bool(void *ctx, int b)
{
    (void)b;
    return on_scalar(ctx, V_BOOL, NULL, 0);
}
static int on_number(void *ctx, const char *s, size_t n) { return on_scalar(ctx, V_NUMBER, s, n); }
static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    return on_scalar(ctx, V_STRING, (const char *)s, n);
}

/* A container opens at p->depth: 1 to read it, 2 to skip it, 0 on error. */
static int enter(reader *p, int kind)
{
    switch (p->depth) {
    case 0:
        if (kind != V_ARRAY)
            return stop(p, YOLO_EINPUT, 0,
                        "the input is an object, not a JSON array of results (an instances file?)");
        p->started = 1;
        return 1;
    case 1:
        if (kind != V_OBJECT)
            return bad(p, "expected an object, got an array");
        size_t index = p->e.index;
        memset(&p->e, 0, sizeof p->e);
        p->e.index = index;
        p->seen = p->named = 0;
        p->key = K_OTHER;
        return 1;
    case 2:
        if (p->key == K_OTHER)
            return 2;
        if (p->key != K_BBOX || kind != V_ARRAY)
            return type_error(p, kind);
        p->nbox = 0;
        return 1;
    default:
        return type_error(p, kind);
    }
}

static int on_open(reader *p, int kind)
{
    if (p->depth == COCORES_MAX_DEPTH)
        return stop(p, YOLO_EINPUT, 0, "nested deeper than %d arrays and objects",
                    COCORES_MAX_DEPTH);
    if (!p->skip) {
        int rc = enter(p, kind);
        if (rc == 0)
            return 0;
        if (rc == 2)
            p->skip = p->depth + 1;
    }
    p->depth++;
    return 1;
}

static int on_start_map(void *ctx) { return on_open(ctx, V_OBJECT); }
static int on_start_array(void *ctx) { return on_open(ctx, V_ARRAY); }

/* The element is read whole: checked, then handed to fn. */
static int end_element(reader *p)
{
    const cocores_entry *e = &p->e;
    char msg[256];
    for (int k = K_IMAGE_ID; k < K_COUNT; k++)
        if (!(p->seen & BIT(k))) {
            snprintf(msg, sizeof msg, "no '%s'", key_names[k]);
            return bad(p, msg);
        }
    p->key = K_BBOX;
    if (e->bbox[2] < 0 || e->bbox[3] < 0) {
        snprintf(msg, sizeof msg, "[%g, %g, %g, %g] has a negative width or height", e->bbox[0],
                 e->bbox[1], e->bbox[2], e->bbox[3]);
        return bad(p, msg);
    }
    p->key = K_SCORE;
    if (!(e->score >= 0 && e->score <= 1)) {
        snprintf(msg, sizeof msg, "%g is outside [0, 1]", e->score);
        return bad(p, msg);
    }
    const char *key = NULL;
    int code = YOLO_EINPUT;
    if (p->fn(p->ctx, e, msg, sizeof msg, &key, &code) < 0) {
        if (code == YOLO_EIO)
            return stop(p, YOLO_EIO, 0, "%s", msg);
        if (key)
            return stop(p, code, 1, "[%zu].%s: %s", e->index, key, msg);
        return stop(p, code, 1, "[%zu]: %s", e->index, msg);
    }
    return 1;
}

static int on_close(void *ctx)
{
    reader *p = ctx;
    if (p->skip) {
        if (p->depth-- == p->skip)
            p->skip = 0;
        return 1;
    }
    int rc = 1;
    switch (p->depth) {
    case 3:
        if (p->nbox != 4) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected an array of 4 numbers [x, y, w, h], got %s%d",
                     p->nbox > 4 ? "more than " : "an array of ", p->nbox > 4 ? 4 : p->nbox);
            return bad(p, msg);
        }
        p->seen |= BIT(K_BBOX);
        p->key = K_OTHER;
        break;
    case 2:
        p->key = K_OTHER;
        rc = end_element(p);
        p->key = K_OTHER;
        p->e.index++;
        break;
    case 1: p->done = 1; break;
    }
    p->depth--;
    return rc;
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    reader *p = ctx;
    if (p->skip)
        return 1;
    p->key = K_OTHER;
    for (int k = K_IMAGE_ID; k < K_COUNT; k++)
        if (strlen(key_names[k]) == n && !memcmp(key_names[k], s, n))
            p->key = k;
    if (p->key != K_OTHER && (p->named & BIT(p->key)))
        return bad(p, "the key appears twice in the element");
    p->named |= BIT(p->key);
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string,
    on_start_map, on_key, on_close, on_start_array, on_close,
};

/* A stopped parse as a message with the position: buf is the chunk being
 * parsed, NULL at the end of the input. */
static int report(reader *p, const uint8_t *buf, size_t len, yerr *err)
{
    size_t at = buf ? yajl_get_bytes_consumed(p->h) : 0;
    if (at > len)
        at = len;
    unsigned long long line = p->lines + (buf ? json_count_lines(buf, at) : 0) + 1;
    unsigned long long off = p->fed + at;
    if (p->failed && p->err.code == YOLO_EIO)
        return yerr_set(err, YOLO_EIO, "%s: %s", p->name, p->err.msg);
    if (p->failed && p->located)
        return yerr_set(err, p->err.code, "%s: %s (line %llu, byte offset %llu)", p->name,
                        p->err.msg, line, off);
    if (p->failed)
        return yerr_set(err, p->err.code, "%s: line %llu (byte offset %llu): %s", p->name, line,
                        off, p->err.msg);
    if (!buf && !p->started)
        return yerr_set(err, YOLO_EINPUT,
                        "%s: line %llu (byte offset %llu): no JSON array in the input", p->name,
                        line, off);
    if (!buf)
        return yerr_set(err, YOLO_EINPUT,
                        "%s: line %llu (byte offset %llu): truncated: the input ends inside %s",
                        p->name, line, off, p->depth > 1 ? "an element" : "the array");
    unsigned char *m = yajl_get_error(p->h, 0, buf, len);
    char clean[256];
    snprintf(clean, sizeof clean, "%s", m ? (const char *)m : "invalid JSON");
    if (m)
        yajl_free_error(p->h, m);
    for (char *c = clean; *c; c++) /* yajl's message ends with a newline */
        if (*c == '\n')
            *c = ' ';
    size_t cl = strlen(clean);
    while (cl && clean[cl - 1] == ' ')
        clean[--cl] = 0;
    return yerr_set(err, YOLO_EINPUT, "%s: line %llu (byte offset %llu): %s", p->name, line, off,
                    clean);
}

static int feed(void *ctx, const uint8_t *buf, size_t len, yerr *err)
{
    reader *p = ctx;
    if (yajl_parse(p->h, buf, len) != yajl_status_ok)
        return report(p, buf, len, err);
    p->fed += len;
    p->lines += json_count_lines(buf, len);
    return 0;
}

static int finish(void *ctx, yerr *err)
{
    reader *p = ctx;
    if (yajl_complete_parse(p->h) != yajl_status_ok || !p->done)
        return report(p, NULL, 0, err);
    return 0;
}

int cocores_read_fd(int fd, const char *name, cocores_entry_fn fn, void *ctx, yerr *err)
{
    reader p = {.name = name, .fn = fn, .ctx = ctx};
    p.h = yajl_alloc(&callbacks, NULL, &p);
    if (!p.h)
        return yerr_set(err, YOLO_EIO, "out of memory");
    ybuf_feeder f = {feed, finish, &p};
    int rc = ybuf_feed_fd(fd, name, 1 << 16, &f, err);
    yajl_free(p.h);
    return rc;
}

/* ======== eval-map --results ======================================================= */

int cocores_truth_add(cocores_truth *t, rec *r, long img, yerr *err)
{
    int64_t id;
    yerr ignored;
    if (cocores_image_id(r, &t->ids, &id, img < 0 ? &ignored : err) < 0)
        return img < 0 ? 0 : -1;
    if (yvec_fit((void **)&t->im, &t->capim, t->nim + 1, sizeof *t->im) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    t->im[t->nim] = (cocores_img){id, img, (long)t->nim};
    t->nim++;
    if (img < 0 || t->ids.cat || t->ids.has_offset)
        return 0;
    cocores_cats *m = t->have_cats ? &t->scratch : &t->cats;
    if (cocores_record_cats(r, &t->ids, m, err) < 0)
        return -1;
    if (!t->have_cats) {
        t->have_cats = 1;
        return 0;
    }
    if (m->n != t->cats.n || memcmp(m->v, t->cats.v, m->n * sizeof *m->v))
        return rec_fail(r, err, "coco_category_ids",
                        "differs from the first truth record's (%zu ids): one category list for "
                        "the whole stream", t->cats.n);
    return 0;
}

static int cmp_img(const void *a, const void *b)
{
    const cocores_img *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* A category id and its class. */
typedef struct cat_cls {
    int64_t id;
    int cls;
} cat_cls;

static int cmp_cat(const void *a, const void *b)
{
    const cat_cls *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* A result on its way into eval_data, with its place in the file. */
typedef struct pending {
    eval_det d;
    size_t index;
} pending;

/* What the reader's callback needs. */
typedef struct loader {
    const cocores_truth *t;
    cat_cls *cats;         /* [ncats] sorted by id (table mode) */
    size_t ncats;
    pending *v;            /* [n] results on images evaluated, in file order */
    size_t n, cap;
    long skipped;          /* results on skipped images */
} loader;

/* The class of category id, or -1. */
static int class_of(const loader *l, int64_t id)
{
    if (l->t->ids.has_offset && !l->t->ids.cat) {
        int64_t c = id - l->t->ids.offset;
        return c >= 0 && c < COCORES_MAX_CLASSES ? (int)c : -1;
    }
    cat_cls key = {id, 0};
    const cat_cls *f = l->ncats ? bsearch(&key, l->cats, l->ncats, sizeof *l->cats, cmp_cat) : NULL;
    return f ? f->cls : -1;
}

static int on_entry(void *ctx, const cocores_entry *e, char *why, size_t n, const char **key,
                    int *code)
{
    loader *l = ctx;
    cocores_img k = {.id = e->image_id};
    const cocores_img *im = l->t->nim ? bsearch(&k, l->t->im, l->t->nim, sizeof k, cmp_img) : NULL;
    if (!im) {
        *key = "image_id";
        snprintf(why, n, "%lld is not the image id of any truth record", (long long)e->image_id);
        return -1;
    }
    int cls = class_of(l, e->category_id);
    if (cls < 0) {
        *key = "category_id";
        snprintf(why, n, "%lld is not one of the truth's categories", (long long)e->category_id);
        return -1;
    }
    if (im->img < 0) {
        l->skipped++;
        return 0;
    }
    if (yvec_fit((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0 || l->n >= EVAL_MAX_ITEMS) {
        *code = YOLO_EIO;
        snprintf(why, n, "out of memory (or more than %d results)", EVAL_MAX_ITEMS);
        return -1;
    }
    box b = {e->bbox[0], e->bbox[1], e->bbox[0] + e->bbox[2], e->bbox[1] + e->bbox[3]};
    l->v[l->n++] = (pending){{b, e->score, im->img, cls}, e->index};
    return 0;
}

/* The category map sorted by id for class_of; two classes with one id are
 * an error. */
static int index_categories(cocores_truth *t, loader *l, const char *name, yerr *err)
{
    const int64_t *v = t->ids.cat ? t->ids.cat : t->cats.v;
    size_t n = t->ids.cat ? (size_t)t->ids.ncat : t->cats.n;
    if (t->ids.has_offset && !t->ids.cat)
        return 0;
    l->cats = malloc((n ? n : 1) * sizeof *l->cats);
    if (!l->cats)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t c = 0; c < n; c++)
        l->cats[c] = (cat_cls){v[c], (int)c};
    qsort(l->cats, n, sizeof *l->cats, cmp_cat);
    for (size_t i = 1; i < n; i++)
        if (l->cats[i].id == l->cats[i - 1].id)
            return yerr_set(err, YOLO_EINPUT,
                            "%s: the truth's coco_category_ids give category id %lld to classes "
                            "%d and %d", name, (long long)l->cats[i].id, l->cats[i - 1].cls,
                            l->cats[i].cls);
    l->ncats = n;
    return 0;
}

/* Sorted by id; an id twice is an error. */
static int index_images(cocores_truth *t, yerr *err)
{
    qsort(t->im, t->nim, sizeof *t->im, cmp_img);
    for (size_t i = 1; i < t->nim; i++)
        if (t->im[i].id == t->im[i - 1].id) {
            long a = t->im[i - 1].pos, b = t->im[i].pos;
            return yerr_set(err, YOLO_EINPUT,
                            "truth records %ld and %ld (counted over the stream from 0) have the "
                            "same image id %lld", a < b ? a : b, a < b ? b : a,
                            (long long)t->im[i].id);
        }
    return 0;
}

/* The results into d: a counting sort by image (stable: file order within
 * an image). */
static int add_results(loader *l, eval_data *d, const char *name, yerr *err)
{
    size_t nimg = (size_t)d->images;
    size_t *start = calloc(nimg + 2, sizeof *start);
    pending **ord = malloc((l->n ? l->n : 1) * sizeof *ord);
    int rc = start && ord ? 0 : yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        start[l->v[i].d.img + 2]++;
    for (size_t k = 0; rc == 0 && k < nimg; k++)
        start[k + 2] += start[k + 1];
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        ord[start[l->v[i].d.img + 1]++] = &l->v[i];
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        int k = eval_add_det(d, &ord[i]->d);
        if (k == -2)
            rc = yerr_set(err, YOLO_EINPUT, "%s: [%zu].category_id: class %d is not in the "
                          "--names list (%d classes)", name, ord[i]->index, ord[i]->d.cls,
                          d->nm.n);
        else if (k < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory (or more than %d detections)",
                          EVAL_MAX_ITEMS);
    }
    free(start);
    free(ord);
    return rc;
}

int cocores_truth_results(cocores_truth *t, eval_data *d, const char *path, long *skipped,
                          yerr *err)
{
    loader l = {.t = t};
    *skipped = 0;
    if (index_images(t, err) < 0 || index_categories(t, &l, path, err) < 0) {
        free(l.cats);
        return -1;
    }
    int fd = open(path, O_RDONLY);
    int rc = fd < 0 ? yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno)) : 0;
    if (rc == 0)
        rc = cocores_read_fd(fd, path, on_entry, &l, err);
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        rc = add_results(&l, d, path, err);
    *skipped = l.skipped;
    free(l.cats);
    free(l.v);
    return rc;
}

void cocores_truth_free(cocores_truth *t)
{
    free(t->im);
    cocores_cats_free(&t->cats);
    cocores_cats_free(&t->scratch);
    memset(t, 0, sizeof *t);
}
