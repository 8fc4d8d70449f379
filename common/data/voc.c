#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "yolo/base/parse.h"
#include "yolo/image/image.h"
#include "yolo/data/voc.h"

/* What the closing line calls each kind of problem. */
static const yrep_kind problem_kinds[VOC_NPROBLEMS] = {
    [VOC_P_XML] = {"image skipped (bad annotation)", "images skipped (bad annotation)"},
    [VOC_P_NOANN] = {"image skipped (annotation file missing)",
                     "images skipped (annotation file missing)"},
    [VOC_P_NOIMG] = {"image skipped (image file missing or unreadable)",
                     "images skipped (image file missing or unreadable)"},
    [VOC_P_DUP] = {"split line listed again, read once", "split lines listed again, read once"},
    [VOC_P_UNKNOWN] = {"unknown class name skipped", "unknown class names skipped"},
    [VOC_P_CLIP] = {"box clipped", "boxes clipped"},
    [VOC_P_DROP] = {"box dropped", "boxes dropped"},
};

static const char *const coord_names[4] = {"xmin", "ymin", "xmax", "ymax"};

void voc_summary(voc_reader *p) { yrep_summary(p->rep, &p->probs); }

/* ---- paths --------------------------------------------------------------- */

/* b = dir/name[0, len)ext as a C string; name alone when it is absolute or
 * dir is empty. 0, or -1 out of memory. */
static int join(ybuf *b, const char *dir, const char *name, size_t len, const char *ext)
{
    b->len = 0;
    if (name[0] != '/' && dir[0]) {
        ybuf_puts(b, dir);
        if (dir[strlen(dir) - 1] != '/')
            ybuf_putc(b, '/');
    }
    ybuf_put(b, name, len);
    ybuf_puts(b, ext);
    return ybuf_putc(b, 0);
}

static int join2(ybuf *b, const char *dir, const char *name)
{
    return join(b, dir, name, strlen(name), "");
}

/* The devkit an annotation file given by itself belongs to: the folder
 * above its own (devkit/Annotations/x.xml), ".." for a bare file name, ""
 * (the working directory) for Annotations/x.xml. */
static int devkit_of(ybuf *b, const char *xml)
{
    const char *slash = strrchr(xml, '/');
    if (!slash)
        return join2(b, "", "..");
    size_t dl = (size_t)(slash - xml); /* its folder is xml[0, dl) */
    while (dl > 0 && xml[dl - 1] == '/')
        dl--;
    if (dl == 0)
        return join2(b, "", "/");
    size_t cs = dl; /* where the folder's own name starts */
    while (cs > 0 && xml[cs - 1] != '/')
        cs--;
    size_t cl = dl - cs;
    if ((cl == 1 && xml[cs] == '.') || (cl == 2 && xml[cs] == '.' && xml[cs + 1] == '.'))
        return join(b, "", xml, dl, "/..");
    while (cs > 0 && xml[cs - 1] == '/')
        cs--;
    if (cs == 0)
        return join2(b, "", xml[0] == '/' ? "/" : "");
    return join(b, "", xml, cs, "");
}

/* ---- the class list ----------------------------------------------------------- */

#define VOC_NAMES_SHOWN 5   /* names not in the list that the closing error names */

static int regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Keeps the two names first in order among those offered, for a message
 * that reads the same whatever order readdir gives. */
static void keep_first(char first[2][256], const char *name)
{
    if (!first[0][0] || strcmp(name, first[0]) < 0) {
        memcpy(first[1], first[0], sizeof first[1]);
        snprintf(first[0], sizeof first[0], "%s", name);
    } else if (!first[1][0] || strcmp(name, first[1]) < 0) {
        snprintf(first[1], sizeof first[1], "%s", name);
    }
}

/* The class list devkit folder dir holds: dir/classes.names, else its one
 * *.names file (hidden files left out). 1 and its path in *out; 0 when it
 * has none (or dir cannot be read: voc_list_build says why); -1 when it has
 * more than one (YOLO_EUSAGE) or memory runs out. */
static int devkit_names(const char *dir, ybuf *out, yerr *err)
{
    if (join2(out, dir, "classes.names") < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (regular_file((const char *)out->p))
        return 1;
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d)
        return 0;
    char first[2][256] = {"", ""};
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 6 || strcasecmp(e->d_name + len - 6, ".names") != 0 ||
            join2(out, dir, e->d_name) < 0 || !regular_file((const char *)out->p))
            continue;
        keep_first(first, e->d_name);
        n++;
    }
    closedir(d);
    if (out->oom)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (n > 1)
        return yerr_set(err, YOLO_EUSAGE, "%s: %ld class lists (%s, %s%s) and no classes.names: "
                        "name the one to use with --classes", dir[0] ? dir : ".", n, first[0],
                        first[1], n > 2 ? ", ..." : "");
    return n == 1 && join2(out, dir, first[0]) < 0 ? yerr_set(err, YOLO_EIO, "out of memory")
                                                   : (int)n;
}

/* The first devkit's list becomes the reader's: path, or VOC's 20 (NULL). */
static int take_list(voc_reader *p, const char *path, yerr *err)
{
    if (!path)
        return names_voc(&p->classes, err);
    if (!(p->found = strdup(path)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    return names_load(&p->classes, path, err);
}

/* Whether another devkit's list (path, or NULL for none) is the one taken:
 * the same file, or one with the same names in the same order. */
static int same_list(const voc_reader *p, const char *path, int *same, yerr *err)
{
    names other;
    *same = !path == !p->found && (!path || strcmp(path, p->found) == 0);
    if (*same || !path || !p->found)
        return 0;
    if (names_load(&other, path, err) < 0)
        return -1;
    *same = other.n == p->classes.n;
    for (int i = 0; *same && i < other.n; i++)
        *same = strcmp(other.v[i], p->classes.v[i]) == 0;
    names_free(&other);
    return 0;
}

/* The devkit input i belongs to, into b: the folder itself, or FILE.xml's.
 * 1, 0 when the input is not there (voc_list_build says so), -1 no memory. */
static int devkit_dir(ybuf *b, const char *input)
{
    struct stat st;
    if (stat(input, &st) < 0)
        return 0;
    return (S_ISDIR(st.st_mode) ? join2(b, "", input) : devkit_of(b, input)) < 0 ? -1 : 1;
}

/* Reads one devkit's list: the reader's when it is the first (first.len
 * 0), else compared with it (*same). has: whether dir holds one, in path. */
static int devkit_list(voc_reader *p, const char *dir, ybuf *first, ybuf *path, int *has,
                       int *same, yerr *err)
{
    if ((*has = devkit_names(dir, path, err)) < 0)
        return -1;
    const char *f = *has ? (const char *)path->p : NULL;
    if (first->len)
        return same_list(p, f, same, err);
    if (take_list(p, f, err) < 0)
        return -1;
    return join2(first, "", dir) < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 0;
}

/* Without --classes: every input's devkit must hold the same list, or none
 * (then VOC's 20); the first one's is taken. A folder read for the input
 * before is not read again. */
static int find_classes(voc_reader *p, char *const *inputs, int ninputs, yerr *err)
{
    ybuf dir = {0}, last = {0}, first = {0}, path = {0};
    int rc = 0, same = 1, has = 0;
    for (int i = 0; rc == 0 && same && i < ninputs; i++) {
        int at = devkit_dir(&dir, inputs[i]);
        if (at < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory");
        else if (at == 1 && !(last.len && strcmp((const char *)dir.p, (const char *)last.p) == 0))
            rc = devkit_list(p, (const char *)dir.p, &first, &path, &has, &same, err);
        if (rc == 0 && at == 1 && join2(&last, "", (const char *)dir.p) < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory");
    }
    if (rc == 0 && !same)
        rc = yerr_set(err, YOLO_EUSAGE, "the inputs' devkits hold different class lists (%s "
                      "in %s, %s in %s): name the one to use with --classes",
                      p->found ? p->found : "none", first.p[0] ? (const char *)first.p : ".",
                      has ? (const char *)path.p : "none", dir.p[0] ? (const char *)dir.p : ".");
    else if (rc == 0 && !first.len)
        rc = names_voc(&p->classes, err);
    ybuf_free(&dir);
    ybuf_free(&last);
    ybuf_free(&first);
    ybuf_free(&path);
    return rc;
}

/* An object whose name is not in the list: counted by name. 1 the first of
 * its name, 0 another, -1 out of memory. A name that does not fit the list
 * of names (too long, or too many names) is counted only in the total, and
 * warned about each time. */
static int tally_unknown(voc_reader *p, const char *name, size_t len, yerr *err)
{
    int k = names_find(&p->unknown, name, len);
    if (k >= 0) {
        p->unknown_n[k]++;
        return 0;
    }
    if (yvec_fit((void **)&p->unknown_n, &p->unknown_cap, (size_t)p->unknown.n + 1,
                 sizeof *p->unknown_n) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (names_add(&p->unknown, name, len) == 0)
        p->unknown_n[p->unknown.n - 1] = 1;
    return 1;
}

/* "'cat2' (12), 'dog' (3), and 4 boxes of other classes": the names not in
 * the list that left out most objects, in that order (the first seen among
 * equals), into s[size]. */
static void most_unknown(const voc_reader *p, long dropped, char *s, size_t size)
{
    int shown[VOC_NAMES_SHOWN], ns = 0;
    size_t n = 0;
    long rest = dropped;
    s[0] = 0;
    for (; ns < VOC_NAMES_SHOWN && n < size; ns++) {
        int best = -1;
        for (int k = 0; k < p->unknown.n; k++) {
            int taken = 0;
            for (int j = 0; j < ns; j++)
                taken |= shown[j] == k;
            if (!taken && (best < 0 || p->unknown_n[k] > p->unknown_n[best]))
                best = k;
        }
        if (best < 0)
            break;
        shown[ns] = best;
        rest -= p->unknown_n[best];
        n += (size_t)snprintf(s + n, size - n, "%s'%.40s' (%ld)", ns ? ", " : "",
                              p->unknown.v[best], p->unknown_n[best]);
    }
    if (rest > 0 && n < size)
        snprintf(s + n, size - n, "%sand %ld boxes of other classes", ns ? ", " : "", rest);
}

int voc_check_classes(const voc_reader *p, yerr *err)
{
    long dropped = p->probs.count[VOC_P_UNKNOWN], kept = p->known;
    if (dropped <= kept)
        return 0;
    char seen[600], of[64] = "";
    most_unknown(p, dropped, seen, sizeof seen);
    if (kept)
        snprintf(of, sizeof of, "%ld of the %ld", dropped, dropped + kept);
    else
        snprintf(of, sizeof of, "all %ld", dropped);
    const char *list = p->cfg->classes ? p->cfg->classes : p->found;
    return yerr_set(err, YOLO_EINPUT, "the class list (%s) leaves out %s boxes read%s; the "
                    "classes not in it: %s. Name the dataset's list with --classes",
                    list ? list : "VOC's 20 names: no --classes, and no .names file in the devkit",
                    of, kept ? ", more than half" : "", seen);
}

/* ---- the list of images ---------------------------------------------------- */

static int push_item(voc_list *l, const char *id, size_t idlen, const char *xml, size_t src,
                     long line, yerr *err)
{
    if ((long)l->n >= VOC_MAX_IMAGES)
        return yerr_set(err, YOLO_EINPUT, "%s: more than %ld images in one run", xml,
                        VOC_MAX_IMAGES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        voc_item *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return yerr_set(err, YOLO_EIO, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    voc_item it = {strndup(id, idlen), strdup(xml), src, line, 0};
    if (!it.id || !it.xml) {
        free(it.id);
        free(it.xml);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    l->v[l->n++] = it;
    return 0;
}

static void free_item(voc_item *it)
{
    free(it->id);
    free(it->xml);
}

static int cmp_xml(const void *a, const void *b)
{
    return strcmp(((const voc_item *)a)->xml, ((const voc_item *)b)->xml);
}

/* Every *.xml of the folder ann (not hidden ones: "._x.xml" is macOS's
 * resource fork, not an annotation), sorted by name. */
static int list_dir(voc_list *l, voc_reader *p, const char *ann, size_t src, yerr *err)
{
    DIR *d = opendir(ann);
    if (!d)
        return yerr_set(err, YOLO_EIO, "%s: %s (the annotations folder: see --annotations)", ann,
                        strerror(errno));
    size_t start = l->n;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 4 || strcasecmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        if (join2(&p->path, ann, e->d_name) < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory");
        else
            rc = push_item(l, e->d_name, len - 4, (const char *)p->path.p, src, 0, err);
        errno = 0;
    }
    if (rc == 0 && errno)
        rc = yerr_set(err, YOLO_EIO, "%s: %s", ann, strerror(errno));
    closedir(d);
    if (l->n > start)
        qsort(l->v + start, l->n - start, sizeof *l->v, cmp_xml);
    return rc;
}

static int cmp_id_line(const void *a, const void *b)
{
    const voc_item *x = *(voc_item *const *)a, *y = *(voc_item *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Marks items [start, n) listed a second time (dup_of: the first line). */
static int mark_dups(voc_list *l, size_t start, yerr *err)
{
    size_t m = l->n - start;
    voc_item **ord = malloc((m ? m : 1) * sizeof *ord);
    if (!ord)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; i < m; i++)
        ord[i] = &l->v[start + i];
    qsort(ord, m, sizeof *ord, cmp_id_line);
    for (size_t i = 1; i < m; i++)
        if (strcmp(ord[i]->id, ord[i - 1]->id) == 0)
            ord[i]->dup_of = ord[i - 1]->dup_of ? ord[i - 1]->dup_of : ord[i - 1]->line;
    free(ord);
    return 0;
}

/* Warns about the split's repeated lines in file order, then drops them. */
static int drop_dups(voc_list *l, voc_reader *p, size_t start, const char *split, yerr *err)
{
    if (mark_dups(l, start, err) < 0)
        return -1;
    for (size_t i = start; i < l->n; i++)
        if (l->v[i].dup_of &&
            yrep_problem(p->rep, &p->probs, VOC_P_DUP, "read once", err,
                         "%s:%ld: '%s' is listed again (first at line %ld)", split, l->v[i].line,
                         l->v[i].id, l->v[i].dup_of) < 0)
            return -1;
    size_t w = start;
    for (size_t i = start; i < l->n; i++) {
        if (l->v[i].dup_of)
            free_item(&l->v[i]);
        else
            l->v[w++] = l->v[i];
    }
    l->n = w;
    return 0;
}

/* Adds the images one split line names. The first word is the id, so class
 * splits ("000005 -1") read too; a byte-order mark, trailing spaces and CRLF
 * are allowed, and blank lines skipped. */
static int split_line(voc_list *l, voc_reader *p, char *s, long line, const char *ann,
                      size_t src, yerr *err)
{
    if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = 0;
    while (s[len] && !isspace((unsigned char)s[len]))
        len++;
    if (len == 0)
        return 0;
    if (join(&p->path, ann, s, len, ".xml") < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    return push_item(l, s, len, (const char *)p->path.p, src, line, err);
}

static int read_split(voc_list *l, voc_reader *p, const char *split, const char *ann,
                      size_t src, yerr *err)
{
    FILE *f = fopen(split, "r");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s (the split file of --split)", split,
                        strerror(errno));
    char buf[VOC_MAX_LINE + 2];
    long line = 0;
    size_t start = l->n;
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        size_t len = strlen(buf);
        line++;
        if (len == sizeof buf - 1 && buf[len - 1] != '\n')
            rc = yerr_set(err, YOLO_EINPUT, "%s:%ld: a line longer than %d bytes", split, line,
                          VOC_MAX_LINE);
        else
            rc = split_line(l, p, buf, line, ann, src, err);
    }
    if (rc == 0 && ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error", split);
    fclose(f);
    return rc < 0 ? -1 : drop_dups(l, p, start, split, err);
}

/* Sets the images folder of input src: under dir, or absolute. */
static int set_images(voc_list *l, voc_reader *p, const char *dir, yerr *err)
{
    if (join2(&p->path, dir, p->cfg->img_dir) < 0 ||
        !(l->images[l->nimages] = strdup((const char *)p->path.p)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    return (int)l->nimages++;
}

/* A devkit folder: its split file, or every annotation in it. */
static int add_devkit(voc_list *l, voc_reader *p, const char *dir, yerr *err)
{
    const voc_cfg *g = p->cfg;
    ybuf ann = {0}, split = {0};
    int src = set_images(l, p, dir, err), rc = 0;
    if (src < 0)
        return -1;
    if (join2(&ann, dir, g->ann_dir) < 0 ||
        (g->split && (join(&p->path, "ImageSets/Main", g->split, strlen(g->split), ".txt") < 0 ||
                      join2(&split, dir, (const char *)p->path.p) < 0)))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    else if (!g->split)
        rc = list_dir(l, p, (const char *)ann.p, (size_t)src, err);
    else if (!(l->splits[src] = strdup((const char *)split.p)))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    else
        rc = read_split(l, p, l->splits[src], (const char *)ann.p, (size_t)src, err);
    ybuf_free(&ann);
    ybuf_free(&split);
    return rc;
}

static int add_xml(voc_list *l, voc_reader *p, const char *xml, yerr *err)
{
    ybuf dir = {0};
    int src = devkit_of(&dir, xml) < 0 ? yerr_set(err, YOLO_EIO, "out of memory")
                                       : set_images(l, p, (const char *)dir.p, err);
    ybuf_free(&dir);
    if (src < 0)
        return -1;
    const char *base = strrchr(xml, '/');
    base = base ? base + 1 : xml;
    size_t len = strlen(base);
    if (len > 4 && strcasecmp(base + len - 4, ".xml") == 0)
        len -= 4;
    return push_item(l, base, len, xml, (size_t)src, 0, err);
}

/* Keeps part k of n of the items (parse_shard_range: contiguous). */
static void shard(voc_list *l, long k, long n)
{
    size_t lo, hi;
    parse_shard_range(k, n, l->n, &lo, &hi);
    for (size_t i = 0; i < l->n; i++)
        if (i < lo || i >= hi)
            free_item(&l->v[i]);
    if (hi > lo)
        memmove(l->v, l->v + lo, (hi - lo) * sizeof *l->v);
    l->n = hi - lo;
}

int voc_list_build(voc_list *l, voc_reader *p, char *const *inputs, int ninputs, yerr *err)
{
    memset(l, 0, sizeof *l);
    if (ninputs < 1)
        return yerr_set(err, YOLO_EUSAGE, "no devkit folder or annotation file given "
                                          "(see --help)");
    l->images = calloc((size_t)ninputs, sizeof *l->images);
    l->splits = calloc((size_t)ninputs, sizeof *l->splits);
    if (!l->images || !l->splits)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (int i = 0; i < ninputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) < 0)
            return yerr_set(err, YOLO_EIO, "%s: %s", inputs[i], strerror(errno));
        if ((S_ISDIR(st.st_mode) ? add_devkit(l, p, inputs[i], err)
                                 : add_xml(l, p, inputs[i], err)) < 0)
            return -1;
    }
    shard(l, p->cfg->shard_k, p->cfg->shard_n);
    return 0;
}

void voc_list_free(voc_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free_item(&l->v[i]);
    for (size_t i = 0; i < l->nimages; i++) {
        free(l->images[i]);
        free(l->splits[i]);
    }
    free(l->v);
    free(l->images);
    free(l->splits);
    memset(l, 0, sizeof *l);
}

/* ---- one annotation file ----------------------------------------------------- */

/* The first error libxml2 reports while parsing one file (later ones are
 * mostly consequences of it). */
typedef struct xml_first {
    int set, line;
    char msg[256];
} xml_first;

static void on_xml_error(void *data, xmlErrorPtr e)
{
    xml_first *f = ((xmlParserCtxtPtr)data)->_private;
    if (!f || f->set || e->level < XML_ERR_ERROR)
        return;
    f->set = 1;
    f->line = e->line;
    snprintf(f->msg, sizeof f->msg, "%s", e->message ? e->message : "error");
    size_t n = strlen(f->msg);
    while (n && isspace((unsigned char)f->msg[n - 1]))
        f->msg[--n] = 0;
}

int voc_reader_open(voc_reader *p, const yrep *rep, const voc_cfg *cfg, char *const *inputs,
                    int ninputs, yerr *err)
{
    memset(p, 0, sizeof *p);
    p->rep = rep;
    p->cfg = cfg;
    p->probs = (yrep_problems){.kinds = problem_kinds, .n = VOC_NPROBLEMS, .strict = cfg->strict};
    if ((cfg->classes ? names_load(&p->classes, cfg->classes, err)
                      : find_classes(p, inputs, ninputs, err)) < 0)
        return -1;
    if (p->found)
        yrep_warn(rep, "class list: %s (%d name%s), the devkit's, as no --classes was given",
                  p->found, p->classes.n, p->classes.n == 1 ? "" : "s");
    xmlInitParser();
    xmlParserCtxtPtr x = xmlNewParserCtxt();
    if (!x)
        return yerr_set(err, YOLO_EIO, "out of memory");
    x->sax->serror = on_xml_error;
    p->xml = x;
    return 0;
}

void voc_reader_close(voc_reader *p)
{
    if (p->xml)
        xmlFreeParserCtxt(p->xml);
    names_free(&p->classes);
    names_free(&p->unknown);
    free(p->found);
    free(p->unknown_n);
    ybuf_free(&p->file);
    ybuf_free(&p->path);
    objlist_free(&p->objs);
    p->xml = NULL;
}

/* Reads the annotation file into p->file. 1 read, 0 skipped, -1 stop. */
static int load(voc_reader *p, const voc_list *l, const voc_item *it, yerr *err)
{
    int fd = open(it->xml, O_RDONLY);
    if (fd < 0 && errno == ENOENT && it->line)
        return yrep_problem(p->rep, &p->probs, VOC_P_NOANN, "image skipped", err, "%s:%ld: no annotation file %s",
                            l->splits[it->src], it->line, it->xml);
    if (fd < 0)
        return yerr_set(err, YOLO_EIO, "%s: %s", it->xml, strerror(errno));
    struct stat st;
    int rc = 1;
    p->file.len = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        rc = yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err, "%s: not a regular file", it->xml);
    while (rc == 1 && p->file.len <= VOC_MAX_XML_BYTES) {
        if (ybuf_reserve(&p->file, 1 << 16) < 0) {
            rc = yerr_set(err, YOLO_EIO, "out of memory");
            break;
        }
        ssize_t k = read(fd, p->file.p + p->file.len, 1 << 16);
        if (k == 0)
            break;
        if (k > 0)
            p->file.len += (size_t)k;
        else if (errno != EINTR)
            rc = yerr_set(err, YOLO_EIO, "%s: %s", it->xml, strerror(errno));
    }
    close(fd);
    if (rc == 1 && p->file.len > VOC_MAX_XML_BYTES)
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err, "%s: more than %ld bytes", it->xml,
                            VOC_MAX_XML_BYTES);
    return rc;
}

/* Parses p->file. Entities are left as they are and nothing is fetched
 * from the network. 1 and *doc, 0 skipped, -1 stop. */
static int parse(voc_reader *p, const voc_item *it, xmlDoc **doc, yerr *err)
{
    xmlParserCtxtPtr x = p->xml;
    xml_first f = {0};
    x->_private = &f;
    *doc = xmlCtxtReadMemory(x, (const char *)p->file.p, (int)p->file.len, it->xml, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                 XML_PARSE_BIG_LINES);
    x->_private = NULL;
    if (!*doc)
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err, "%s:%d: malformed XML: %s", it->xml,
                            f.line, f.set ? f.msg : "cannot be parsed");
    return 1;
}

static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

/* An entity reference's text: a general entity the document's internal
 * subset defines gives its replacement text; one it does not define (or an
 * external one, never fetched) is kept as written, "&x;", for the caller to
 * warn about (undefined_entity). NULL when there is no text for it. */
static const char *entity_text(const xmlNode *ref, char *tmp, size_t cap)
{
    xmlEntityPtr e = ref->doc ? xmlGetDocEntity(ref->doc, ref->name) : NULL;
    if (e && e->etype == XML_INTERNAL_GENERAL_ENTITY)
        return (const char *)e->content;
    snprintf(tmp, cap, "&%s;", (const char *)ref->name);
    return tmp;
}

/* The name of the first entity reference among n's children that the
 * document does not define, or NULL. */
static const char *undefined_entity(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ENTITY_REF_NODE)
            continue;
        xmlEntityPtr e = c->doc ? xmlGetDocEntity(c->doc, c->name) : NULL;
        if (!e || e->etype != XML_INTERNAL_GENERAL_ENTITY)
            return (const char *)c->name;
    }
    return NULL;
}

/* n's text (its text and CDATA children and its entity references, as
 * entity_text gives them; comments are left out) with the whitespace around
 * it trimmed, into buf[VOC_MAX_TEXT]: its length, or -1 if it is longer
 * than that. */
static int text(const xmlNode *n, char *buf)
{
    size_t len = 0;
    char tmp[VOC_MAX_TEXT];
    for (const xmlNode *c = n->children; c; c = c->next) {
        const char *t = NULL;
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            t = (const char *)c->content;
        else if (c->type == XML_ENTITY_REF_NODE)
            t = entity_text(c, tmp, sizeof tmp);
        if (!t)
            continue;
        size_t k = strlen(t);
        if (k >= VOC_MAX_TEXT - len)
            return -1;
        memcpy(buf + len, t, k);
        len += k;
    }
    while (len && isspace((unsigned char)buf[len - 1]))
        len--;
    buf[len] = 0;
    size_t lead = strspn(buf, " \t\r\n\v\f");
    memmove(buf, buf + lead, len - lead + 1);
    return (int)(len - lead);
}

/* A finite number that is all of s. */
static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}

/* <size>'s width or height: 0 when missing or empty. */
static int dim(voc_reader *p, const voc_item *it, const xmlNode *size, const char *name, int *v,
               yerr *err)
{
    char buf[VOC_MAX_TEXT];
    xmlNode *n = child(size, name);
    int len = n ? text(n, buf) : 0;
    double x = 0;
    *v = 0;
    if (len != 0 && (len < 0 || number(buf, &x) < 0 || x < 0 || x > 1e6 || x != floor(x)))
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err,
                            "%s:%ld: <%s> is '%.40s', not a whole number of pixels", it->xml,
                            xmlGetLineNo(n), name, len < 0 ? "(too long)" : buf);
    *v = (int)x;
    return 1;
}

/* The image's path into p->path: <filename>, or the id + ".jpg". */
static int image_path(voc_reader *p, const voc_list *l, const voc_item *it, const xmlNode *root,
                      yerr *err)
{
    char buf[VOC_MAX_TEXT];
    xmlNode *n = child(root, "filename");
    int len = n ? text(n, buf) : 0, rc;
    if (len < 0)
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err, "%s:%ld: <filename> is too long",
                            it->xml, xmlGetLineNo(n));
    if (len > 0)
        rc = join(&p->path, l->images[it->src], buf, (size_t)len, "");
    else
        rc = join(&p->path, l->images[it->src], it->id, strlen(it->id), ".jpg");
    return rc < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 1;
}

/* Width and height from <size>, or when it has none (or 0) from the JPEG
 * header; either way the image file must be there. */
static int image_size(voc_reader *p, const voc_item *it, const xmlNode *root, int *w, int *h,
                      yerr *err)
{
    const char *path = (const char *)p->path.p;
    const xmlNode *size = child(root, "size");
    int rc;
    if ((rc = dim(p, it, size, "width", w, err)) < 1 ||
        (rc = dim(p, it, size, "height", h, err)) < 1)
        return rc;
    yerr e;
    if ((*w == 0 || *h == 0) && img_read_size(path, w, h, &e) < 0)
        return yrep_problem(p->rep, &p->probs, VOC_P_NOIMG, "image skipped", err,
                            "%s: <size> gives no size, and the image cannot be read: %s", it->xml,
                            e.msg);
    struct stat st;
    if (stat(path, &st) < 0)
        return yrep_problem(p->rep, &p->probs, VOC_P_NOIMG, "image skipped", err, "%s: image %s: %s", it->xml, path,
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return yrep_problem(p->rep, &p->probs, VOC_P_NOIMG, "image skipped", err, "%s: image %s is not a file",
                            it->xml, path);
    return 1;
}

/* An object of a class not in the list: warned about once a name (then
 * silently, but counted), so that picking a few classes out of many with
 * --classes does not bury the other messages. */
static int unknown(voc_reader *p, const voc_item *it, long line, const char *name, int len,
                   yerr *err)
{
    int rc = tally_unknown(p, name, (size_t)len, err);
    if (rc < 1) {
        p->probs.count[VOC_P_UNKNOWN] += rc == 0;
        return rc;
    }
    return yrep_problem(p->rep, &p->probs, VOC_P_UNKNOWN, "skipped, as every object of that class will be", err,
                        "%s:%ld: class '%.64s' is not in the class list", it->xml, line, name);
}

/* <difficult>, <truncated>: absent or empty is false. */
static int flag(voc_reader *p, const voc_item *it, const xmlNode *o, const char *name, int *v,
                yerr *err)
{
    char buf[VOC_MAX_TEXT];
    xmlNode *n = child(o, name);
    int len = n ? text(n, buf) : 0;
    *v = 0;
    if (len == 0 || (len > 0 && (strcmp(buf, "0") == 0 || strcasecmp(buf, "false") == 0)))
        return 1;
    if (len > 0 && (strcmp(buf, "1") == 0 || strcasecmp(buf, "true") == 0)) {
        *v = 1;
        return 1;
    }
    return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err, "%s:%ld: <%s> is '%.40s', not 0 or 1",
                        it->xml, xmlGetLineNo(n), name, len < 0 ? "(too long)" : buf);
}

/* The VOC box in record coordinates, checked against the image: 1 kept
 * (perhaps clipped), 0 dropped, -1 stop. */
static int fit_box(voc_reader *p, const voc_item *it, long line, box b, int w, int h, box *out,
                   yerr *err)
{
    if (b.x2 <= b.x1 || b.y2 <= b.y1)
        return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err,
                            "%s:%ld: box [%.10g, %.10g, %.10g, %.10g] is %s", it->xml, line,
                            b.x1, b.y1, b.x2, b.y2, b.x2 < b.x1 || b.y2 < b.y1 ? "inverted" : "empty");
    box c = box_clip(b, w, h);
    *out = c;
    if (c.x1 == b.x1 && c.y1 == b.y1 && c.x2 == b.x2 && c.y2 == b.y2)
        return 1;
    if (c.x2 <= c.x1 || c.y2 <= c.y1)
        return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err,
                            "%s:%ld: box [%.10g, %.10g, %.10g, %.10g] lies outside the %dx%d image",
                            it->xml, line, b.x1, b.y1, b.x2, b.y2, w, h);
    char act[200];
    snprintf(act, sizeof act, "clipped to [%.10g, %.10g, %.10g, %.10g]", c.x1, c.y1, c.x2, c.y2);
    return yrep_problem(p->rep, &p->probs, VOC_P_CLIP, act, err,
                        "%s:%ld: box [%.10g, %.10g, %.10g, %.10g] goes past the edge of the %dx%d image",
                        it->xml, line, b.x1, b.y1, b.x2, b.y2, w, h) < 0 ? -1 : 1;
}

/* <bndbox> to [xmin - 1, ymin - 1, xmax, ymax] (docs/records.md, section 3). */
static int bndbox(voc_reader *p, const voc_item *it, const xmlNode *o, int w, int h, box *b,
                  yerr *err)
{
    char buf[VOC_MAX_TEXT];
    double v[4];
    long line = xmlGetLineNo(o);
    xmlNode *bb = child(o, "bndbox");
    if (!bb)
        return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err, "%s:%ld: object without <bndbox>",
                            it->xml, line);
    for (int k = 0; k < 4; k++) {
        xmlNode *n = child(bb, coord_names[k]);
        int len = n ? text(n, buf) : 0;
        if (len <= 0 || number(buf, &v[k]) < 0)
            return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err,
                                "%s:%ld: <%s> is %s%.40s%s, not a number", it->xml,
                                xmlGetLineNo(n ? n : bb), coord_names[k], n ? "'" : "missing",
                                len > 0 ? buf : "", n ? "'" : "");
    }
    return fit_box(p, it, line, (box){v[0] - 1, v[1] - 1, v[2], v[3]}, w, h, b, err);
}

/* One <object> into p->objs: 1 added, 0 left out, -1 stop. */
static int object(voc_reader *p, const voc_item *it, const xmlNode *o, int w, int h, yerr *err)
{
    char buf[VOC_MAX_TEXT];
    long line = xmlGetLineNo(o);
    xmlNode *nn = child(o, "name");
    int len = nn ? text(nn, buf) : 0, rc;
    const char *undef = nn ? undefined_entity(nn) : NULL;
    if (undef)   /* libxml2 lets it by when the file names a DTD (never read) */
        yrep_warn(p->rep, "%s:%ld: <name> holds the entity &%s;, which the file does not "
                  "define: the name is read as written, '%.40s'", it->xml, xmlGetLineNo(nn),
                  undef, len > 0 ? buf : "");
    if (len == 0)
        return yrep_problem(p->rep, &p->probs, VOC_P_DROP, "box dropped", err, "%s:%ld: object without <name>",
                            it->xml, line);
    int cls = len > 0 ? names_find(&p->classes, buf, (size_t)len) : -1;
    if (cls < 0)
        return unknown(p, it, line, len > 0 ? buf : "(a name too long)", len > 0 ? len : 17, err);
    p->known++;
    yobj ob = {.cls = cls, .name = p->classes.v[cls], .name_len = strlen(p->classes.v[cls])};
    if ((rc = flag(p, it, o, "difficult", &ob.difficult, err)) < 1 ||
        (rc = flag(p, it, o, "truncated", &ob.truncated, err)) < 1)
        return rc;
    if (ob.difficult && p->cfg->skip_difficult)
        return 0;
    if ((rc = bndbox(p, it, o, w, h, &ob.bbox, err)) < 1)
        return rc;
    return objlist_push(&p->objs, &ob) < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 1;
}

static int objects(voc_reader *p, const voc_item *it, const xmlNode *root, int w, int h,
                   yerr *err)
{
    long n = 0;
    for (const xmlNode *o = root->children; o; o = o->next)
        n += o->type == XML_ELEMENT_NODE && strcmp((const char *)o->name, "object") == 0;
    if (n > VOC_MAX_OBJECTS)
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err, "%s: %ld objects, more than %d",
                            it->xml, n, VOC_MAX_OBJECTS);
    p->objs.n = 0;
    for (const xmlNode *o = root->children; o; o = o->next)
        if (o->type == XML_ELEMENT_NODE && strcmp((const char *)o->name, "object") == 0 &&
            object(p, it, o, w, h, err) < 0)
            return -1;
    return 1;
}

/* The record of a parsed annotation. Only the root's own children are read,
 * so <source><annotation>PASCAL VOC2007</annotation></source> is no bother. */
static int annotation(voc_reader *p, const voc_list *l, const voc_item *it, const xmlNode *root,
                      rec *r, yerr *err)
{
    int rc, w, h;
    if (!root || strcmp((const char *)root->name, "annotation") != 0)
        return yrep_problem(p->rep, &p->probs, VOC_P_XML, "image skipped", err,
                            "%s:%ld: the root element is <%.40s>, not <annotation>", it->xml,
                            root ? xmlGetLineNo(root) : 1L, root ? (const char *)root->name : "");
    if ((rc = image_path(p, l, it, root, err)) < 1 ||
        (rc = image_size(p, it, root, &w, &h, err)) < 1 ||
        (rc = objects(p, it, root, w, h, err)) < 1)
        return rc;
    rec_clear(r);
    if (rec_set_cstr(r, "id", it->id, err) < 0 ||
        rec_set_cstr(r, "image", (const char *)p->path.p, err) < 0 ||
        rec_set_i64(r, "width", w, err) < 0 || rec_set_i64(r, "height", h, err) < 0 ||
        rec_set_objects(r, p->objs.v, p->objs.n, err) < 0)
        return -1;
    return 1;
}

int voc_read(voc_reader *p, const voc_list *l, size_t i, rec *r, yerr *err)
{
    const voc_item *it = &l->v[i];
    xmlDoc *doc;
    int rc = load(p, l, it, err);
    if (rc < 1 || (rc = parse(p, it, &doc, err)) < 1)
        return rc;
    rc = annotation(p, l, it, xmlDocGetRootElement(doc), r, err);
    xmlFreeDoc(doc);
    return rc;
}
