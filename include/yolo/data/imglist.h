/* Image files (JPEG, PNG, BMP) to records (image-list): which files, from
 * paths given or read one a line, with folders searched; and one file's
 * record, its size from the image's header (img_read_size). A file that is
 * missing or not a readable image is a warning and is skipped (counted);
 * with strict it stops the run. */
#ifndef YOLO_IMGLIST_H
#define YOLO_IMGLIST_H

#include <stddef.h>

#include "yolo/records/record.h"
#include "yolo/base/report.h"

#define IMGLIST_MAX_FILES 10000000L  /* paths waiting to be read */
#define IMGLIST_MAX_DEPTH 64         /* folders inside a folder given */
#define IMGLIST_MAX_LINE 4096        /* one path read from standard input */

enum { IMGLIST_SKIPPED, IMGLIST_DUP_ID, IMGLIST_NKINDS };

typedef struct imglist {
    const yrep *rep;        /* where warnings go */
    int strict;             /* a problem stops the run */
    int id_path;            /* id = the path without its extension, not the file name's */
    char **ids;             /* [ids_cap] open-addressing set of the ids given so far */
    size_t ids_n, ids_cap;
    char **v;               /* [n] paths waiting, [cap] allocated; v[next] comes next */
    size_t n, cap, next;
    int from_stdin;         /* no arguments: paths come from standard input */
    long line;              /* lines of standard input read */
    char buf[IMGLIST_MAX_LINE + 2];
    yrep_problems probs;     /* paths skipped, ids repeated: for the closing line */
} imglist;

/* Lists the paths: a folder's *.jpg, *.jpeg, *.png and *.bmp files (any
 * case; what they hold is told by their bytes, not the name; hidden
 * ones left out, subfolders searched, symlinks followed but not round a
 * loop) sorted by path; any other path as it is. With no paths, they are
 * read from standard input, one a line, as they are needed. A subfolder
 * that cannot be read is skipped like a bad file. 0, or -1 (err: too many
 * files, YOLO_EINPUT; memory, YOLO_EIO; a problem with strict). */
int imglist_open(imglist *l, const yrep *rep, int strict, char *const *paths, int npaths,
                 yerr *err);
/* The next path: 1, 0 at the end, -1 with err set. */
int imglist_next(imglist *l, const char **path, yerr *err);
/* path's record (r cleared first): id (the file name without its
 * extension, or with id_path the whole path without it, "./" dropped),
 * image (path), width, height. An id given before is a warning (the record
 * is still made). 1 made, 0 skipped, -1 stop. */
int imglist_record(imglist *l, const char *path, rec *r, yerr *err);
/* The closing line: how many were skipped, if any. */
void imglist_summary(imglist *l);
void imglist_free(imglist *l);

#endif
