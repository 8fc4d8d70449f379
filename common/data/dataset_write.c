/* dataset-write's second half: the files of a split (dataset.h). Every file
 * goes through emit_text or emit_image twice: the check pass finds those
 * that would change, the write pass writes them; a failed write pass
 * removes what it made. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/base/json.h"
#include "yolo/data/dataset.h"
#include "yolo/data/voc_write.h"
#include "yolo/data/yolotxt.h"

/* The first line of the index files dataset-write owns (data.yaml,
 * obj.data): a later run may rewrite them with more splits. */
#define MARK "# written by dataset-write"

enum { FILE_OWN, FILE_INDEX };  /* an index file of ours is rewritten freely */

typedef struct dsw {
    dataset *d;
    const dataset_cfg *cfg;
    int writing;            /* 0: the check pass, 1: the write pass */
    ybuf dir;               /* DIR, absolute, NUL-terminated */
    ybuf made, made_dirs;   /* files and folders this run made, NUL-terminated each */
    long conflicts;         /* files that would change (check pass) */
    char first[4200];       /* the first of them, and why */
    long written, same, placed;
    int warned_rule;        /* keep: the labels-under-JPEGImages warning given */
    ybuf path, text, tmp;   /* scratch */
    objlist vo;             /* one image's boxes for voc_write */
    yolotxt lt;             /* where yolo-parse looks for a kept image's labels */
} dsw;

static const char *dir_of(const dsw *w) { return (const char *)w->dir.p; }

/* w->path = DIR/a[/b][/c] (NULL parts left out), NUL-terminated. */
static const char *pathf(dsw *w, const char *a, const char *b, const char *c)
{
    ybuf *p = &w->path;
    p->len = 0;
    ybuf_puts(p, dir_of(w));
    const char *part[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (part[i]) {
            ybuf_putc(p, '/');
            ybuf_puts(p, part[i]);
        }
    return ybuf_putc(p, 0) < 0 ? NULL : (const char *)p->p;
}

static int oom(yerr *err) { return yerr_set(err, YOLO_EIO, "out of memory"); }

/* ---- comparing with what is there ---------------------------------------------- */

/* 1 when the file at path holds exactly p[0, n), 0 when not, -1 when it
 * cannot be read. */
static int same_bytes(const char *path, const uint8_t *p, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    if ((size_t)st.st_size != n)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t buf[65536];
    size_t at = 0, k;
    int same = 1;
    while (same && (k = fread(buf, 1, sizeof buf, f)) > 0) {
        same = at + k <= n && memcmp(buf, p + at, k) == 0;
        at += k;
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : same && at == n;
}

/* 1 when the files a and b hold the same bytes. */
static int same_files(dsw *w, const char *a, const char *b)
{
    FILE *f = fopen(a, "rb");
    if (!f)
        return 0;
    w->tmp.len = 0;
    uint8_t buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        ybuf_put(&w->tmp, buf, k);
    int bad = ferror(f) || w->tmp.oom;
    fclose(f);
    return !bad && same_bytes(b, w->tmp.p, w->tmp.len) == 1;
}

/* A file that would change: counted, the first named. */
static void conflict(dsw *w, const char *path, const char *why)
{
    if (w->conflicts++ == 0)
        snprintf(w->first, sizeof w->first, "%s %s", path, why);
}

/* ---- making files ------------------------------------------------------------ */

static int note_made(dsw *w, const char *path, yerr *err)
{
    return ybuf_put(&w->made, path, strlen(path) + 1) < 0 ? oom(err) : 0;
}

/* The folder path's file goes into, made (and noted) when missing. */
static int make_parent(dsw *w, const char *path, yerr *err)
{
    const char *slash = strrchr(path, '/');
    w->tmp.len = 0;
    ybuf_put(&w->tmp, path, slash ? (size_t)(slash - path) : 0);
    if (ybuf_putc(&w->tmp, 0) < 0)
        return oom(err);
    return w->tmp.len > 1 ? ydir_make((const char *)w->tmp.p, &w->made_dirs, err) : 0;
}

/* 1 when the file at path starts with MARK: an index file of ours. */
static int ours(const char *path)
{
    char head[sizeof MARK];
    FILE *f = fopen(path, "rb");
    int yes = f && fread(head, 1, sizeof MARK - 1, f) == sizeof MARK - 1 &&
              memcmp(head, MARK, sizeof MARK - 1) == 0;
    if (f)
        fclose(f);
    return yes;
}

/* A text file: b's bytes at path. */
static int emit_text(dsw *w, const char *path, const ybuf *b, int kind, yerr *err)
{
    if (!path || b->oom)
        return oom(err);
    struct stat st;
    int there = lstat(path, &st) == 0;
    if (there && same_bytes(path, b->p, b->len) == 1) {
        w->same += w->writing;
        return 0;
    }
    if (!w->writing) {
        if (there && !w->cfg->force && !(kind == FILE_INDEX && ours(path)))
            conflict(w, path, "is there with other contents");
        return 0;
    }
    if (make_parent(w, path, err) < 0 || ybuf_save(b, path, err) < 0 ||
        (!there && note_made(w, path, err) < 0))
        return -1;
    w->written++;
    return 0;
}

/* An image copied whole: written beside dst, renamed over it. */
static int copy_file(const char *src, const char *dst, yerr *err)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return yerr_set(err, YOLO_EIO, "%s: %s", src, strerror(errno));
    yfile out;
    if (yfile_open(&out, dst, err) < 0) {
        fclose(in);
        return -1;
    }
    uint8_t buf[65536];
    size_t k;
    int ok = 1;
    while (ok && (k = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, k, out.f) == k;
    if (ferror(in)) {
        fclose(in);
        yfile_commit(&out, 0, err);
        return yerr_set(err, YOLO_EIO, "%s: read error", src);
    }
    fclose(in);
    return yfile_commit(&out, ok, err);
}

/* A symbolic link dst -> src; one in the way (--force) is replaced by a
 * rename, so dst is never missing. */
static int link_file(dsw *w, const char *src, const char *dst, int there, yerr *err)
{
    w->tmp.len = 0;
    ybuf_puts(&w->tmp, dst);
    ybuf_puts(&w->tmp, ".tmp");
    if (ybuf_putc(&w->tmp, 0) < 0)
        return oom(err);
    const char *at = there ? (const char *)w->tmp.p : dst;
    if (there)
        unlink(at); /* a link left by a run killed here */
    if (symlink(src, at) != 0)
        return yerr_set(err, YOLO_EIO, "%s: cannot make a link to %s: %s", at, src,
                        strerror(errno));
    if (there && rename(at, dst) != 0) {
        int e = errno;
        unlink(at);
        return yerr_set(err, YOLO_EIO, "%s: %s", dst, strerror(e));
    }
    return 0;
}

/* 1 when dst is a symbolic link to src. */
static int links_to(dsw *w, const char *dst, const char *src)
{
    w->tmp.len = 0;
    if (ybuf_reserve(&w->tmp, 4097) < 0)
        return 0;
    ssize_t n = readlink(dst, (char *)w->tmp.p, 4096);
    return n >= 0 && (size_t)n == strlen(src) && memcmp(w->tmp.p, src, (size_t)n) == 0;
}

/* The image src placed at dst: linked or copied. */
static int emit_image(dsw *w, const char *src, const char *dst, yerr *err)
{
    struct stat st;
    int there = lstat(dst, &st) == 0, link = w->cfg->images == DATASET_LINK;
    int same = there && (link ? links_to(w, dst, src) : !S_ISLNK(st.st_mode) &&
                                                         same_files(w, src, dst));
    if (same) {
        w->same += w->writing;
        return 0;
    }
    if (!w->writing) {
        if (there && !w->cfg->force)
            conflict(w, dst, link ? "is there and is not a link to the image"
                                  : "is there with other contents");
        return 0;
    }
    if (make_parent(w, dst, err) < 0 ||
        (link ? link_file(w, src, dst, there, err) : copy_file(src, dst, err)) < 0 ||
        (!there && note_made(w, dst, err) < 0))
        return -1;
    w->placed++;
    return 0;
}

/* ---- what goes where ------------------------------------------------------------ */

static const char *src_of(const dsw *w, const dataset_img *m)
{
    return (const char *)w->d->paths.p + m->src;
}

/* Where image m goes in DIR (NULL with --images keep), into w->path. */
static const char *placed(dsw *w, const dataset_img *m)
{
    const char *name = src_of(w, m) + m->base;
    if (w->cfg->images == DATASET_KEEP)
        return NULL;
    if (w->cfg->format == DATASET_VOC)
        return pathf(w, "JPEGImages", name, NULL);
    return pathf(w, "images", w->cfg->split, name);
}

/* The image as the layout's files name it: placed in DIR, or where it is. */
static const char *listed(dsw *w, const dataset_img *m)
{
    const char *p = placed(w, m);
    return w->cfg->images == DATASET_KEEP ? src_of(w, m) : p;
}

/* w->path = DIR/sub[/sub2]/STEM.ext for image m. */
static const char *stem_path(dsw *w, const char *sub, const char *sub2, const dataset_img *m,
                             const char *ext)
{
    const char *base = src_of(w, m) + m->base;
    if (!pathf(w, sub, sub2, NULL))
        return NULL;
    w->path.len--;
    ybuf_putc(&w->path, '/');
    ybuf_put(&w->path, base, m->stem);
    ybuf_puts(&w->path, ext);
    return ybuf_putc(&w->path, 0) < 0 ? NULL : (const char *)w->path.p;
}

static int place_images(dsw *w, yerr *err)
{
    for (size_t i = 0; i < w->d->nimg && w->cfg->images != DATASET_KEEP; i++) {
        const dataset_img *m = &w->d->img[i];
        const char *dst = placed(w, m);
        if (!dst)
            return oom(err);
        ybuf dcopy = {0};
        ybuf_puts(&dcopy, dst);
        int rc = ybuf_putc(&dcopy, 0) < 0 ? oom(err)
                                          : emit_image(w, src_of(w, m), (char *)dcopy.p, err);
        ybuf_free(&dcopy);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- YOLO --------------------------------------------------------------------- */

/* Image m's label rows: `class cx cy w h`, fractions with 6 decimals. */
static void yolo_rows(dsw *w, const dataset_img *m, ybuf *b)
{
    b->len = 0;
    for (size_t k = 0; k < m->nobj; k++) {
        const dataset_obj *o = &w->d->obj[m->obj0 + k];
        char row[160];
        int n = snprintf(row, sizeof row, "%d %.*f %.*f %.*f %.*f\n", o->cls,
                         DATASET_YOLO_DECIMALS, (o->bbox.x1 + o->bbox.x2) / (2.0 * m->w),
                         DATASET_YOLO_DECIMALS, (o->bbox.y1 + o->bbox.y2) / (2.0 * m->h),
                         DATASET_YOLO_DECIMALS, (o->bbox.x2 - o->bbox.x1) / m->w,
                         DATASET_YOLO_DECIMALS, (o->bbox.y2 - o->bbox.y1) / m->h);
        ybuf_put(b, row, (size_t)n);
    }
}

/* Where a kept image's labels go: the first place yolo-parse (and darknet)
 * look for them. Under JPEGImages/ that is DIR/labels/ beside it, which
 * ultralytics does not look at: said once. */
static const char *kept_label(dsw *w, const dataset_img *m, yerr *err)
{
    const char *src = src_of(w, m);
    if (yolotxt_paths(&w->lt, src) < 0) {
        oom(err);
        return NULL;
    }
    if (w->writing && !w->warned_rule && !strstr(src, "/images/") &&
        strstr(src, "/JPEGImages/")) {
        w->warned_rule = 1;
        yrep_warn(w->d->rep, "labels of images under JPEGImages/ go to labels/ beside it (%s): "
                  "darknet finds them there, ultralytics does not (--images link puts them "
                  "where both look)", (const char *)w->lt.paths[0].p);
    }
    return (const char *)w->lt.paths[0].p;
}

static int yolo_labels(dsw *w, yerr *err)
{
    for (size_t i = 0; i < w->d->nimg; i++) {
        const dataset_img *m = &w->d->img[i];
        yolo_rows(w, m, &w->text);
        const char *p = w->cfg->images == DATASET_KEEP
                            ? kept_label(w, m, err)
                            : stem_path(w, "labels", w->cfg->split, m, ".txt");
        if (emit_text(w, p, &w->text, FILE_OWN, err) < 0)
            return -1;
    }
    return 0;
}

/* The split's list: one image path a line. */
static int yolo_list(dsw *w, yerr *err)
{
    ybuf list = {0};
    for (size_t i = 0; i < w->d->nimg; i++) {
        const char *p = listed(w, &w->d->img[i]);
        ybuf_puts(&list, p ? p : "");
        ybuf_putc(&list, '\n');
    }
    char name[DATASET_MAX_SPLIT + 8];
    snprintf(name, sizeof name, "%s.txt", w->cfg->split);
    int rc = emit_text(w, pathf(w, name, NULL, NULL), &list, FILE_OWN, err);
    ybuf_free(&list);
    return rc;
}

static void names_text(const names *nm, ybuf *b)
{
    b->len = 0;
    for (int i = 0; i < nm->n; i++) {
        ybuf_puts(b, nm->v[i]);
        ybuf_putc(b, '\n');
    }
}

/* A YAML double-quoted scalar: `"` and `\` escaped, control bytes as \xHH. */
static void yaml_str(ybuf *b, const char *s)
{
    ybuf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            ybuf_putc(b, '\\');
            ybuf_putc(b, c);
        } else if (c < 0x20 || c == 0x7f) {
            char e[8];
            snprintf(e, sizeof e, "\\x%02X", c);
            ybuf_puts(b, e);
        } else {
            ybuf_putc(b, c);
        }
    }
    ybuf_putc(b, '"');
}

/* The list of split `name` if it is there (or is this run's): its file
 * name, else NULL. */
static const char *split_list(dsw *w, const char *name, char out[DATASET_MAX_SPLIT + 8])
{
    snprintf(out, DATASET_MAX_SPLIT + 8, "%s.txt", name);
    struct stat st;
    const char *p = pathf(w, out, NULL, NULL);
    return !strcmp(name, w->cfg->split) || (p && stat(p, &st) == 0) ? out : NULL;
}

/* val is "val", else "valid" (darknet's word). */
static const char *val_list(dsw *w, char out[DATASET_MAX_SPLIT + 8])
{
    const char *v = split_list(w, "val", out);
    return v ? v : split_list(w, "valid", out);
}

/* ultralytics' data.yaml: the lists under `path`, the names as a list. */
static void data_yaml(dsw *w, ybuf *b)
{
    static const char *const key[3] = {"train", "val", "test"};
    char list[DATASET_MAX_SPLIT + 8];
    b->len = 0;
    ybuf_puts(b, MARK ": lists of absolute image paths; labels under labels/\npath: ");
    yaml_str(b, dir_of(w));
    ybuf_putc(b, '\n');
    for (int k = 0; k < 3; k++) {
        const char *l = k == 1 ? val_list(w, list) : split_list(w, key[k], list);
        if (!l)
            continue;
        ybuf_puts(b, key[k]);
        ybuf_puts(b, ": ");
        yaml_str(b, l);
        ybuf_putc(b, '\n');
    }
    char nc[32];
    snprintf(nc, sizeof nc, "nc: %d\nnames: [", w->d->names.n);
    ybuf_puts(b, nc);
    for (int i = 0; i < w->d->names.n; i++) {
        ybuf_puts(b, i ? ", " : "");
        yaml_str(b, w->d->names.v[i]);
    }
    ybuf_puts(b, "]\n");
}

/* darknet's .data: `key = value`, absolute paths. */
static void obj_data(dsw *w, ybuf *b)
{
    char list[DATASET_MAX_SPLIT + 8], line[64];
    b->len = 0;
    snprintf(line, sizeof line, MARK "\nclasses = %d\n", w->d->names.n);
    ybuf_puts(b, line);
    const char *l[2] = {split_list(w, "train", list), NULL}, *key[2] = {"train", "valid"};
    char vlist[DATASET_MAX_SPLIT + 8];
    l[1] = val_list(w, vlist);
    for (int k = 0; k < 2; k++)
        if (l[k]) {
            ybuf_puts(b, key[k]);
            ybuf_puts(b, " = ");
            ybuf_puts(b, dir_of(w));
            ybuf_putc(b, '/');
            ybuf_puts(b, l[k]);
            ybuf_putc(b, '\n');
        }
    ybuf_puts(b, "names = ");
    ybuf_puts(b, dir_of(w));
    ybuf_puts(b, "/obj.names\nbackup = ");
    ybuf_puts(b, dir_of(w));
    ybuf_puts(b, "/backup/\n");
}

static int write_yolo(dsw *w, yerr *err)
{
    if (place_images(w, err) < 0 || yolo_labels(w, err) < 0 || yolo_list(w, err) < 0)
        return -1;
    names_text(&w->d->names, &w->text);
    if (emit_text(w, pathf(w, "obj.names", NULL, NULL), &w->text, FILE_OWN, err) < 0)
        return -1;
    if (w->writing && ydir_make(pathf(w, "backup", NULL, NULL), &w->made_dirs, err) < 0)
        return -1;
    obj_data(w, &w->text);
    if (emit_text(w, pathf(w, "obj.data", NULL, NULL), &w->text, FILE_INDEX, err) < 0)
        return -1;
    data_yaml(w, &w->text);
    return emit_text(w, pathf(w, "data.yaml", NULL, NULL), &w->text, FILE_INDEX, err);
}

/* ---- VOC ---------------------------------------------------------------------- */

static int voc_annotation(dsw *w, const dataset_img *m, const char *folder, yerr *err)
{
    w->vo.n = 0;
    for (size_t k = 0; k < m->nobj; k++) {
        const dataset_obj *o = &w->d->obj[m->obj0 + k];
        const char *name = w->d->names.v[o->cls];
        yobj v = {.cls = o->cls, .name = name, .name_len = strlen(name), .bbox = o->bbox,
                  .difficult = o->difficult, .truncated = o->truncated};
        if (objlist_push(&w->vo, &v) < 0)
            return oom(err);
    }
    const char *fn = w->cfg->images == DATASET_KEEP ? src_of(w, m) : src_of(w, m) + m->base;
    vocw_head h = {folder, fn, "dataset-write", m->w, m->h};
    w->text.len = 0;
    if (vocw_annotation_xml(&w->text, &h, w->vo.v, w->vo.n) < 0)
        return yerr_set(err, YOLO_EIO, "cannot build the XML of %s (out of memory?)", fn);
    return emit_text(w, stem_path(w, "Annotations", NULL, m, ".xml"), &w->text, FILE_OWN, err);
}

static int write_voc(dsw *w, yerr *err)
{
    const char *slash = strrchr(dir_of(w), '/');
    char folder[256];
    snprintf(folder, sizeof folder, "%s", slash && slash[1] ? slash + 1 : dir_of(w));
    if (place_images(w, err) < 0)
        return -1;
    for (size_t i = 0; i < w->d->nimg; i++)
        if (voc_annotation(w, &w->d->img[i], folder, err) < 0)
            return -1;
    ybuf list = {0};
    for (size_t i = 0; i < w->d->nimg; i++) {
        const dataset_img *m = &w->d->img[i];
        ybuf_put(&list, src_of(w, m) + m->base, m->stem);
        ybuf_putc(&list, '\n');
    }
    char name[DATASET_MAX_SPLIT + 8];
    snprintf(name, sizeof name, "%s.txt", w->cfg->split);
    int rc = emit_text(w, pathf(w, "ImageSets", "Main", name), &list, FILE_OWN, err);
    ybuf_free(&list);
    if (rc < 0)
        return -1;
    names_text(&w->d->names, &w->text);
    return emit_text(w, pathf(w, "classes.names", NULL, NULL), &w->text, FILE_OWN, err);
}

/* ---- COCO ----------------------------------------------------------------------- */

static int64_t category_id(const dataset *d, int cls)
{
    return d->cats_rec >= 0 ? d->cats[cls] : (int64_t)cls + 1;
}

static int coco_images(dsw *w, ybuf *b, yerr *err)
{
    ybuf_puts(b, " \"images\": [");
    for (size_t i = 0; i < w->d->nimg; i++) {
        const dataset_img *m = &w->d->img[i];
        const char *fn = w->cfg->images == DATASET_KEEP ? src_of(w, m) : src_of(w, m) + m->base;
        if (!json_utf8_valid((const uint8_t *)fn, strlen(fn)))
            return yerr_set(err, YOLO_EINPUT, "record %ld: key 'image': %s is not UTF-8, "
                            "which a JSON file_name must be", m->rec, src_of(w, m));
        ybuf_puts(b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
        json_put_i64(b, m->coco_id);
        ybuf_puts(b, ", \"file_name\": ");
        json_put_str(b, fn, strlen(fn));
        ybuf_puts(b, ", \"width\": ");
        json_put_i64(b, m->w);
        ybuf_puts(b, ", \"height\": ");
        json_put_i64(b, m->h);
        ybuf_putc(b, '}');
    }
    ybuf_puts(b, "],\n");
    return 0;
}

/* bbox [x, y, w, h] with w = x2 - x1 (one subtraction), the shortest
 * digits that read back as the same doubles. */
static void coco_annotation(dsw *w, ybuf *b, const dataset_img *m, const dataset_obj *o,
                            long id)
{
    double bw = o->bbox.x2 - o->bbox.x1, bh = o->bbox.y2 - o->bbox.y1;
    ybuf_puts(b, id > 1 ? ",\n  {\"id\": " : "\n  {\"id\": ");
    json_put_i64(b, id);
    ybuf_puts(b, ", \"image_id\": ");
    json_put_i64(b, m->coco_id);
    ybuf_puts(b, ", \"category_id\": ");
    json_put_i64(b, category_id(w->d, o->cls));
    ybuf_puts(b, ", \"bbox\": [");
    const double v[4] = {o->bbox.x1, o->bbox.y1, bw, bh};
    for (int k = 0; k < 4; k++) {
        ybuf_puts(b, k ? ", " : "");
        json_put_f64(b, v[k]);
    }
    ybuf_puts(b, "], \"area\": ");
    json_put_f64(b, o->has_area ? o->area : bw * bh);
    ybuf_puts(b, o->iscrowd ? ", \"iscrowd\": 1}" : ", \"iscrowd\": 0}");
}

static void coco_categories(dsw *w, ybuf *b)
{
    ybuf_puts(b, " \"categories\": [");
    for (int c = 0; c < w->d->names.n; c++) {
        ybuf_puts(b, c ? ",\n  {\"id\": " : "\n  {\"id\": ");
        json_put_i64(b, category_id(w->d, c));
        ybuf_puts(b, ", \"name\": ");
        json_put_str(b, w->d->names.v[c], strlen(w->d->names.v[c]));
        ybuf_putc(b, '}');
    }
    ybuf_puts(b, "]}\n");
}

static int write_coco(dsw *w, yerr *err)
{
    for (int c = 0; c < w->d->names.n; c++)
        if (!json_utf8_valid((const uint8_t *)w->d->names.v[c], strlen(w->d->names.v[c])))
            return yerr_set(err, YOLO_EINPUT, "class %d's name is not UTF-8, which JSON needs",
                            c);
    if (place_images(w, err) < 0)
        return -1;
    ybuf *b = &w->text;
    b->len = 0;
    ybuf_puts(b, "{\"info\": {\"description\": \"written by dataset-write\"},\n"
                 " \"licenses\": [],\n");
    if (coco_images(w, b, err) < 0)
        return -1;
    ybuf_puts(b, " \"annotations\": [");
    long id = 0;
    for (size_t i = 0; i < w->d->nimg; i++)
        for (size_t k = 0; k < w->d->img[i].nobj; k++)
            coco_annotation(w, b, &w->d->img[i], &w->d->obj[w->d->img[i].obj0 + k], ++id);
    ybuf_puts(b, "],\n");
    coco_categories(w, b);
    char name[DATASET_MAX_SPLIT + 32];
    snprintf(name, sizeof name, "instances_%s.json", w->cfg->split);
    return emit_text(w, pathf(w, "annotations", name, NULL), b, FILE_OWN, err);
}

/* ---- the two passes ---------------------------------------------------------------- */

static int write_layout(dsw *w, yerr *err)
{
    switch (w->cfg->format) {
    case DATASET_YOLO: return write_yolo(w, err);
    case DATASET_VOC: return write_voc(w, err);
    default: return write_coco(w, err);
    }
}

/* A failed write pass: the files it made removed, newest first, then the
 * folders it made (those left empty). */
static void undo(dsw *w)
{
    ybuf *lists[2] = {&w->made, &w->made_dirs};
    for (int k = 0; k < 2; k++) {
        ybuf *l = lists[k];
        size_t end = l->len;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && l->p[start - 1] != 0)
                start--;
            (k ? rmdir : unlink)((const char *)l->p + start);
            end = start;
        }
    }
}

#define S(n) ((n) == 1 ? "" : "s")

int dataset_write(dataset *d, yerr *err)
{
    dsw w = {.d = d, .cfg = d->cfg};
    yolotxt_init(&w.lt, NULL, &d->names, 0);
    int rc = dataset_abspath(&w.dir, d->cfg->out) < 0 ? oom(err) : 0;
    for (int cut = 1; rc == 0 && cut;) { /* DIR/ and DIR/. are DIR */
        char *p = (char *)w.dir.p;
        size_t n = w.dir.len - 1;
        cut = n > 1 && p[n - 1] == '/' ? 1 : n > 2 && p[n - 1] == '.' && p[n - 2] == '/' ? 2 : 0;
        p[n - cut] = 0;
        w.dir.len -= (size_t)cut;
    }
    if (rc == 0)
        rc = write_layout(&w, err);
    if (rc == 0 && w.conflicts)
        rc = yerr_set(err, YOLO_EUSAGE, "%s%s: --force writes over %s", w.first,
                      w.conflicts > 1 ? " (and other files: " : "",
                      w.conflicts > 1 ? "them)" : "it");
    if (rc == 0) {
        w.writing = 1;
        if ((rc = ydir_make(dir_of(&w), &w.made_dirs, err)) == 0)
            rc = write_layout(&w, err);
        if (rc < 0)
            undo(&w);
    }
    if (rc == 0)
        yrep_warn(d->rep, "split '%s' of %s (%s): %zu image%s, %zu box%s, %d class%s; %ld "
                  "file%s written, %ld image%s %s, %ld file%s already as they are",
                  d->cfg->split, dir_of(&w), (const char *[]){"yolo", "voc", "coco"}[d->cfg->format],
                  d->nimg, S(d->nimg), d->nobj, d->nobj == 1 ? "" : "es", d->names.n,
                  d->names.n == 1 ? "" : "es", w.written, S(w.written), w.placed, S(w.placed),
                  d->cfg->images == DATASET_COPY ? "copied" : "linked", w.same, S(w.same));
    ybuf_free(&w.dir);
    ybuf_free(&w.made);
    ybuf_free(&w.made_dirs);
    ybuf_free(&w.path);
    ybuf_free(&w.text);
    ybuf_free(&w.tmp);
    objlist_free(&w.vo);
    yolotxt_free(&w.lt);
    return rc;
}

void dataset_summary(dataset *d)
{
    if (d->crowd)
        yrep_warn(d->rep, "%ld crowd region%s left out (%s labels have no crowd flag)", d->crowd,
                  d->crowd == 1 ? "" : "s", d->cfg->format == DATASET_VOC ? "VOC" : "YOLO");
    if (d->clipped)
        yrep_warn(d->rep, "%ld box%s clipped to the image", d->clipped,
                  d->clipped == 1 ? "" : "es");
    yrep_summary(d->rep, &d->probs);
}
