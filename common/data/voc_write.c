#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/xmlwriter.h>

#include "yolo/base/buf.h"
#include "yolo/data/voc_write.h"

#define PATH_CAP 4096

static const char *const subdirs[] = {"JPEGImages", "Annotations", "ImageSets",
                                      "ImageSets/Main"};

/* 1 when dir has an entry besides . and .., 0 when not, -1 on error. */
static int has_entries(const char *dir, yerr *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return yerr_set(err, YOLO_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

int vocw_prepare(const char *dir, int force, yerr *err)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && !force) {
        int any = has_entries(dir, err);
        if (any < 0)
            return -1;
        if (any)
            return yerr_set(err, YOLO_EUSAGE,
                            "%s: folder is not empty (--force writes into it anyway)", dir);
    }
    if (ydir_make(dir, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
        char sub[PATH_CAP];
        if (snprintf(sub, sizeof sub, "%s/%s", dir, subdirs[i]) >= (int)sizeof sub)
            return yerr_set(err, YOLO_EIO, "%s: path too long", dir);
        if (ydir_make(sub, NULL, err) < 0)
            return -1;
    }
    return 0;
}

void vocw_id(long i, char id[VOCW_ID_LEN]) { snprintf(id, VOCW_ID_LEN, "%06ld", i); }

int vocw_path(char *out, size_t cap, const char *dir, const char *sub, const char *id,
              const char *ext, yerr *err)
{
    int n = snprintf(out, cap, "%s/%s/%s%s", dir, sub, id, ext);
    if (n < 0 || (size_t)n >= cap)
        return yerr_set(err, YOLO_EIO, "%s: path too long", dir);
    return 0;
}

/* ---- annotation XML ------------------------------------------------------------ */

/* libxml2's output goes into a ybuf, which is then saved whole. */
static int to_ybuf(void *ctx, const char *p, int n)
{
    return ybuf_put(ctx, p, (size_t)n) < 0 ? -1 : n;
}

static int no_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Each returns non-zero when the writer failed. */
static int open_el(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) < 0;
}

static int close_el(xmlTextWriterPtr w) { return xmlTextWriterEndElement(w) < 0; }

static int el_str(xmlTextWriterPtr w, const char *name, const char *s, size_t len)
{
    return xmlTextWriterWriteFormatElement(w, BAD_CAST name, "%.*s", (int)len, s) < 0;
}

static int el_int(xmlTextWriterPtr w, const char *name, long v)
{
    return xmlTextWriterWriteFormatElement(w, BAD_CAST name, "%ld", v) < 0;
}

static int write_object(xmlTextWriterPtr w, const yobj *o)
{
    /* VOC's indices are 1-based and inclusive (docs/records.md, section 3) */
    long xmin = lround(o->bbox.x1) + 1, ymin = lround(o->bbox.y1) + 1;
    long xmax = lround(o->bbox.x2), ymax = lround(o->bbox.y2);
    return open_el(w, "object") || el_str(w, "name", o->name, o->name_len) ||
           el_str(w, "pose", "Unspecified", 11) || el_int(w, "truncated", o->truncated != 0) ||
           el_int(w, "difficult", o->difficult != 0) || open_el(w, "bndbox") ||
           el_int(w, "xmin", xmin) || el_int(w, "ymin", ymin) || el_int(w, "xmax", xmax) ||
           el_int(w, "ymax", ymax) || close_el(w) || close_el(w);
}

static int write_head(xmlTextWriterPtr w, const vocw_head *h)
{
    return xmlTextWriterSetIndent(w, 1) < 0 ||
           xmlTextWriterSetIndentString(w, BAD_CAST "\t") < 0 ||
           xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 || open_el(w, "annotation") ||
           el_str(w, "folder", h->folder, strlen(h->folder)) ||
           el_str(w, "filename", h->filename, strlen(h->filename)) || open_el(w, "source") ||
           el_str(w, "database", h->database, strlen(h->database)) || close_el(w) ||
           open_el(w, "size") || el_int(w, "width", h->width) ||
           el_int(w, "height", h->height) || el_int(w, "depth", 3) || close_el(w) ||
           el_int(w, "segmented", 0);
}

int vocw_annotation_xml(ybuf *b, const vocw_head *h, const yobj *v, size_t n)
{
    xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(to_ybuf, no_close, b, NULL);
    if (!ob)
        return -1;
    xmlTextWriterPtr w = xmlNewTextWriter(ob); /* owns ob from here */
    if (!w) {
        xmlOutputBufferClose(ob);
        return -1;
    }
    int bad = write_head(w, h);
    for (size_t i = 0; i < n && !bad; i++)
        bad = write_object(w, &v[i]);
    bad = bad || xmlTextWriterEndDocument(w) < 0; /* closes <annotation>, flushes */
    xmlFreeTextWriter(w);
    return bad || b->oom ? -1 : 0;
}

int vocw_annotation(const char *dir, const char *folder, const char *id, int w, int h,
                    const yobj *v, size_t n, yerr *err)
{
    char path[PATH_CAP], filename[VOCW_ID_LEN + 8];
    if (vocw_path(path, sizeof path, dir, "Annotations", id, ".xml", err) < 0)
        return -1;
    snprintf(filename, sizeof filename, "%s.jpg", id);
    vocw_head head = {folder, filename, "synth-voc", w, h};
    ybuf b = {0};
    int rc = vocw_annotation_xml(&b, &head, v, n) < 0
                 ? yerr_set(err, YOLO_EIO, "%s: cannot build the XML (out of memory?)", path)
                 : ybuf_save(&b, path, err);
    ybuf_free(&b);
    return rc;
}

/* ---- lists ---------------------------------------------------------------------- */

/* The ids of images 1..n whose split is in the mask (bit 1 << split). */
static void id_list(ybuf *b, const unsigned char *which, long n, unsigned mask)
{
    char id[VOCW_ID_LEN];
    for (long i = 0; i < n; i++)
        if (mask & (1u << which[i])) {
            vocw_id(i + 1, id);
            ybuf_puts(b, id);
            ybuf_putc(b, '\n');
        }
}

int vocw_imagesets(const char *dir, const unsigned char *which, long n, yerr *err)
{
    static const char *const name[4] = {"train", "val", "trainval", "test"};
    static const unsigned mask[4] = {1, 2, 3, 4};
    int rc = 0;
    for (int k = 0; k < 4 && rc == 0; k++) {
        char path[PATH_CAP];
        ybuf b = {0};
        rc = vocw_path(path, sizeof path, dir, "ImageSets/Main", name[k], ".txt", err);
        if (rc == 0) {
            id_list(&b, which, n, mask[k]); /* a failed put sets b.oom: ybuf_save says so */
            rc = ybuf_save(&b, path, err);
        }
        ybuf_free(&b);
    }
    return rc;
}

int vocw_classes(const char *dir, const char *const *names, int n, yerr *err)
{
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s/classes.names", dir) >= (int)sizeof path)
        return yerr_set(err, YOLO_EIO, "%s: path too long", dir);
    ybuf b = {0};
    for (int i = 0; i < n; i++) {
        ybuf_puts(&b, names[i]);
        ybuf_putc(&b, '\n');
    }
    int rc = ybuf_save(&b, path, err);
    ybuf_free(&b);
    return rc;
}
