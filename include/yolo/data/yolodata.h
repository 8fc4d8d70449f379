/* YOLO datasets to records (yolo-parse): which images a darknet .data file,
 * an ultralytics data.yaml, a list file or a folder names, the class list
 * they give, and one record per image (id, image, width, height, objects:
 * the records voc-parse writes), its labels read by data/yolotxt.
 *
 * Images come from data/imglist, a list file a line at a time, so a list of
 * millions of lines is read in bounded memory; what grows is imglist's set
 * of ids (16 bytes an image read). */
#ifndef YOLO_YOLODATA_H
#define YOLO_YOLODATA_H

#include <stddef.h>

#include "yolo/data/imglist.h"
#include "yolo/data/names.h"
#include "yolo/data/yolotxt.h"
#include "yolo/records/record.h"
#include "yolo/base/report.h"

#define YOLODATA_MAX_LINE 4096   /* one line of a .data file */

enum { YOLODATA_LIST_DARKNET, YOLODATA_LIST_ULTRALYTICS };

/* How the inputs are read: the text of --help (and of the README). */
#define YOLODATA_RULES                                                                      \
    "INPUT is one of:\n"                                                                    \
    "  FILE.data  darknet's: `key = value` lines (# and ; comments); the list of\n"        \
    "             `train` (or `valid` with --split valid), the class names of\n"           \
    "             `names`, checked against `classes`. Its paths, and the lines of\n"       \
    "             its list, are read from the current directory, as darknet does.\n"      \
    "  FILE.yaml  ultralytics' data.yaml (or .yml): the images of `train` (`val`,\n"       \
    "             `test` with --split), a folder (searched), a list file, or a\n"         \
    "             list of either, under `path` (relative: from the current\n"             \
    "             directory if it is there, else from the file's folder; none: the\n"    \
    "             file's folder); a split path starting ../ that is not there is\n"       \
    "             tried without it, as ultralytics does. `names` as a list or a map\n"   \
    "             {0: a, 1: b}; `nc` alone names them class_0, class_1, ...\n"            \
    "  FOLDER     its JPEGs, subfolders too, sorted by path (as image-list);\n"            \
    "  FILE.jpg   that image (also .jpeg, .png, .bmp, any case);\n"                        \
    "  LIST       any other file: image paths, one a line.\n"                              \
    "Lines of a list: relative paths from the current directory (darknet); in a\n"        \
    "data.yaml's lists, and in a LIST with --list ultralytics, a line starting ./\n"     \
    "is taken from the list's folder (ultralytics). Blank lines are skipped, CRLF\n"      \
    "and a byte-order mark accepted; the list's order is kept. PNG and BMP images\n"      \
    "cannot be read yet: a folder's are not listed, a list's are skipped (warned).\n"   \
    "A missing or unreadable image is warned and skipped, as image-list does.\n\n"        \
    "Class names: --names FILE (one a line), else the .data's `names` or the\n"          \
    "data.yaml's; a LIST or FOLDER names none. Every input that names classes\n"          \
    "must name the same ones, and `classes` or `nc` must count them (exit 2).\n"

typedef struct yolodata_cfg {
    const char *names;      /* --names: a .names file, or NULL */
    const char *split;      /* --split, or NULL: train */
    int list_rule;          /* how a LIST's "./" lines are read: YOLODATA_LIST_* */
    int strict;             /* the first problem is an error */
    long shard_k, shard_n;  /* keep part k of n of the images listed (parse_shard_range;
                             * 0 and 1: all) */
} yolodata_cfg;

/* Where images come from, in order: a folder or image (imglist_add), or a
 * list file (imglist_read_list). */
typedef struct yolodata_src {
    char *path;
    int list;               /* path is a list file */
    char *dot_base;         /* a list's folder for its "./" lines, or NULL */
} yolodata_src;

typedef struct yolodata {
    const yrep *rep;
    const yolodata_cfg *cfg;
    names classes;
    char *names_from;       /* where the list came from, for messages */
    long declared;          /* `classes` or `nc` of an input (0: none) ... */
    char *declared_at;      /* ... and where it was given ("FILE:LINE") */
    yolodata_src *src;      /* [nsrc], [src_cap] allocated; src[cur] opens next */
    size_t nsrc, src_cap, cur;
    imglist images;
    yolotxt labels;
    size_t listed;          /* images handed out so far: the shard counts them */
    size_t first, end;      /* the shard's part: images [first, end) of those listed */
    ybuf path;              /* paths put together */
} yolodata;

/* The reader of the inputs (INPUT in YOLODATA_RULES): reads the .data and
 * data.yaml files and the class list. 0, or -1 with err: an input or a
 * file it names missing (YOLO_EIO), a bad .data or data.yaml file, class
 * list or count (YOLO_EINPUT, naming the file and line), no inputs, no
 * class names, or inputs naming different ones (YOLO_EUSAGE). */
int yolodata_open(yolodata *d, const yrep *rep, const yolodata_cfg *cfg, char *const *inputs,
                  int ninputs, yerr *err);
/* The next image's record into r: 1, 0 at the end, -1 stop (err set). */
int yolodata_next(yolodata *d, rec *r, yerr *err);
/* The closing lines: images skipped, label problems, background images. */
void yolodata_summary(yolodata *d);
void yolodata_close(yolodata *d);

#endif
