/* Reading Pascal VOC annotations into records (voc-parse): which files make
 * up a dataset (a devkit's split, its Annotations folder, or XML files), and
 * one annotation file to one record. Parsing only: writing VOC XML lives with
 * synth-voc.
 *
 * Problems in the data are warnings, counted and summed up at the end; the
 * image or box concerned is skipped, clipped or dropped (VOC_RULES says
 * which), and with strict set the first one stops the run (YOLO_EINPUT). */
#ifndef YOLO_VOC_H
#define YOLO_VOC_H

#include <stddef.h>

#include "yolo/base/buf.h"
#include "yolo/data/names.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"
#include "yolo/base/report.h"

#define VOC_MAX_IMAGES 10000000L        /* images listed in one run */
#define VOC_MAX_OBJECTS 100000          /* objects in one annotation */
#define VOC_MAX_XML_BYTES (64L << 20)   /* one annotation file */
#define VOC_MAX_LINE 4096               /* one line of a split file */
#define VOC_MAX_TEXT 4096               /* the text of one element */

#define VOC_STR_(x) #x
#define VOC_STR(x) VOC_STR_(x)

/* What happens to data that breaks the rules: the text of --help (and of
 * docs/records.md), kept next to the code that does it. */
#define VOC_RULES                                                                         \
    "Boxes: VOC's 1-based inclusive xmin ymin xmax ymax become [xmin-1, ymin-1, xmax,\n"  \
    "ymax] (docs/records.md, section 3): xmin = xmax is a box 1 pixel wide. Then\n"       \
    "  x2 < x1 or y2 < y1 (xmax < xmin - 1): inverted, the box is dropped;\n"             \
    "  x2 = x1 or y2 = y1: empty, dropped;\n"                                              \
    "  past the image edge: clipped to [0, width] x [0, height], and dropped if\n"        \
    "  nothing is left;\n"                                                                 \
    "  no <name>, no <bndbox>, a coordinate that is not a number, or a <difficult> or\n"  \
    "  <truncated> other than 0, 1, true, false or empty: dropped;\n"                     \
    "  a class not in the class list: skipped (warned once a name, all counted);\n"      \
    "  when the class list leaves out more boxes than it keeps (every box, or more\n"    \
    "  than half of those with a <name> in the images read), the run ends with an\n"    \
    "  error (exit 2) after its records, naming the classes not in the list (the\n"    \
    "  most frequent, with their counts) and the list.\n"                                \
    "Images: malformed XML, a root other than <annotation>, a <size> that is not a\n"     \
    "whole number, more than " VOC_STR(VOC_MAX_OBJECTS) " objects, a missing annotation "   \
    "file, a missing\nimage file, or an image whose JPEG header cannot be read when "      \
    "<size> is\nmissing or 0: the image is skipped. A split line listed again: read "      \
    "once.\nEach is a warning, counted in one line at the end; with --strict the first "   \
    "is an\nerror (exit 2)."

typedef struct voc_cfg {
    const char *classes;    /* a .names file, or NULL: the devkit's, else VOC's 20
                             * (voc_reader_open) */
    const char *split;      /* read ImageSets/Main/SPLIT.txt; NULL: every annotation */
    const char *ann_dir;    /* a devkit's annotations folder ("Annotations") */
    const char *img_dir;    /* a devkit's images folder ("JPEGImages") */
    int skip_difficult;     /* leave out objects marked difficult */
    int strict;             /* the first problem is an error */
    long shard_k, shard_n;  /* keep part k of n of the list (parse_shard_range; 0 and
                             * 1: all) */
} voc_cfg;

/* One image to read: its annotation file and where its image lives. */
typedef struct voc_item {
    char *id;               /* the file stem: the record's id */
    char *xml;              /* the annotation file's path */
    size_t src;             /* index in voc_list.images */
    long line;              /* its line in the split file, 0 when not from one */
    long dup_of;            /* while the list is built: the line listing it first */
} voc_item;

typedef struct voc_list {
    voc_item *v;            /* [n] in output order, [cap] allocated */
    size_t n, cap;
    char **images;          /* [nimages] images folder of each input */
    char **splits;          /* [nimages] the split file read for it, or NULL */
    size_t nimages;
} voc_list;

enum { VOC_P_XML, VOC_P_NOANN, VOC_P_NOIMG, VOC_P_DUP, VOC_P_UNKNOWN, VOC_P_CLIP,
       VOC_P_DROP, VOC_NPROBLEMS };

typedef struct voc_reader {
    const yrep *rep;        /* where warnings go */
    const voc_cfg *cfg;
    names classes;
    char *found;            /* the devkit's .names file read without cfg->classes;
                             * NULL with it, or for VOC's 20 */
    long known;             /* objects read whose <name> is in the list */
    names unknown;          /* class names not in the list, warned about once */
    long *unknown_n;        /* [unknown.n] objects of each ([unknown_cap] allocated) */
    size_t unknown_cap;
    yrep_problems probs;     /* counted by kind (VOC_P_*); strict from cfg */
    ybuf file;              /* the annotation being read */
    ybuf path;              /* the image's path */
    objlist objs;
    void *xml;              /* libxml2's parser context, kept from file to file */
} voc_reader;

/* The reader for cfg and the inputs (devkit folders or annotation files, as
 * for voc_list_build): loads the class list. That is cfg->classes; without
 * it, the list of the inputs' devkit (a DEVKIT as given, FILE.xml's the
 * folder above its own): DEVKIT/classes.names, else the one *.names file in
 * DEVKIT (hidden files left out), else VOC's 20 names. A list found is said
 * on the sink (a warning: not with --quiet). 0, or -1 (err: a .names file
 * missing, YOLO_EIO, or bad, YOLO_EINPUT; a devkit with more than one
 * *.names and no classes.names, or inputs whose devkits hold different
 * lists, YOLO_EUSAGE: --classes must say). */
int voc_reader_open(voc_reader *p, const yrep *rep, const voc_cfg *cfg, char *const *inputs,
                    int ninputs, yerr *err);
void voc_reader_close(voc_reader *p);

/* The images of the inputs (devkit folders or annotation files), in order:
 * a devkit's split file order, or its annotation files sorted by name; then
 * the shard of cfg. Duplicate split lines are problems (warned, read once).
 * 0, or -1 with err (an input or split file that cannot be read: YOLO_EIO;
 * too many images or a bad split file: YOLO_EINPUT). */
int voc_list_build(voc_list *l, voc_reader *p, char *const *inputs, int ninputs, yerr *err);
void voc_list_free(voc_list *l);

/* Reads item i of l into r (cleared first): id, image, width, height,
 * objects. 1: r is ready to write; 0: the image is skipped (warned); -1:
 * stop, err set (a problem with strict, I/O, memory). */
int voc_read(voc_reader *p, const voc_list *l, size_t i, rec *r, yerr *err);

/* The end of a run: whether the class list fits the data read. -1 with err
 * (YOLO_EINPUT) when it left out more objects than it kept: counted over
 * the objects with a <name> in the images read, those whose name is not in
 * the list against those whose name is (whatever then became of their
 * boxes), so every box left out, or more than half; the message names the
 * most frequent names not in the list, with their counts, and the list. 0
 * otherwise, and when no object was read at all. */
int voc_check_classes(const voc_reader *p, yerr *err);

/* The closing line of warnings counted, e.g. "3 unknown class names
 * skipped, 1 box clipped" (nothing when there were none). */
void voc_summary(voc_reader *p);

#endif
