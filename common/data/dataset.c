/* dataset-write's first half: the records read whole and checked, before any
 * file is written (dataset.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/data/coco.h"
#include "yolo/data/dataset.h"
#include "yolo/records/schema.h"

static const yrep_kind problem_kinds[DATASET_NPROBLEMS] = {
    {"record with 'error' skipped", "records with 'error' skipped"},
    {"record without objects skipped", "records without objects skipped"},
    {"record whose image is not there skipped", "records whose image is not there skipped"},
    {"box dropped", "boxes dropped"},
};

/* The names file each layout keeps in DIR (none for COCO: its categories
 * are in each split's JSON). */
static const char *const names_file[3] = {"obj.names", "classes.names", NULL};

int dataset_parse_format(const char *s, int *v)
{
    static const char *const k[3] = {"yolo", "voc", "coco"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, k[i]))
            return *v = i, 0;
    return -1;
}

int dataset_parse_images(const char *s, int *v)
{
    static const char *const k[3] = {"link", "copy", "keep"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, k[i]))
            return *v = i, 0;
    return -1;
}

int dataset_check_split(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DATASET_MAX_SPLIT || s[0] == '.')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
            return -1;
    return 0;
}

int dataset_abspath(ybuf *b, const char *path)
{
    b->len = 0;
    if (path[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        ybuf_puts(b, cwd);
        if (b->len && b->p[b->len - 1] != '/')
            ybuf_putc(b, '/');
        while (path[0] == '.' && path[1] == '/') /* ./x is x */
            for (path += 2; *path == '/'; path++) {}
    }
    ybuf_puts(b, path);
    return ybuf_putc(b, 0);
}

/* The class list of a file: --names, else the one an earlier run left in
 * DIR (said, so that a run on other classes sees where its list came from). */
static int load_names(dataset *d, yerr *err)
{
    const char *f = names_file[d->cfg->format];
    if (d->cfg->names) {
        d->names_from = d->cfg->names;
        return names_load(&d->names, d->cfg->names, err);
    }
    if (!f)
        return 0;
    ybuf p = {0};
    ybuf_puts(&p, d->cfg->out);
    ybuf_putc(&p, '/');
    ybuf_puts(&p, f);
    if (ybuf_putc(&p, 0) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    d->names_path = (char *)p.p;
    struct stat st;
    if (stat(d->names_path, &st) != 0)
        return 0;
    d->names_from = d->names_path;
    yrep_warn(d->rep, "class names from %s (an earlier run's; --names FILE to give them)",
              d->names_path);
    return names_load(&d->names, d->names_path, err);
}

int dataset_open(dataset *d, const dataset_cfg *cfg, const yrep *rep, yerr *err)
{
    memset(d, 0, sizeof *d);
    d->cfg = cfg;
    d->rep = rep;
    d->cats_rec = -1;
    d->probs = (yrep_problems){.kinds = problem_kinds, .n = DATASET_NPROBLEMS,
                               .strict = cfg->strict};
    return load_names(d, err);
}

/* ---- one record --------------------------------------------------------------- */

/* The class of object j checked against the file's list. */
static int check_listed(dataset *d, rec *r, size_t j, const yobj *o, yerr *err)
{
    char path[64];
    if (o->cls >= d->names.n) {
        snprintf(path, sizeof path, "objects[%zu].class", j);
        return rec_fail(r, err, path, "class %d is not in the %d names of %s", o->cls,
                        d->names.n, d->names_from);
    }
    const char *want = d->names.v[o->cls];
    if (o->name_len && (strlen(want) != o->name_len || memcmp(want, o->name, o->name_len))) {
        snprintf(path, sizeof path, "objects[%zu].name", j);
        return rec_fail(r, err, path, "'%.*s', but class %d is '%s' in %s",
                        (int)(o->name_len > 255 ? 255 : o->name_len), o->name, o->cls, want,
                        d->names_from);
    }
    return 0;
}

/* Without a file: class -> name as the records give it, one name a class. */
static int note_name(dataset *d, rec *r, size_t j, const yobj *o, yerr *err)
{
    char path[64];
    snprintf(path, sizeof path, "objects[%zu].class", j);
    if (o->cls >= NAMES_MAX)
        return rec_fail(r, err, path, "class %d: at most %d classes", o->cls, NAMES_MAX);
    snprintf(path, sizeof path, "objects[%zu].name", j);
    if (o->name_len == 0 || o->name_len > NAMES_MAX_LEN)
        return rec_fail(r, err, path, "%s: without --names the class names come from the "
                        "records", o->name_len ? "longer than 255 bytes" : "empty or missing");
    for (size_t k = 0; k < o->name_len; k++)
        if ((unsigned char)o->name[k] < 0x20)
            return rec_fail(r, err, path, "has a control character (byte %zu): a names file "
                            "holds one name a line", k);
    size_t c = (size_t)o->cls;
    if (c >= d->nseen) {
        if (yvec_fit((void **)&d->seen, &d->capseen, c + 1, sizeof *d->seen) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        memset(d->seen + d->nseen, 0, (c + 1 - d->nseen) * sizeof *d->seen);
        d->nseen = c + 1;
    }
    dataset_class *s = &d->seen[c];
    if (!s->name) {
        if (!(s->name = strndup(o->name, o->name_len)))
            return yerr_set(err, YOLO_EIO, "out of memory");
        s->rec = r->index;
        return 0;
    }
    if (strlen(s->name) != o->name_len || memcmp(s->name, o->name, o->name_len))
        return rec_fail(r, err, path, "'%.*s', but record %ld calls class %d '%s' (one name a "
                        "class; --names FILE gives the list)", (int)o->name_len, o->name, s->rec,
                        o->cls, s->name);
    return 0;
}

/* A box as the layout keeps it: 1 keep, 0 left out (counted), -1 stop. */
static int fit_box(dataset *d, rec *r, size_t j, const yobj *o, int w, int h, box *b,
                   yerr *err)
{
    *b = o->bbox;
    if (d->cfg->format == DATASET_COCO)
        return 1; /* COCO keeps boxes as written, crowds too (coco-parse does) */
    if (o->iscrowd) {
        d->crowd++;
        return 0;
    }
    *b = box_clip(o->bbox, w, h);
    d->clipped += memcmp(b, &o->bbox, sizeof *b) != 0;
    const char *why = NULL;
    if (!(b->x2 > b->x1 && b->y2 > b->y1))
        why = "has no area inside the image";
    else if (d->cfg->format == DATASET_VOC &&
             (lround(b->x2) <= lround(b->x1) || lround(b->y2) <= lround(b->y1)))
        why = "is under a pixel wide or high once rounded to VOC's whole pixels";
    else if (d->cfg->format == DATASET_YOLO &&
             (lround((b->x2 - b->x1) / w * 1e6) == 0 || lround((b->y2 - b->y1) / h * 1e6) == 0))
        why = "is under 1e-6 of the image wide or high (YOLO's 6 decimals)";
    if (!why)
        return 1;
    int rc = yrep_problem(d->rep, &d->probs, DATASET_P_DROP, "box dropped", err,
                          "%s: record %ld: key 'objects[%zu].bbox': [%g, %g, %g, %g] in a "
                          "%dx%d image %s", r->src, r->index, j, o->bbox.x1, o->bbox.y1,
                          o->bbox.x2, o->bbox.y2, w, h, why);
    return rc < 0 ? -1 : 0;
}

static int add_objects(dataset *d, rec *r, int w, int h, yerr *err)
{
    for (size_t j = 0; j < d->objs.n; j++) {
        const yobj *o = &d->objs.v[j];
        char path[64];
        snprintf(path, sizeof path, "objects[%zu].bbox", j);
        if (o->bbox.x2 < o->bbox.x1 || o->bbox.y2 < o->bbox.y1)
            return rec_fail(r, err, path, "inverted: x2 < x1 or y2 < y1");
        if ((d->names_from ? check_listed(d, r, j, o, err) : note_name(d, r, j, o, err)) < 0)
            return -1;
        box b;
        int rc = fit_box(d, r, j, o, w, h, &b, err);
        if (rc < 1) {
            if (rc < 0)
                return -1;
            continue;
        }
        if (yvec_fit((void **)&d->obj, &d->capobj, d->nobj + 1, sizeof *d->obj) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        d->obj[d->nobj++] = (dataset_obj){
            b, o->area, o->cls, (unsigned char)(o->difficult != 0),
            (unsigned char)(o->truncated != 0), (unsigned char)(o->iscrowd != 0),
            (unsigned char)((o->fields & OBJ_HAS_AREA) && isfinite(o->area))};
    }
    return 0;
}

/* coco_category_ids: the same list in every record that has it. */
static int note_categories(dataset *d, rec *r, yerr *err)
{
    int rc = coco_get_category_ids(r, &d->scratch_cats, &d->capscratch, &d->nscratch, err);
    if (rc < 1)
        return rc;
    if (d->cats_rec < 0) {
        if (yvec_fit((void **)&d->cats, &d->capcats, d->nscratch + 1, sizeof *d->cats) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        memcpy(d->cats, d->scratch_cats, d->nscratch * sizeof *d->cats);
        d->ncats = d->nscratch;
        d->cats_rec = r->index;
        d->cats_in = d->last_in;
        return 0;
    }
    if (d->nscratch != d->ncats || memcmp(d->cats, d->scratch_cats, d->ncats * sizeof *d->cats))
        return rec_fail(r, err, "coco_category_ids", "differs from record %ld's (one list for "
                        "the whole stream)", d->cats_rec);
    return 0;
}

/* The record's image: its absolute path into d->paths (at *at), which must
 * name a file. 1, 0 skipped (counted), -1 stop. */
static int add_image(dataset *d, rec *r, size_t *at, yerr *err)
{
    const char *s;
    size_t n;
    int rc = rec_get_str(r, "image", &s, &n, err);
    if (rc == 0 || (rc == 1 && (n == 0 || memchr(s, 0, n))))
        return rec_fail(r, err, "image", rc ? "empty, or with a NUL byte" : "missing: "
                        "dataset-write needs the image's path");
    if (rc < 0)
        return -1;
    ybuf rel = {0}, abs = {0};
    ybuf_put(&rel, s, n);
    if (ybuf_putc(&rel, 0) < 0 || dataset_abspath(&abs, (char *)rel.p) < 0) {
        ybuf_free(&rel);
        ybuf_free(&abs);
        return yerr_set(err, YOLO_EIO, "out of memory, or the working directory is unknown");
    }
    struct stat st;
    int found = stat((char *)abs.p, &st) == 0, there = found && S_ISREG(st.st_mode);
    const char *why = found ? "not a file" : strerror(errno);
    if (there) {
        *at = d->paths.len;
        ybuf_put(&d->paths, abs.p, abs.len);
    } else {
        rc = yrep_problem(d->rep, &d->probs, DATASET_P_NOIMAGE, "record skipped", err,
                          "%s: record %ld: key 'image': %s: %s", r->src, r->index,
                          (char *)rel.p, why);
    }
    ybuf_free(&rel);
    ybuf_free(&abs);
    if (there && d->paths.oom)
        return yerr_set(err, YOLO_EIO, "out of memory");
    return there ? 1 : rc < 0 ? -1 : 0;
}

/* The file name of the image at src: its offset and its stem's length. */
static void file_name(const char *src, size_t *base, size_t *stem)
{
    const char *slash = strrchr(src, '/'), *b = slash ? slash + 1 : src;
    const char *dot = strrchr(b, '.');
    *base = (size_t)(b - src);
    *stem = dot && dot > b ? (size_t)(dot - b) : strlen(b);
}

int dataset_add(dataset *d, rec *r, yerr *err)
{
    if (!d->inputs.len || strcmp((char *)d->inputs.p + d->last_in, r->src)) {
        d->last_in = d->inputs.len;
        if (ybuf_put(&d->inputs, r->src, strlen(r->src) + 1) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    if (rec_has(r, "error"))
        return yrep_problem(d->rep, &d->probs, DATASET_P_ERROR, "record skipped", err,
                            "%s: record %ld: has 'error' set", r->src, r->index);
    int rc = rec_get_objects(r, &d->objs, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return yrep_problem(d->rep, &d->probs, DATASET_P_UNANNOTATED, "record skipped", err,
                            "%s: record %ld: no 'objects' (not annotated)", r->src, r->index);
    double wh[2];
    int64_t coco_id = 0;
    if (rec_get_image_size(r, "dataset-write needs the image's size", wh, err) < 0 ||
        (rc = rec_get_i64(r, "coco_id", &coco_id, err)) < 0 || note_categories(d, r, err) < 0)
        return -1;
    d->with_coco_id += rc;
    size_t at = 0, obj0 = d->nobj;
    if ((rc = add_image(d, r, &at, err)) < 1)
        return rc;
    if (add_objects(d, r, (int)wh[0], (int)wh[1], err) < 0 ||
        yvec_fit((void **)&d->img, &d->capimg, d->nimg + 1, sizeof *d->img) < 0)
        return err->code ? -1 : yerr_set(err, YOLO_EIO, "out of memory");
    dataset_img *m = &d->img[d->nimg++];
    *m = (dataset_img){.src = at, .w = (int)wh[0], .h = (int)wh[1], .coco_id = coco_id,
                       .obj0 = obj0, .nobj = d->nobj - obj0, .rec = r->index, .in = d->last_in};
    file_name((char *)d->paths.p + at, &m->base, &m->stem);
    return 0;
}

/* ---- the whole stream ------------------------------------------------------ */

/* Without a file, the list is the records': every class up to the largest
 * seen needs a name. */
static int names_from_records(dataset *d, yerr *err)
{
    if (d->nseen == 0)
        return yerr_set(err, YOLO_EINPUT, "no class names: the records have no objects "
                        "(give the class list with --names FILE)");
    for (size_t c = 0; c < d->nseen; c++)
        if (!d->seen[c].name)
            return yerr_set(err, YOLO_EINPUT, "class %zu has no name: no object of it in the "
                            "records, which name classes up to %zu (give the class list with "
                            "--names FILE)", c, d->nseen - 1);
    for (size_t c = 0; c < d->nseen; c++)
        if (names_add(&d->names, d->seen[c].name, strlen(d->seen[c].name)) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    return 0;
}

static const char *src_of(const dataset *d, const dataset_img *m)
{
    return (const char *)d->paths.p + m->src;
}

/* Image pointers sorted by stem (qsort has no context: the strings are
 * compared through each image's stored path). */
typedef struct stem_ref {
    const char *stem;
    size_t len;
    const dataset_img *m;
} stem_ref;

static int cmp_stem(const void *a, const void *b)
{
    const stem_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->stem, y->stem, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Two images that would be written under one name (labels, annotations and
 * placed images are named by the image's stem); kept images where nothing
 * is named after them in DIR: one image listed twice. */
static int check_stems(const dataset *d, yerr *err)
{
    int whole = d->cfg->images == DATASET_KEEP && d->cfg->format != DATASET_VOC;
    stem_ref *v = malloc((d->nimg ? d->nimg : 1) * sizeof *v);
    if (!v)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; i < d->nimg; i++) {
        const dataset_img *m = &d->img[i];
        const char *src = src_of(d, m);
        v[i] = whole ? (stem_ref){src, strlen(src), m} : (stem_ref){src + m->base, m->stem, m};
    }
    qsort(v, d->nimg, sizeof *v, cmp_stem);
    int rc = 0;
    for (size_t i = 1; i < d->nimg && rc == 0; i++)
        if (cmp_stem(&v[i - 1], &v[i]) == 0) {
            const dataset_img *a = v[i - 1].m, *b = v[i].m;
            if (a > b) { /* in the order read */
                const dataset_img *t = a;
                a = b;
                b = t;
            }
            const char *ia = (const char *)d->inputs.p + a->in,
                       *ib = (const char *)d->inputs.p + b->in;
            rc = whole ? yerr_set(err, YOLO_EINPUT, "%s: record %ld and %s: record %ld: both "
                                  "are image %s", ia, a->rec, ib, b->rec, src_of(d, a))
                       : yerr_set(err, YOLO_EINPUT, "%s: record %ld and %s: record %ld: %s and "
                                  "%s would both be written as '%.*s' (file names must differ, "
                                  "whatever their extension)", ia, a->rec, ib, b->rec,
                                  src_of(d, a), src_of(d, b), (int)a->stem,
                                  src_of(d, a) + a->base);
        }
    free(v);
    return rc;
}

static int cmp_coco_id(const void *a, const void *b)
{
    const dataset_img *x = *(const dataset_img *const *)a, *y = *(const dataset_img *const *)b;
    int c = (x->coco_id > y->coco_id) - (x->coco_id < y->coco_id);
    return c ? c : (x > y) - (x < y);
}

/* Two records with one coco_id: -1 with err naming both. */
static int unique_coco_ids(const dataset *d, yerr *err)
{
    const dataset_img **v = malloc(d->nimg * sizeof *v);
    if (!v)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; i < d->nimg; i++)
        v[i] = &d->img[i];
    qsort(v, d->nimg, sizeof *v, cmp_coco_id);
    int rc = 0;
    for (size_t i = 1; i < d->nimg && rc == 0; i++)
        if (v[i]->coco_id == v[i - 1]->coco_id)
            rc = yerr_set(err, YOLO_EINPUT, "%s: record %ld and %s: record %ld: both have "
                          "coco_id %lld (image ids must be unique)",
                          (const char *)d->inputs.p + v[i - 1]->in, v[i - 1]->rec,
                          (const char *)d->inputs.p + v[i]->in, v[i]->rec,
                          (long long)v[i]->coco_id);
    free(v);
    return rc;
}

/* COCO ids: the records' coco_id when every record has one (unique), else
 * 1.. in order; category ids: coco_category_ids, covering the classes. */
static int coco_ids(dataset *d, yerr *err)
{
    if (d->with_coco_id && d->with_coco_id != (long)d->nimg)
        yrep_warn(d->rep, "%ld of %zu images have a coco_id: all are numbered 1.. in order "
                  "instead", d->with_coco_id, d->nimg);
    if (d->with_coco_id != (long)d->nimg || d->nimg == 0) {
        for (size_t i = 0; i < d->nimg; i++)
            d->img[i].coco_id = (int64_t)i + 1;
    } else if (unique_coco_ids(d, err) < 0) {
        return -1;
    }
    if (d->cats_rec >= 0 && d->ncats < (size_t)d->names.n)
        return yerr_set(err, YOLO_EINPUT, "%s: record %ld: key 'coco_category_ids': %zu ids "
                        "for %d classes", (const char *)d->inputs.p + d->cats_in, d->cats_rec,
                        d->ncats, d->names.n);
    return 0;
}

int dataset_close(dataset *d, yerr *err)
{
    if ((!d->names_from && names_from_records(d, err) < 0) || check_stems(d, err) < 0)
        return -1;
    return d->cfg->format == DATASET_COCO ? coco_ids(d, err) : 0;
}

void dataset_free(dataset *d)
{
    for (size_t c = 0; c < d->nseen; c++)
        free(d->seen[c].name);
    free(d->seen);
    free(d->img);
    free(d->obj);
    free(d->cats);
    free(d->scratch_cats);
    free(d->names_path);
    ybuf_free(&d->paths);
    ybuf_free(&d->inputs);
    names_free(&d->names);
    objlist_free(&d->objs);
    yrep_problems_free(&d->probs);
}
