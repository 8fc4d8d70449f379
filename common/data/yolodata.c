/* YOLO datasets to records (include/yolo/data/yolodata.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "yolo/base/parse.h"
#include "yolo/data/yaml.h"
#include "yolo/data/yolodata.h"

/* ---- paths -------------------------------------------------------------------- */

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* b = the folder path is in ("." for a bare name), as a C string. */
static int folder_of(ybuf *b, const char *path)
{
    const char *slash = strrchr(path, '/');
    b->len = 0;
    if (!slash)
        ybuf_putc(b, '.');
    else
        ybuf_put(b, path, slash == path ? 1 : (size_t)(slash - path));
    return ybuf_putc(b, 0);
}

/* b = rel under dir (rel itself when it is absolute or dir is "."). */
static int under(ybuf *b, const char *dir, const char *rel)
{
    b->len = 0;
    if (rel[0] != '/' && strcmp(dir, ".") != 0) {
        ybuf_puts(b, dir);
        if (dir[0] && dir[strlen(dir) - 1] != '/')
            ybuf_putc(b, '/');
    }
    ybuf_puts(b, rel);
    return ybuf_putc(b, 0);
}

static int has_ext(const char *path, const char *const *exts)
{
    const char *base = strrchr(path, '/'), *dot;
    dot = strrchr(base ? base + 1 : path, '.');
    for (; dot && *exts; exts++)
        if (strcasecmp(dot + 1, *exts) == 0)
            return 1;
    return 0;
}

/* Adds a source of images: a folder or an image, or a list file (with
 * the folder of its "./" lines, or NULL). */
static int add_src(yolodata *d, const char *path, int list, const char *dot_base, yerr *err)
{
    if (yvec_fit((void **)&d->src, &d->src_cap, d->nsrc + 1, sizeof *d->src) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    yolodata_src s = {strdup(path), list, dot_base ? strdup(dot_base) : NULL};
    if (!s.path || (dot_base && !s.dot_base)) {
        free(s.path);
        free(s.dot_base);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    d->src[d->nsrc++] = s;
    return 0;
}

/* ---- the class list --------------------------------------------------------------- */

/* A list an input names (*nm, emptied here): the reader's when it has
 * none and no --names was given, else it must be the same. */
static int take_names(yolodata *d, names *nm, const char *from, yerr *err)
{
    int same = nm->n == d->classes.n;
    for (int i = 0; same && i < nm->n; i++)
        same = strcmp(nm->v[i], d->classes.v[i]) == 0;
    if (d->cfg->names || same) {
        names_free(nm);
        return 0;
    }
    if (d->classes.n) {
        names_free(nm);
        return yerr_set(err, YOLO_EUSAGE, "%s and %s name different classes: give the list "
                        "to use with --names", d->names_from, from);
    }
    d->classes = *nm;
    *nm = (names){0};
    return (d->names_from = strdup(from)) ? 0 : yerr_set(err, YOLO_EIO, "out of memory");
}

/* A class count an input declares (`classes`, `nc`), at "FILE:LINE". */
static int declare(yolodata *d, long count, const char *at, yerr *err)
{
    if (d->declared && d->declared != count)
        return yerr_set(err, YOLO_EINPUT, "%s: %ld classes, but %s said %ld", at, count,
                        d->declared_at, d->declared);
    if (d->declared)
        return 0;
    d->declared = count;
    return (d->declared_at = strdup(at)) ? 0 : yerr_set(err, YOLO_EIO, "out of memory");
}

/* A class count: a whole number in [1, NAMES_MAX]. */
static int count_of(const char *s, long *n)
{
    char *end;
    errno = 0;
    long v = isdigit((unsigned char)s[0]) ? strtol(s, &end, 10) : 0;
    if (v < 1 || v > NAMES_MAX || errno || *end)
        return -1;
    *n = v;
    return 0;
}

/* ---- darknet's .data file --------------------------------------------------------- */

enum { DK_CLASSES, DK_TRAIN, DK_VALID, DK_NAMES, DK_NKEYS };
static const char *const dk_keys[DK_NKEYS] = {"classes", "train", "valid", "names"};

typedef struct dk_file {
    const char *file;
    char *val[DK_NKEYS];    /* the keys read (others are darknet's own: backup, eval, ...) */
    long line[DK_NKEYS];
} dk_file;

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* One line of a .data file: blank, a comment (# or ;), or key = value. */
static int dk_line(dk_file *k, char *s, long line, yerr *err)
{
    if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    s = trim(s);
    if (!*s || *s == '#' || *s == ';')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: '%.60s' is not key = value", k->file, line, s);
    *eq = 0;
    char *key = trim(s), *val = trim(eq + 1);
    for (int i = 0; i < DK_NKEYS; i++) {
        if (strcmp(key, dk_keys[i]) != 0)
            continue;
        if (k->val[i])
            return yerr_set(err, YOLO_EINPUT, "%s:%ld: '%s' is given twice (first at line %ld)",
                            k->file, line, key, k->line[i]);
        if (!*val)
            return yerr_set(err, YOLO_EINPUT, "%s:%ld: '%s' is empty", k->file, line, key);
        k->line[i] = line;
        return (k->val[i] = strdup(val)) ? 0 : yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 0;
}

static int dk_read(dk_file *k, yerr *err)
{
    FILE *f = fopen(k->file, "r");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", k->file, strerror(errno));
    char buf[YOLODATA_MAX_LINE + 2];
    long line = 0;
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        if (strlen(buf) == sizeof buf - 1 && buf[sizeof buf - 2] != '\n')
            rc = yerr_set(err, YOLO_EINPUT, "%s:%ld: a line longer than %d bytes", k->file,
                          line, YOLODATA_MAX_LINE);
        else
            rc = dk_line(k, buf, line, err);
    }
    if (rc == 0 && ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error", k->file);
    fclose(f);
    return rc;
}

/* A path of the .data file's key i must be there from the current
 * directory, where darknet reads it; when it is only beside the .data file,
 * the message says so. */
static int dk_path(yolodata *d, const dk_file *k, int i, yerr *err)
{
    const char *path = k->val[i];
    if (exists(path))
        return 0;
    int e = errno;
    const char *hint = "";
    if (path[0] != '/' && folder_of(&d->path, k->file) == 0) {
        ybuf beside = {0};
        if (under(&beside, (const char *)d->path.p, path) == 0 && exists((const char *)beside.p))
            hint = " (darknet reads a .data file's paths from the current directory; this one "
                   "is there from the .data file's folder: run from that folder)";
        ybuf_free(&beside);
    }
    return yerr_set(err, YOLO_EIO, "%s:%ld: %s = %s: %s%s", k->file, k->line[i], dk_keys[i],
                    path, strerror(e), hint);
}

static int dk_use(yolodata *d, dk_file *k, yerr *err)
{
    const char *split = d->cfg->split ? d->cfg->split : "train";
    int s = strcmp(split, "train") == 0 ? DK_TRAIN : strcmp(split, "valid") == 0 ? DK_VALID : -1;
    char at[600];
    long n;
    if (s < 0)
        return yerr_set(err, YOLO_EUSAGE, "%s: a .data file has the splits train and valid, "
                        "not '%s' (--split)", k->file, split);
    if (!k->val[s])
        return yerr_set(err, YOLO_EINPUT, "%s: no '%s' key (the list of --split %s)", k->file,
                        dk_keys[s], split);
    snprintf(at, sizeof at, "%.500s:%ld", k->file, k->line[DK_CLASSES]);
    if (k->val[DK_CLASSES] && count_of(k->val[DK_CLASSES], &n) < 0)
        return yerr_set(err, YOLO_EINPUT, "%s: classes = %.40s: not a whole number from 1 to %d",
                        at, k->val[DK_CLASSES], NAMES_MAX);
    if (k->val[DK_CLASSES] && declare(d, n, at, err) < 0)
        return -1;
    if (k->val[DK_NAMES] && !d->cfg->names) {
        names nm;
        if (dk_path(d, k, DK_NAMES, err) < 0 || names_load(&nm, k->val[DK_NAMES], err) < 0 ||
            take_names(d, &nm, k->val[DK_NAMES], err) < 0)
            return -1;
    }
    if (dk_path(d, k, s, err) < 0)
        return -1;
    return add_src(d, k->val[s], !is_dir(k->val[s]), NULL, err);
}

static int read_data_file(yolodata *d, const char *file, yerr *err)
{
    dk_file k = {.file = file};
    int rc = dk_read(&k, err);
    if (rc == 0)
        rc = dk_use(d, &k, err);
    for (int i = 0; i < DK_NKEYS; i++)
        free(k.val[i]);
    return rc;
}

/* ---- ultralytics' data.yaml ------------------------------------------------------- */

typedef struct yml_file {
    const char *file;
    const yaml_node *root;
    ybuf dir;               /* the dataset's folder: `path`, or the file's */
} yml_file;

static int yml_error(const yml_file *y, long line, const char *what, yerr *err)
{
    return yerr_set(err, YOLO_EINPUT, "%s:%ld: %s", y->file, line, what);
}

/* The dataset's folder: `path` (absolute; relative, from the current
 * directory when it is there, else from the file's folder), or without it
 * the file's folder. */
static int yml_root(yml_file *y, yerr *err)
{
    long line = 1;
    const yaml_node *p = yaml_get(y->root, "path", &line);
    if (p && p->kind != YAML_NULL && p->kind != YAML_SCALAR)
        return yml_error(y, line, "'path' must be a folder's path", err);
    const char *path = p && p->kind == YAML_SCALAR ? p->text : NULL;
    ybuf here = {0};
    int rc = folder_of(&here, y->file);
    if (rc == 0 && path && path[0] != '/' && !exists(path))
        rc = under(&y->dir, (const char *)here.p, path);
    else if (rc == 0)
        rc = under(&y->dir, ".", path ? path : (const char *)here.p);
    ybuf_free(&here);
    return rc < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 0;
}

/* One path of the split: under the dataset's folder (a "../" path that is
 * not there, without its "../"); a folder, or a list file. */
static int yml_split_path(yolodata *d, yml_file *y, const yaml_node *v, const char *key,
                          yerr *err)
{
    char msg[200];
    if (v->kind != YAML_SCALAR) {
        snprintf(msg, sizeof msg, "'%s' must be a path or a list of paths", key);
        return yml_error(y, v->line, msg, err);
    }
    const char *dir = (const char *)y->dir.p;
    if (under(&d->path, dir, v->text) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (!exists((const char *)d->path.p) && strncmp(v->text, "../", 3) == 0 &&
        under(&d->path, dir, v->text + 3) == 0 && !exists((const char *)d->path.p))
        under(&d->path, dir, v->text);   /* name the path as written */
    const char *path = (const char *)d->path.p;
    if (!exists(path))
        return yerr_set(err, YOLO_EIO, "%s:%ld: %s: %s: %s", y->file, v->line, key, path,
                        strerror(errno));
    if (is_dir(path))
        return add_src(d, path, 0, NULL, err);
    ybuf base = {0};
    int rc = folder_of(&base, path) < 0 ? yerr_set(err, YOLO_EIO, "out of memory")
                                        : add_src(d, path, 1, (const char *)base.p, err);
    ybuf_free(&base);
    return rc;
}

static int yml_split(yolodata *d, yml_file *y, yerr *err)
{
    const char *split = d->cfg->split ? d->cfg->split : "train";
    if (strcmp(split, "train") != 0 && strcmp(split, "val") != 0 && strcmp(split, "test") != 0)
        return yerr_set(err, YOLO_EUSAGE, "%s: a data.yaml has the splits train, val and test, "
                        "not '%s' (--split)", y->file, split);
    long line;
    const yaml_node *v = yaml_get(y->root, split, &line);
    if (!v || v->kind == YAML_NULL)
        return yerr_set(err, YOLO_EINPUT, "%s: no '%s' (the images of --split %s)", y->file,
                        split, split);
    if (v->kind != YAML_SEQ)
        return yml_split_path(d, y, v, split, err);
    for (size_t i = 0; i < v->n; i++)
        if (yml_split_path(d, y, &v->items[i], split, err) < 0)
            return -1;
    return 0;
}

/* Adds one name of the data.yaml's list, checked. */
static int yml_name(names *nm, const yml_file *y, const yaml_node *v, yerr *err)
{
    if (v->kind != YAML_SCALAR || !v->text[0])
        return yml_error(y, v->line, "a class name must be a word, not empty or a list", err);
    size_t len = strlen(v->text);
    if (len > NAMES_MAX_LEN)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: a class name longer than %d bytes", y->file,
                        v->line, NAMES_MAX_LEN);
    if (names_find(nm, v->text, len) >= 0)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: class name '%s' appears twice", y->file,
                        v->line, v->text);
    return names_add(nm, v->text, len) < 0 ? yml_error(y, v->line, "too many class names", err)
                                            : 0;
}

/* `names: {0: a, 1: b}`: keys 0..n-1, each once, in any order. */
static int yml_name_map(names *nm, const yml_file *y, const yaml_node *m, yerr *err)
{
    const yaml_node **by = calloc(m->n ? m->n : 1, sizeof *by);
    if (!by)
        return yerr_set(err, YOLO_EIO, "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        char *end, msg[200];
        const char *key = m->keys[i].text;
        long k = isdigit((unsigned char)key[0]) ? strtol(key, &end, 10) : -1;
        if (k < 0 || *end || (size_t)k >= m->n || by[k]) {
            snprintf(msg, sizeof msg, "names: the key '%.40s' is not a class index from 0 to "
                     "%zu", key, m->n - 1);
            rc = yml_error(y, m->keys[i].line, msg, err);
        } else {
            by[k] = &m->items[i];
        }
    }
    for (size_t k = 0; rc == 0 && k < m->n; k++)
        rc = yml_name(nm, y, by[k], err);
    free(by);
    return rc;
}

/* The class list: `names` (a list, or a map of indices), or class_0 ...
 * for `nc` alone; and `nc` declared. */
static int yml_names(yolodata *d, const yml_file *y, yerr *err)
{
    long line = 1, nc_line = 1, n = 0;
    const yaml_node *nm = yaml_get(y->root, "names", &line);
    const yaml_node *nc = yaml_get(y->root, "nc", &nc_line);
    char at[600];
    snprintf(at, sizeof at, "%.500s:%ld", y->file, nc_line);
    if (nc && nc->kind != YAML_NULL && (nc->kind != YAML_SCALAR || count_of(nc->text, &n) < 0))
        return yml_error(y, nc_line, "nc is not a whole number from 1 to 10000", err);
    if (n && declare(d, n, at, err) < 0)
        return -1;
    if (d->cfg->names || ((!nm || nm->kind == YAML_NULL) && !n))
        return 0;
    names list = {0};
    int rc = 0;
    if (!nm || nm->kind == YAML_NULL)
        for (long i = 0; rc == 0 && i < n; i++) {
            char name[32];
            snprintf(name, sizeof name, "class_%ld", i);
            rc = names_add(&list, name, strlen(name)) < 0 ? yerr_set(err, YOLO_EIO, "out of memory")
                                                           : 0;
        }
    else if (nm->kind == YAML_SEQ)
        for (size_t i = 0; rc == 0 && i < nm->n; i++)
            rc = yml_name(&list, y, &nm->items[i], err);
    else if (nm->kind == YAML_MAP)
        rc = yml_name_map(&list, y, nm, err);
    else
        rc = yml_error(y, line, "names must be a list [a, b] or a map {0: a, 1: b}", err);
    if (rc == 0 && list.n == 0)
        rc = yml_error(y, line, "names is empty", err);
    if (rc < 0) {
        names_free(&list);
        return -1;
    }
    return take_names(d, &list, y->file, err);
}

static int read_yaml(yolodata *d, const char *file, yerr *err)
{
    yaml_node root;
    if (yaml_load(&root, file, err) < 0)
        return -1;
    yml_file y = {.file = file, .root = &root};
    int rc;
    if (root.kind != YAML_MAP)
        rc = yml_error(&y, root.line, "not a map of keys (path, train, val, names, ...)", err);
    else if ((rc = yml_root(&y, err)) == 0 && (rc = yml_names(d, &y, err)) == 0)
        rc = yml_split(d, &y, err);
    ybuf_free(&y.dir);
    yaml_free(&root);
    return rc;
}

/* ---- the reader ------------------------------------------------------------------- */

static int add_input(yolodata *d, const char *in, yerr *err)
{
    static const char *const data_ext[] = {"data", NULL}, *const yaml_ext[] = {"yaml", "yml", NULL},
                             *const image_ext[] = {"jpg", "jpeg", "png", "bmp", NULL};
    struct stat st;
    if (stat(in, &st) < 0)
        return yerr_set(err, YOLO_EIO, "%s: %s", in, strerror(errno));
    if (S_ISDIR(st.st_mode) || has_ext(in, image_ext))
        return add_src(d, in, 0, NULL, err);
    if (has_ext(in, data_ext))
        return read_data_file(d, in, err);
    if (has_ext(in, yaml_ext))
        return read_yaml(d, in, err);
    ybuf base = {0};
    int ultra = d->cfg->list_rule == YOLODATA_LIST_ULTRALYTICS;
    int rc = ultra && folder_of(&base, in) < 0
                 ? yerr_set(err, YOLO_EIO, "out of memory")
                 : add_src(d, in, 1, ultra ? (const char *)base.p : NULL, err);
    ybuf_free(&base);
    return rc;
}

/* Opens the next source of images into l: a list to read, or a folder's
 * images (rep: where a folder without any is warned about). */
static int open_source(imglist *l, const yrep *rep, const yolodata_src *s, yerr *err)
{
    if (s->list)
        return imglist_read_list(l, s->path, s->dot_base, err);
    size_t before = l->n;
    if (imglist_add(l, s->path, err) < 0)
        return -1;
    if (l->n == before && is_dir(s->path))
        yrep_warn(rep, "%s: no images in it (*.jpg, *.jpeg, *.png, *.bmp, any case)", s->path);
    return 0;
}

/* The images the sources list, in *total: a listing of its own that reads
 * no image and says nothing (the pass that writes the records warns), so
 * that --shard's contiguous part can be told before the first record. 0, or
 * -1 as that pass would stop (a list that cannot be opened; with strict, a
 * problem in the listing). */
static int count_listed(const yolodata *d, size_t *total, yerr *err)
{
    imglist l;
    const char *path;
    size_t cur = 0;
    int rc;
    imglist_init(&l, NULL, d->cfg->strict);
    *total = 0;
    while ((rc = imglist_next(&l, &path, err)) >= 0) {
        if (rc == 1)
            ++*total;
        else if (cur == d->nsrc)
            break;
        else if (open_source(&l, NULL, &d->src[cur++], err) < 0)
            rc = -1;
        if (rc < 0)
            break;
    }
    imglist_free(&l);
    return rc < 0 ? -1 : 0;
}

int yolodata_open(yolodata *d, const yrep *rep, const yolodata_cfg *cfg, char *const *inputs,
                  int ninputs, yerr *err)
{
    memset(d, 0, sizeof *d);
    d->rep = rep;
    d->cfg = cfg;
    imglist_init(&d->images, rep, cfg->strict);
    yolotxt_init(&d->labels, rep, &d->classes, cfg->strict);
    if (ninputs < 1)
        return yerr_set(err, YOLO_EUSAGE, "no dataset given: a .data or data.yaml file, a list "
                                          "file or a folder (see --help)");
    if (cfg->names && names_load(&d->classes, cfg->names, err) < 0)
        return -1;
    if (cfg->names && !(d->names_from = strdup(cfg->names)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (int i = 0; i < ninputs; i++)
        if (add_input(d, inputs[i], err) < 0)
            return -1;
    if (!d->classes.n)
        return yerr_set(err, YOLO_EUSAGE, "no class names: a list file or a folder names none; "
                                          "give them with --names FILE");
    if (d->declared && d->declared != d->classes.n)
        return yerr_set(err, YOLO_EINPUT, "%s: %ld classes, but %s names %d", d->declared_at,
                        d->declared, d->names_from, d->classes.n);
    d->first = 0;
    d->end = SIZE_MAX;
    size_t total;
    if (cfg->shard_n > 1 && count_listed(d, &total, err) < 0)
        return -1;
    if (cfg->shard_n > 1)
        parse_shard_range(cfg->shard_k, cfg->shard_n, total, &d->first, &d->end);
    return 0;
}

int yolodata_next(yolodata *d, rec *r, yerr *err)
{
    for (;;) {
        const char *path;
        int64_t w, h;
        int rc = imglist_next(&d->images, &path, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (d->cur == d->nsrc)
                return 0;
            if (open_source(&d->images, d->rep, &d->src[d->cur++], err) < 0)
                return -1;
            continue;
        }
        size_t at = d->listed++;
        if (at >= d->end)
            return 0;   /* the shard's part is done: the rest need not be listed */
        if (at < d->first)
            continue;
        if ((rc = imglist_record(&d->images, path, r, err)) < 0)
            return -1;
        if (rc == 0)
            continue;
        if (rec_get_i64(r, "width", &w, err) < 0 || rec_get_i64(r, "height", &h, err) < 0 ||
            (rc = yolotxt_read(&d->labels, path, (int)w, (int)h, err)) < 0)
            return -1;
        if (rc == 1)
            return rec_set_objects(r, d->labels.objs.v, d->labels.objs.n, err) < 0 ? -1 : 1;
    }
}

void yolodata_summary(yolodata *d)
{
    imglist_summary(&d->images);
    yolotxt_summary(&d->labels);
}

void yolodata_close(yolodata *d)
{
    for (size_t i = 0; i < d->nsrc; i++) {
        free(d->src[i].path);
        free(d->src[i].dot_base);
    }
    free(d->src);
    imglist_free(&d->images);
    yolotxt_free(&d->labels);
    names_free(&d->classes);
    free(d->names_from);
    free(d->declared_at);
    ybuf_free(&d->path);
    memset(d, 0, sizeof *d);
}
