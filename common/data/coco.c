#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl_parse.h>

#include "yolo/base/buf.h"
#include "yolo/base/json.h"
#include "yolo/data/coco.h"
#include "yolo/data/objects.h"

/* ======== the dataset in memory ================================================
 *
 * Images and categories live in "slots", created the first time their id is
 * met: in their own section, or in an annotation that refers to them (the
 * sections may come in any order), and found by id through open-addressing
 * maps. Names and file_names share one string arena (offsets, since it
 * grows). An annotation keeps what a record needs and nothing else: 48
 * bytes; an image 32, plus 16-byte map entries at most half full. */

enum { ST_REFERENCED = 1, ST_DEFINED, ST_SKIPPED }; /* state of a slot */
enum { A_CROWD = 1, A_AREA = 2 };                    /* coco_ann.flags */

typedef struct coco_img {
    int64_t id;
    uint32_t name;       /* file_name: offset in the arena */
    uint16_t name_len;
    uint8_t state;
    int32_t width, height;
    uint32_t first;      /* after finish: its annotations, ann[first, +count) */
    uint32_t count;      /* annotations (for a slot never defined: those skipped) */
} coco_img;

typedef struct coco_cat {
    int64_t id;
    uint32_t name;       /* name: offset in the arena */
    uint16_t name_len;
    uint8_t state;
    int32_t cls;         /* after finish: class index, by ascending id */
    uint32_t nref;       /* annotations skipped for want of it */
} coco_cat;

typedef struct coco_ann {
    double bbox[4];      /* x, y, w, h as written */
    double area;
    uint32_t img;        /* image slot */
    uint16_t cat;        /* category slot */
    uint8_t flags;       /* A_* */
} coco_ann;

/* id -> slot, linear probing. The id sits in the table next to its slot,
 * so that a lookup costs one cache miss, not two. */
typedef struct idmap_ent {
    int64_t id;
    uint32_t slot;       /* slot + 1, 0 when empty */
} idmap_ent;

typedef struct idmap {
    idmap_ent *t;        /* [cap], at most half full */
    size_t cap, n;       /* cap = 2^bits */
    int bits;
} idmap;

/* ======== the parse ============================================================= */

enum section { SEC_NONE, SEC_IMAGES, SEC_ANNS, SEC_CATS, SEC_OTHER };
enum field {
    F_OTHER, F_ID, F_FILE_NAME, F_WIDTH, F_HEIGHT, F_IMAGE_ID, F_CATEGORY_ID, F_BBOX, F_AREA,
    F_ISCROWD, F_NAME, F_COUNT
};
enum vkind { V_NULL, V_FALSE, V_TRUE, V_NUMBER, V_STRING, V_OBJECT, V_ARRAY };
enum problem { P_IMAGE, P_ANN, P_CAT, P_NO_IMAGE, P_NO_CAT, P_KINDS };

static const char *const section_names[] = {"", "images", "annotations", "categories", ""};
static const char *const field_names[F_COUNT] = {
    "", "id", "file_name", "width", "height", "image_id", "category_id", "bbox", "area",
    "iscrowd", "name",
};
/* What each field's value must be, for messages. */
static const char *const field_want[F_COUNT] = {
    "", "an integer", "a string", "an integer", "an integer", "an integer", "an integer",
    "an array of 4 numbers [x, y, w, h]", "a number", "0, 1, true or false", "a string",
};
static const char *const vkind_names[] = {
    "null", "false", "true", "a number", "a string", "an object", "an array",
};

#define BIT(f) (1u << (f))
/* The fields each section reads; any other key's value is skipped unread. */
static const unsigned section_fields[] = {
    0,
    BIT(F_ID) | BIT(F_FILE_NAME) | BIT(F_WIDTH) | BIT(F_HEIGHT),
    BIT(F_ID) | BIT(F_IMAGE_ID) | BIT(F_CATEGORY_ID) | BIT(F_BBOX) | BIT(F_AREA) | BIT(F_ISCROWD),
    BIT(F_ID) | BIT(F_NAME),
    0,
};
/* The fields an entry cannot do without. */
static const unsigned section_required[] = {
    0,
    BIT(F_ID) | BIT(F_FILE_NAME) | BIT(F_WIDTH) | BIT(F_HEIGHT),
    BIT(F_IMAGE_ID) | BIT(F_CATEGORY_ID) | BIT(F_BBOX),
    BIT(F_ID) | BIT(F_NAME),
    0,
};

/* The entry of a section being read. */
typedef struct elem {
    unsigned seen;             /* BIT(F_*) of the fields given a non-null value */
    int64_t id, image_id, category_id, width, height;
    double bbox[4], area;
    int nbox, iscrowd;
    size_t str, str_len;       /* its file_name or name: at the arena's end */
} elem;

struct coco {
    char *name;
    coco_opts o;
    yajl_handle h;
    /* where the parse is */
    int depth;                 /* open arrays and objects */
    int skip;                  /* depth inside a value being skipped, 0 when none */
    int section, field;
    int started, done;         /* the top-level object opened, closed */
    unsigned sections_seen;    /* BIT(SEC_*) */
    size_t index;              /* entries of the current section so far */
    elem e;
    uint64_t fed, lines;       /* bytes and newlines before the current chunk */
    yerr err;                  /* set by a callback that stops the parse */
    int failed;
    /* the dataset */
    ybuf arena;
    coco_img *img;             /* [nimg] image slots */
    size_t nimg, cap_img;
    idmap img_map;
    uint32_t *order;           /* [norder] defined image slots, in "images" order */
    size_t norder, cap_order;
    coco_cat *cat;             /* [ncat] category slots */
    size_t ncat, cap_cat, ncat_defined;
    idmap cat_map;
    int64_t *cat_ids;          /* after finish: [ncat_defined] category id of class c */
    coco_ann *ann;             /* [nann] annotations kept; after finish, grouped by image */
    size_t nann, cap_ann;
    int has_anns;              /* the file has an "annotations" array */
    int finished;
    /* what was left out */
    size_t problems[P_KINDS];
    size_t skipped_imgs, skipped_anns, skipped_cats;
    /* scratch of coco_record */
    objlist objs;
    ybuf path;
};

/* ======== small helpers ========================================================= */

/* Room for element n of *v (element size `size`, *cap allocated). */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    return yvec_fit(v, cap, n + 1, size);
}

/* Fibonacci hashing: the top bits of the product, which spread the
 * near-sequential ids of real files well (the low bits would not). */
static size_t id_hash(int64_t id, int bits)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* The slot of id, or -1 with *pos where it would go. */
static long idmap_find(const idmap *m, int64_t id, size_t *pos)
{
    size_t i = id_hash(id, m->bits);
    while (m->t[i].slot) {
        if (m->t[i].id == id)
            return (long)m->t[i].slot - 1;
        i = (i + 1) & (m->cap - 1);
    }
    *pos = i;
    return -1;
}

/* Doubles the table (kept at most half full, so probes stay short). */
static int idmap_grow(idmap *m)
{
    int bits = m->cap ? m->bits + 1 : 10;
    size_t cap = (size_t)1 << bits;
    idmap_ent *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->t[i].slot)
            continue;
        size_t j = id_hash(m->t[i].id, bits);
        while (t[j].slot)
            j = (j + 1) & (cap - 1);
        t[j] = m->t[i];
    }
    free(m->t);
    m->t = t;
    m->cap = cap;
    m->bits = bits;
    return 0;
}

/* ======== messages ============================================================== */

/* What is being read, for messages: "annotations[5].bbox", "images[2]". */
static void where(const coco *d, char *buf, size_t n)
{
    const char *sec = section_names[d->section];
    if (d->depth >= 3 && d->field != F_OTHER)
        snprintf(buf, n, "%s[%zu].%s", sec, d->index, field_names[d->field]);
    else if (d->depth >= 2 && sec[0])
        snprintf(buf, n, "%s[%zu]", sec, d->index);
    else if (d->depth == 1 && sec[0])
        snprintf(buf, n, "'%s'", sec);
    else
        snprintf(buf, n, "the top-level object");
}

/* Stops the parse: err gets msg, and the position is added by report(). */
static int fail_code(coco *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_code(coco *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    d->err.code = code;
    vsnprintf(d->err.msg, sizeof d->err.msg, fmt, ap);
    va_end(ap);
    d->failed = 1;
    return 0; /* stops yajl */
}
#define fail(d, ...) fail_code(d, YOLO_EINPUT, __VA_ARGS__)

static int type_error(coco *d, int got, const char *want)
{
    char w[96];
    where(d, w, sizeof w);
    return fail(d, "%s: expected %s, got %s", w, want, vkind_names[got]);
}

/* "annotations[5] (id 7)" for the entry just read. */
static void entry_name(const coco *d, char *buf, size_t n)
{
    if (d->e.seen & BIT(F_ID))
        snprintf(buf, n, "%s[%zu] (id %lld)", section_names[d->section], d->index,
                 (long long)d->e.id);
    else
        snprintf(buf, n, "%s[%zu]", section_names[d->section], d->index);
}

/* A well-formed entry that cannot be used: counted, shown (the first
 * COCO_WARN_SHOWN of its kind) with `then` (what was done about it); with
 * strict, an error. who names the entry, or is NULL. 1 to go on, 0 to stop
 * (d->err set). */
static int vproblem(coco *d, int kind, const char *then, const char *who, const char *fmt,
                    va_list ap)
{
    char msg[512];
    int at = who ? snprintf(msg, sizeof msg, "%s: ", who) : 0;
    vsnprintf(msg + at, sizeof msg - (size_t)at, fmt, ap);
    size_t k = ++d->problems[kind];
    if (d->o.strict)
        return fail(d, "%s (strict mode)", msg);
    if (d->o.warn && k <= COCO_WARN_SHOWN) {
        char line[768];
        snprintf(line, sizeof line, "%s: %s: %s%s", d->name, msg, then,
                 k == COCO_WARN_SHOWN ? " (more warnings like this one are counted, not shown)"
                                      : "");
        d->o.warn(d->o.warn_ctx, line);
    }
    return 1;
}

static int problem(coco *d, int kind, const char *then, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(coco *d, int kind, const char *then, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vproblem(d, kind, then, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

/* A problem with the entry just read, which is skipped. */
static int entry_problem(coco *d, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int entry_problem(coco *d, int kind, const char *fmt, ...)
{
    char who[96];
    entry_name(d, who, sizeof who);
    va_list ap;
    va_start(ap, fmt);
    int rc = vproblem(d, kind, "skipped", who, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error about the entry just read (a bound passed). */
static int entry_fail(coco *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int entry_fail(coco *d, const char *fmt, ...)
{
    char who[96], msg[512];
    entry_name(d, who, sizeof who);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(d, "%s: %s", who, msg);
}

/* ======== slots ================================================================= */

/* The image slot of id, created (referenced only) if new; -1 out of memory. */
static long img_slot(coco *d, int64_t id)
{
    size_t pos = 0;
    long s = d->img_map.cap ? idmap_find(&d->img_map, id, &pos) : -1;
    if (s >= 0)
        return s;
    if (2 * (d->img_map.n + 1) > d->img_map.cap) {
        if (idmap_grow(&d->img_map) < 0)
            return -1;
        idmap_find(&d->img_map, id, &pos);
    }
    if (grow((void **)&d->img, &d->cap_img, d->nimg, sizeof *d->img) < 0)
        return -1;
    d->img[d->nimg] = (coco_img){.id = id, .state = ST_REFERENCED};
    d->img_map.t[pos] = (idmap_ent){id, (uint32_t)(d->nimg + 1)};
    d->img_map.n++;
    return (long)d->nimg++;
}

/* The category slot of id, created if new; -1 out of memory, -2 when there
 * are too many distinct ids. */
static long cat_slot(coco *d, int64_t id)
{
    size_t pos = 0;
    long s = d->cat_map.cap ? idmap_find(&d->cat_map, id, &pos) : -1;
    if (s >= 0)
        return s;
    if (d->ncat == COCO_MAX_CAT_IDS)
        return -2;
    if (2 * (d->cat_map.n + 1) > d->cat_map.cap) {
        if (idmap_grow(&d->cat_map) < 0)
            return -1;
        idmap_find(&d->cat_map, id, &pos);
    }
    if (grow((void **)&d->cat, &d->cap_cat, d->ncat, sizeof *d->cat) < 0)
        return -1;
    d->cat[d->ncat] = (coco_cat){.id = id, .state = ST_REFERENCED, .cls = -1};
    d->cat_map.t[pos] = (idmap_ent){id, (uint32_t)(d->ncat + 1)};
    d->cat_map.n++;
    return (long)d->ncat++;
}

static int oom(coco *d) { return fail_code(d, YOLO_EIO, "out of memory"); }

/* ======== one entry read whole ================================================== */

/* The first required field the entry lacks, or NULL. */
static const char *missing(const coco *d)
{
    unsigned lack = section_required[d->section] & ~d->e.seen;
    for (int f = 0; f < F_COUNT; f++)
        if (lack & BIT(f))
            return field_names[f];
    return NULL;
}

static int end_image(coco *d)
{
    elem *e = &d->e;
    size_t max = d->o.max_images ? d->o.max_images : COCO_MAX_IMAGES;
    if (d->index >= max)
        return entry_fail(d, "more than %zu images", max);
    const char *lack = missing(d);
    long s = e->seen & BIT(F_ID) ? img_slot(d, e->id) : -2;
    if (s == -1)
        return oom(d);
    d->arena.len = e->str; /* kept below only when the image is */
    if (s >= 0 && d->img[s].state != ST_REFERENCED) {
        d->skipped_imgs++;
        return entry_problem(d, P_IMAGE, "the id is already in images");
    }
    int bad_size = !lack && (e->width < 1 || e->width > 1000000 || e->height < 1 ||
                             e->height > 1000000);
    if (lack || bad_size) {
        if (s >= 0) /* its annotations go with it, without a warning each */
            d->img[s].state = ST_SKIPPED;
        d->skipped_imgs++;
        if (lack)
            return entry_problem(d, P_IMAGE, "no '%s'", lack);
        return entry_problem(d, P_IMAGE, "size %lldx%lld is not in 1..1000000 pixels",
                             (long long)e->width, (long long)e->height);
    }
    if (grow((void **)&d->order, &d->cap_order, d->norder, sizeof *d->order) < 0)
        return oom(d);
    d->arena.len = e->str + e->str_len;
    d->img[s] = (coco_img){.id = e->id, .name = (uint32_t)e->str,
                           .name_len = (uint16_t)e->str_len, .state = ST_DEFINED,
                           .width = (int32_t)e->width, .height = (int32_t)e->height};
    d->order[d->norder++] = (uint32_t)s;
    return 1;
}

static int end_annotation(coco *d)
{
    elem *e = &d->e;
    const char *lack = missing(d);
    if (lack) {
        d->skipped_anns++;
        return entry_problem(d, P_ANN, "no '%s'", lack);
    }
    if (e->bbox[2] < 0 || e->bbox[3] < 0) {
        d->skipped_anns++;
        return entry_problem(d, P_ANN, "bbox [%g, %g, %g, %g] has a negative size", e->bbox[0],
                             e->bbox[1], e->bbox[2], e->bbox[3]);
    }
    size_t max = d->o.max_annotations ? d->o.max_annotations : COCO_MAX_ANNOTATIONS;
    if (d->nann >= max)
        return entry_fail(d, "more than %zu annotations", max);
    long is = img_slot(d, e->image_id), cs = cat_slot(d, e->category_id);
    if (cs == -2)
        return entry_fail(d, "more than %d distinct category ids", COCO_MAX_CAT_IDS);
    if (is < 0 || cs < 0 || grow((void **)&d->ann, &d->cap_ann, d->nann, sizeof *d->ann) < 0)
        return oom(d);
    coco_ann *a = &d->ann[d->nann++];
    *a = (coco_ann){.img = (uint32_t)is, .cat = (uint16_t)cs, .area = e->area};
    memcpy(a->bbox, e->bbox, sizeof a->bbox);
    a->flags = (uint8_t)((e->iscrowd ? A_CROWD : 0) | (e->seen & BIT(F_AREA) ? A_AREA : 0));
    return 1;
}

static int end_category(coco *d)
{
    elem *e = &d->e;
    const char *lack = missing(d);
    d->arena.len = e->str;
    if (lack) {
        d->skipped_cats++;
        return entry_problem(d, P_CAT, "no '%s'", lack);
    }
    long s = cat_slot(d, e->id);
    if (s == -2)
        return entry_fail(d, "more than %d distinct category ids", COCO_MAX_CAT_IDS);
    if (s == -1)
        return oom(d);
    if (d->cat[s].state == ST_DEFINED) {
        d->skipped_cats++;
        return entry_problem(d, P_CAT, "the id is already in categories");
    }
    if (d->ncat_defined == COCO_MAX_CATEGORIES)
        return entry_fail(d, "more than %d categories", COCO_MAX_CATEGORIES);
    d->ncat_defined++;
    d->arena.len = e->str + e->str_len;
    d->cat[s].name = (uint32_t)e->str;
    d->cat[s].name_len = (uint16_t)e->str_len;
    d->cat[s].state = ST_DEFINED;
    return 1;
}

static int end_entry(coco *d)
{
    switch (d->section) {
    case SEC_IMAGES: return end_image(d);
    case SEC_ANNS: return end_annotation(d);
    default: return end_category(d);
    }
}

/* ======== field values ========================================================== */

static int64_t *int_field(elem *e, int f)
{
    switch (f) {
    case F_ID: return &e->id;
    case F_IMAGE_ID: return &e->image_id;
    case F_CATEGORY_ID: return &e->category_id;
    case F_WIDTH: return &e->width;
    default: return &e->height;
    }
}

static int int_value(coco *d, int kind, const char *s, size_t n)
{
    if (kind != V_NUMBER)
        return type_error(d, kind, "an integer");
    int rc = json_parse_i64(s, n, int_field(&d->e, d->field));
    if (rc == 0 && d->field == F_IMAGE_ID && d->img_map.cap)
        /* The lookup comes when the annotation ends: load its map entry
         * meanwhile (a cache miss per annotation otherwise, ~8% of the run). */
        __builtin_prefetch(&d->img_map.t[id_hash(d->e.image_id, d->img_map.bits)]);
    if (rc == 0)
        return 1;
    char w[96];
    where(d, w, sizeof w);
    return fail(d, "%s: expected an integer, got %.*s%s", w, (int)(n > 40 ? 40 : n), s,
                rc == -2 ? " (outside the 64-bit range)" : "");
}

/* Why a string cannot be a name or file_name (off the common path). */
static int bad_string(coco *d, const char *s, size_t n, size_t max)
{
    char w[96];
    where(d, w, sizeof w);
    if (n > max)
        return fail(d, "%s: longer than %zu bytes", w, max);
    if (n == 0)
        return fail(d, "%s: is empty", w);
    if (memchr(s, 0, n))
        return fail(d, "%s: contains a NUL character", w);
    return fail(d, "%s: names and file names take more than 4 GiB", w);
}

/* file_name or name: into the arena, in place of any earlier one of this
 * entry. */
static int str_value(coco *d, int kind, const char *s, size_t n)
{
    if (kind != V_STRING)
        return type_error(d, kind, "a string");
    size_t max = d->field == F_NAME ? COCO_MAX_NAME : COCO_MAX_FILE_NAME;
    if (n > max || n == 0 || memchr(s, 0, n) || d->e.str + n > COCO_MAX_ARENA)
        return bad_string(d, s, n, max);
    d->arena.len = d->e.str;
    if (ybuf_put(&d->arena, s, n) < 0)
        return oom(d);
    d->e.str_len = n;
    return 1;
}

static int num_value(coco *d, int kind, const char *s, size_t n, double *v)
{
    if (kind != V_NUMBER)
        return type_error(d, kind, "a number");
    int rc = json_parse_f64(s, n, v);
    if (rc == 0)
        return 1;
    char w[96];
    where(d, w, sizeof w);
    return fail(d, "%s: number %.*s%s is %s", w, (int)(n > 40 ? 40 : n), s, n > 40 ? "..." : "",
                rc == -2 ? "longer than 127 characters" : "out of the double range");
}

static int crowd_value(coco *d, int kind, const char *s, size_t n)
{
    if (kind == V_TRUE || kind == V_FALSE) {
        d->e.iscrowd = kind == V_TRUE;
        return 1;
    }
    if (kind == V_NUMBER && n == 1 && (s[0] == '0' || s[0] == '1')) {
        d->e.iscrowd = s[0] == '1';
        return 1;
    }
    return type_error(d, kind, "0, 1, true or false");
}

/* A scalar value of a field of the current entry. null counts as absent. */
static int field_value(coco *d, int kind, const char *s, size_t n)
{
    int f = d->field;
    if (f == F_OTHER)
        return 1;
    if (kind == V_NULL) {
        d->e.seen &= ~BIT(f);
        if (f == F_ISCROWD)
            d->e.iscrowd = 0;
        return 1;
    }
    int rc;
    switch (f) {
    case F_FILE_NAME:
    case F_NAME: rc = str_value(d, kind, s, n); break;
    case F_AREA: rc = num_value(d, kind, s, n, &d->e.area); break;
    case F_ISCROWD: rc = crowd_value(d, kind, s, n); break;
    case F_BBOX: rc = type_error(d, kind, field_want[F_BBOX]); break;
    default: rc = int_value(d, kind, s, n);
    }
    if (rc)
        d->e.seen |= BIT(f);
    return rc;
}

/* ======== yajl callbacks ======================================================== */

static int on_scalar(coco *d, int kind, const char *s, size_t n)
{
    if (d->skip)
        return 1;
    switch (d->depth) {
    case 0: return fail(d, "the input is %s, not a JSON object", vkind_names[kind]);
    case 1: /* "images": null reads as no images */
        return d->section == SEC_OTHER || kind == V_NULL ? 1 : type_error(d, kind, "an array");
    case 2: return type_error(d, kind, "an object");
    case 3: {
        int rc = field_value(d, kind, s, n);
        d->field = F_OTHER; /* the value is read: messages no longer name it */
        return rc;
    }
    default: /* inside a bbox */
        if (kind != V_NUMBER)
            return type_error(d, kind, field_want[F_BBOX]);
        if (d->e.nbox < 4 && !num_value(d, kind, s, n, &d->e.bbox[d->e.nbox]))
            return 0;
        d->e.nbox += d->e.nbox < 5; /* 5 stands for "more than 4" */
        return 1;
    }
}

static int on_null(void *ctx) { return on_scalar(ctx, V_NULL, NULL, 0); }
static int on_bool(void *ctx, int b) { return on_scalar(ctx, b ? V_TRUE : V_FALSE, NULL, 0); }

/* Segmentation polygons are most of the bytes: return at once when skipping. */
static int on_number(void *ctx, const char *s, size_t n)
{
    coco *d = ctx;
    return d->skip ? 1 : on_scalar(d, V_NUMBER, s, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    coco *d = ctx;
    return d->skip ? 1 : on_scalar(d, V_STRING, (const char *)s, n);
}

/* An array or object opens at d->depth: 1 to read it, 2 to skip it, 0 on
 * error. */
static int enter(coco *d, int kind)
{
    switch (d->depth) {
    case 0:
        if (kind != V_OBJECT)
            return fail(d, "the input is an array, not a JSON object (a results file?)");
        d->started = 1;
        return 1;
    case 1:
        if (d->section == SEC_OTHER)
            return 2;
        if (kind != V_ARRAY)
            return type_error(d, kind, "an array");
        d->index = 0;
        d->has_anns |= d->section == SEC_ANNS;
        return 1;
    case 2:
        if (kind != V_OBJECT)
            return type_error(d, kind, "an object");
        memset(&d->e, 0, sizeof d->e);
        d->e.str = d->arena.len;
        d->field = F_OTHER;
        return 1;
    case 3:
        if (d->field == F_OTHER)
            return 2;
        if (d->field != F_BBOX || kind != V_ARRAY)
            return type_error(d, kind, field_want[d->field]);
        d->e.nbox = 0;
        return 1;
    default:
        return type_error(d, kind, field_want[F_BBOX]);
    }
}

static int on_open(coco *d, int kind)
{
    if (d->depth == COCO_MAX_DEPTH)
        return fail(d, "nested deeper than %d arrays and objects", COCO_MAX_DEPTH);
    if (!d->skip) {
        int rc = enter(d, kind);
        if (rc == 0)
            return 0;
        if (rc == 2)
            d->skip = d->depth + 1;
    }
    d->depth++;
    return 1;
}

static int on_start_map(void *ctx) { return on_open(ctx, V_OBJECT); }
static int on_start_array(void *ctx) { return on_open(ctx, V_ARRAY); }

static int on_close(void *ctx)
{
    coco *d = ctx;
    if (d->skip) {
        if (d->depth-- == d->skip)
            d->skip = 0;
        return 1;
    }
    int rc = 1;
    switch (d->depth) {
    case 4:
        if (d->e.nbox != 4) {
            char w[96];
            where(d, w, sizeof w);
            int more = d->e.nbox > 4;
            return fail(d, "%s: expected %s, got %s%d", w, field_want[F_BBOX],
                        more ? "more than " : "an array of ", more ? 4 : d->e.nbox);
        }
        d->e.seen |= BIT(F_BBOX);
        d->field = F_OTHER;
        break;
    case 3:
        d->field = F_OTHER;
        rc = end_entry(d);
        d->index++;
        break;
    case 2: d->section = SEC_NONE; break;
    case 1: d->done = 1; break;
    }
    d->depth--;
    return rc;
}

/* Is the key s[0, n) the name? (s is not NUL-terminated.) */
static int name_is(const char *name, const unsigned char *s, size_t n)
{
    return n && name[0] == (char)s[0] && strncmp(name, (const char *)s, n) == 0 && name[n] == 0;
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    coco *d = ctx;
    if (d->skip)
        return 1;
    if (d->depth == 1) {
        d->section = SEC_OTHER;
        for (int k = SEC_IMAGES; k <= SEC_CATS; k++)
            if (name_is(section_names[k], s, n))
                d->section = k;
        if (d->section != SEC_OTHER && (d->sections_seen & BIT(d->section)))
            return fail(d, "key '%s' appears twice in the top-level object",
                        section_names[d->section]);
        d->sections_seen |= BIT(d->section);
        return 1;
    }
    d->field = F_OTHER;
    for (int f = F_ID; f < F_COUNT; f++)
        if ((section_fields[d->section] & BIT(f)) && name_is(field_names[f], s, n))
            d->field = f;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string,
    on_start_map, on_key, on_close, on_start_array, on_close,
};

/* ======== feeding =============================================================== */

coco *coco_new(const char *name, const coco_opts *o, yerr *err)
{
    coco *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name))) {
        free(d);
        yerr_set(err, YOLO_EIO, "out of memory");
        return NULL;
    }
    d->o = *o;
    d->h = yajl_alloc(&callbacks, NULL, d);
    if (!d->h) {
        coco_free(d);
        yerr_set(err, YOLO_EIO, "out of memory");
        return NULL;
    }
    return d;
}

void coco_free(coco *d)
{
    if (!d)
        return;
    if (d->h)
        yajl_free(d->h);
    free(d->name);
    ybuf_free(&d->arena);
    free(d->img);
    free(d->img_map.t);
    free(d->order);
    free(d->cat);
    free(d->cat_map.t);
    free(d->cat_ids);
    free(d->ann);
    objlist_free(&d->objs);
    ybuf_free(&d->path);
    free(d);
}

/* A stopped parse as a message with the line and byte offset; buf is the
 * chunk being parsed (NULL at the end of the input). yajl stops just past
 * the token it could not take, and that is the offset given. */
static int report(coco *d, const uint8_t *buf, size_t len, yerr *err)
{
    size_t at = buf ? yajl_get_bytes_consumed(d->h) : 0;
    if (at > len)
        at = len;
    char pos[96];
    snprintf(pos, sizeof pos, "%s: line %llu (byte offset %llu)", d->name,
             (unsigned long long)(d->lines + (buf ? json_count_lines(buf, at) : 0) + 1),
             (unsigned long long)(d->fed + at));
    if (d->failed && d->err.code == YOLO_EIO)
        return yerr_set(err, YOLO_EIO, "%s: %s", d->name, d->err.msg);
    if (d->failed)
        return yerr_set(err, d->err.code, "%s: %s", pos, d->err.msg);
    if (!buf && !d->started)
        return yerr_set(err, YOLO_EINPUT, "%s: no JSON object in the input", pos);
    if (!buf) {
        char w[96];
        where(d, w, sizeof w);
        return yerr_set(err, YOLO_EINPUT, "%s: truncated: the input ends inside %s", pos, w);
    }
    unsigned char *m = yajl_get_error(d->h, 0, buf, len);
    char clean[256];
    snprintf(clean, sizeof clean, "%s", m ? (const char *)m : "invalid JSON");
    if (m)
        yajl_free_error(d->h, m);
    for (char *c = clean; *c; c++) /* yajl's message ends with a newline */
        if (*c == '\n')
            *c = ' ';
    size_t cl = strlen(clean);
    while (cl && clean[cl - 1] == ' ')
        clean[--cl] = 0;
    return yerr_set(err, YOLO_EINPUT, "%s: %s", pos, clean);
}

int coco_feed(coco *d, const uint8_t *buf, size_t len, yerr *err)
{
    if (yajl_parse(d->h, buf, len) != yajl_status_ok)
        return report(d, buf, len, err);
    d->fed += len;
    d->lines += json_count_lines(buf, len);
    return 0;
}

/* ======== after the parse: ids resolved, annotations grouped ==================== */

typedef struct id_slot {
    int64_t id;
    uint32_t slot;
} id_slot;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const id_slot *)a)->id, y = ((const id_slot *)b)->id;
    return (x > y) - (x < y);
}

/* Class index = rank of the category id among the categories defined;
 * cat_ids is the way back (every record's coco_category_ids). */
static int number_classes(coco *d, yerr *err)
{
    size_t n = d->ncat_defined ? d->ncat_defined : 1;
    id_slot *v = malloc(n * sizeof *v);
    d->cat_ids = malloc(n * sizeof *d->cat_ids);
    if (!v || !d->cat_ids) {
        free(v);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    size_t k = 0;
    for (size_t s = 0; s < d->ncat; s++)
        if (d->cat[s].state == ST_DEFINED)
            v[k++] = (id_slot){d->cat[s].id, (uint32_t)s};
    qsort(v, k, sizeof *v, cmp_id);
    for (size_t i = 0; i < k; i++) {
        d->cat[v[i].slot].cls = (int32_t)i;
        d->cat_ids[i] = v[i].id;
    }
    free(v);
    return 0;
}

/* Counts, per image, the annotations it keeps, and per missing image or
 * category those skipped for want of it. */
static void count_refs(coco *d)
{
    for (size_t i = 0; i < d->nann; i++) {
        coco_img *im = &d->img[d->ann[i].img];
        coco_cat *c = &d->cat[d->ann[i].cat];
        if (im->state == ST_SKIPPED)
            d->skipped_anns++;
        else if (im->state == ST_REFERENCED)
            im->count++, d->skipped_anns++;
        else if (c->state != ST_DEFINED)
            c->nref++, d->skipped_anns++;
        else
            im->count++;
    }
}

/* One warning per id referred to and never defined. */
static int warn_missing(coco *d, yerr *err)
{
    for (size_t s = 0; s < d->ncat; s++)
        if (d->cat[s].state == ST_REFERENCED && d->cat[s].nref &&
            !problem(d, P_NO_CAT, "skipped",
                     "category_id %lld is not in categories (%u annotation%s)",
                     (long long)d->cat[s].id, d->cat[s].nref, d->cat[s].nref == 1 ? "" : "s"))
            return yerr_set(err, YOLO_EINPUT, "%s: %s", d->name, d->err.msg);
    for (size_t s = 0; s < d->nimg; s++)
        if (d->img[s].state == ST_REFERENCED &&
            !problem(d, P_NO_IMAGE, "skipped", "image_id %lld is not in images (%u annotation%s)",
                     (long long)d->img[s].id, d->img[s].count, d->img[s].count == 1 ? "" : "s"))
            return yerr_set(err, YOLO_EINPUT, "%s: %s", d->name, d->err.msg);
    return 0;
}

/* Puts each annotation i at dest[i], in place: every swap settles one. */
static void permute(coco_ann *a, uint32_t *dest, size_t n)
{
    for (size_t i = 0; i < n; i++)
        while (dest[i] != i) {
            uint32_t j = dest[i];
            coco_ann t = a[j];
            a[j] = a[i];
            a[i] = t;
            dest[i] = dest[j];
            dest[j] = j;
        }
}

/* Groups the annotations kept by image, in place (a counting sort: each
 * image keeps its annotations in file order, and records are then made by
 * reading the array straight through); those skipped go to the end and
 * are dropped. */
static int group(coco *d, yerr *err)
{
    size_t total = 0;
    for (size_t i = 0; i < d->norder; i++) {
        coco_img *im = &d->img[d->order[i]];
        if (im->count > COCO_MAX_OBJECTS)
            return yerr_set(err, YOLO_EINPUT, "%s: image id %lld has %u annotations, more than %d",
                            d->name, (long long)im->id, im->count, COCO_MAX_OBJECTS);
        im->first = (uint32_t)total;
        total += im->count;
        im->count = 0;
    }
    uint32_t *dest = malloc((d->nann ? d->nann : 1) * sizeof *dest);
    if (!dest)
        return yerr_set(err, YOLO_EIO, "out of memory");
    size_t dropped = total;
    for (size_t i = 0; i < d->nann; i++) {
        coco_img *im = &d->img[d->ann[i].img];
        int keep = im->state == ST_DEFINED && d->cat[d->ann[i].cat].state == ST_DEFINED;
        dest[i] = (uint32_t)(keep ? im->first + im->count++ : dropped++);
    }
    permute(d->ann, dest, d->nann);
    free(dest);
    d->nann = total;
    return 0;
}

int coco_finish(coco *d, yerr *err)
{
    if (yajl_complete_parse(d->h) != yajl_status_ok || !d->done)
        return report(d, NULL, 0, err);
    if (!(d->sections_seen & BIT(SEC_IMAGES)))
        return yerr_set(err, YOLO_EINPUT, "%s: no \"images\" array: not a COCO instances file",
                        d->name);
    if (number_classes(d, err) < 0)
        return -1;
    count_refs(d);
    if (warn_missing(d, err) < 0 || group(d, err) < 0)
        return -1;
    d->finished = 1;
    return 0;
}

static int feed(void *d, const uint8_t *buf, size_t len, yerr *err)
{
    return coco_feed(d, buf, len, err);
}

static int finish(void *d, yerr *err) { return coco_finish(d, err); }

int coco_read_fd(coco *d, int fd, yerr *err)
{
    ybuf_feeder f = {feed, finish, d};
    return ybuf_feed_fd(fd, d->name, 1 << 20, &f, err);
}

/* ======== records =============================================================== */

size_t coco_count(const coco *d) { return d->finished ? d->norder : 0; }

/* image: the file_name, under images_dir when given (unless absolute). */
static int image_path(coco *d, const coco_img *im)
{
    const char *fn = (const char *)d->arena.p + im->name;
    const char *dir = d->o.images_dir;
    d->path.len = 0;
    if (dir && dir[0] && fn[0] != '/') {
        ybuf_puts(&d->path, dir);
        if (dir[strlen(dir) - 1] != '/')
            ybuf_putc(&d->path, '/');
    }
    return ybuf_put(&d->path, fn, im->name_len);
}

static int image_objects(coco *d, const coco_img *im)
{
    d->objs.n = 0;
    for (uint32_t k = 0; k < im->count; k++) {
        const coco_ann *a = &d->ann[im->first + k];
        const coco_cat *c = &d->cat[a->cat];
        yobj o = {
            .cls = c->cls,
            .name = (const char *)d->arena.p + c->name,
            .name_len = c->name_len,
            .bbox = {a->bbox[0], a->bbox[1], a->bbox[0] + a->bbox[2], a->bbox[1] + a->bbox[3]},
            .iscrowd = a->flags & A_CROWD,
            .area = a->area,
            .fields = OBJ_HAS_ISCROWD | (a->flags & A_AREA ? OBJ_HAS_AREA : 0),
        };
        if (objlist_push(&d->objs, &o) < 0)
            return -1;
    }
    return 0;
}

/* coco_category_ids: [the category id of class 0, of class 1, ...]. */
static int set_category_ids(coco *d, rec *r, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "coco_category_ids");
    msgpack_pack_array(pk, d->ncat_defined);
    for (size_t c = 0; c < d->ncat_defined; c++)
        msgpack_pack_int64(pk, d->cat_ids[c]);
    return rec_set_end(r, err);
}

int coco_record(coco *d, size_t i, rec *r, yerr *err)
{
    uint32_t s = d->order[i];
    const coco_img *im = &d->img[s];
    if (d->o.skip_empty && im->count == 0)
        return 0;
    rec_clear(r);
    char id[32];
    int idn = snprintf(id, sizeof id, "%lld", (long long)im->id);
    if (image_path(d, im) < 0 || image_objects(d, im) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (rec_set_str(r, "id", id, (size_t)idn, err) < 0 ||
        rec_set_str(r, "image", (const char *)d->path.p, d->path.len, err) < 0 ||
        rec_set_i64(r, "width", im->width, err) < 0 ||
        rec_set_i64(r, "height", im->height, err) < 0 ||
        rec_set_i64(r, "coco_id", im->id, err) < 0 || set_category_ids(d, r, err) < 0 ||
        (d->has_anns && rec_set_objects(r, d->objs.v, d->objs.n, err) < 0))
        return -1;
    return 1;
}

size_t coco_summary(const coco *d, char *buf, size_t n)
{
    size_t total = 0;
    for (int k = 0; k < P_KINDS; k++)
        total += d->problems[k];
    if (total)
        snprintf(buf, n,
                 "%s: %zu problem%s: %zu images, %zu annotations and %zu categories skipped",
                 d->name, total, total == 1 ? "" : "s", d->skipped_imgs, d->skipped_anns,
                 d->skipped_cats);
    return total;
}

int coco_get_category_ids(rec *r, int64_t **v, size_t *cap, size_t *n, yerr *err)
{
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "coco_category_ids", &a, err);
    if (rc < 1)
        return rc;
    if (a->size > NAMES_MAX)
        return rec_fail(r, err, "coco_category_ids", "more than %d entries", NAMES_MAX);
    if (yvec_fit((void **)v, cap, a->size ? a->size : 1, sizeof **v) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (uint32_t i = 0; i < a->size; i++)
        if (mp_as_i64(&a->ptr[i], &(*v)[i]) < 0) {
            char path[48];
            snprintf(path, sizeof path, "coco_category_ids[%u]", i);
            return rec_fail(r, err, path, "expected an integer, got %s",
                            mp_object_type_name(&a->ptr[i]));
        }
    *n = a->size;
    return 1;
}
