/* Image files (JPEG, PNG, BMP) to records (image-list, yolo-parse): which
 * files, from paths given or read one a line (standard input, a list file),
 * with folders searched; and one file's record, its size from the image's
 * header (img_read_size). A file that is missing or not a readable image is
 * a warning and is skipped (counted);
 * with strict it stops the run. */
#ifndef YOLO_IMGLIST_H
#define YOLO_IMGLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yolo/base/buf.h"

#include "yolo/records/record.h"
#include "yolo/base/report.h"

#define IMGLIST_MAX_FILES 10000000L  /* paths waiting to be read */
#define IMGLIST_MAX_DEPTH 64         /* folders inside a folder given */
#define IMGLIST_MAX_LINE 4096        /* one path read from a list */

enum { IMGLIST_SKIPPED, IMGLIST_DUP_ID, IMGLIST_NKINDS };

typedef struct imglist {
    const yrep *rep;        /* where warnings go */
    int strict;             /* a problem stops the run */
    int id_path;            /* id = the path without its extension, not the file name's */
    uint64_t *ids;          /* [ids_cap] open-addressing set of the ids given so far:
                             * their ybuf_fnv1a keys (0: an empty slot), 16 bytes an
                             * image, so a list of millions stays small */
    size_t ids_n, ids_cap;
    char **v;               /* [n] paths waiting, [cap] allocated; v[next] comes next */
    size_t n, cap, next;
    int from_stdin;         /* no arguments: paths come from standard input */
    FILE *in;               /* the list read a line at a time (stdin or a file), or NULL */
    const char *in_name;    /* its name in messages: "<stdin>" or the file's path */
    int in_owned;           /* in was opened here: closed at its end */
    const char *dot_base;   /* a list's "./" lines are taken from this folder; NULL: as
                             * they are (from the working directory) */
    long line;              /* lines of the list read */
    ybuf joined;            /* a "./" line under dot_base */
    char buf[IMGLIST_MAX_LINE + 2];
    yrep_problems probs;     /* paths skipped, ids repeated: for the closing line */
} imglist;

/* An empty list: paths come with imglist_add and imglist_read_list. */
void imglist_init(imglist *l, const yrep *rep, int strict);
/* Lists the paths (imglist_add). With no paths, they are read from standard
 * input, one a line, as they are needed. 0, or -1 as imglist_add. */
int imglist_open(imglist *l, const yrep *rep, int strict, char *const *paths, int npaths,
                 yerr *err);
/* Adds path after those waiting: a folder's *.jpg, *.jpeg, *.png and *.bmp
 * files (any case; what they hold is told by their bytes, not the name;
 * hidden ones left out, subfolders searched, symlinks followed but not
 * round a loop) sorted by path; any other path as it is. A subfolder
 * that cannot be read is skipped like a bad file. 0, or -1 (err: too many
 * files, YOLO_EINPUT; memory, YOLO_EIO; a problem with strict). */
int imglist_add(imglist *l, const char *path, yerr *err);
/* Once the paths waiting are handed out, the lines of the file list, read
 * as they are needed as standard input is (a folder on a line is searched;
 * problems name list:line). dot_base (kept, not copied): NULL, or the
 * folder a line starting "./" is taken from. Any other list must be done
 * (imglist_next returned 0). 0, or -1 (the file cannot be opened: YOLO_EIO). */
int imglist_read_list(imglist *l, const char *list, const char *dot_base, yerr *err);
/* Keeps part k of n of the paths (parse_shard_range: contiguous), before the
 * first is handed out: a list being read (standard input) is read to its end
 * first, its paths held (its problems then name no line). 0, or -1 as
 * imglist_add, or the list cannot be read (YOLO_EIO). */
int imglist_shard(imglist *l, long k, long n, yerr *err);
/* The next path: 1, 0 at the end (of the paths added and the list being
 * read), -1 with err set. */
int imglist_next(imglist *l, const char **path, yerr *err);
/* path's record (r cleared first): id (the file name without its
 * extension, or with id_path the whole path without it, "./" dropped),
 * image (path), width, height. An id given before is a warning (the record
 * is still made; ids are compared by a 64-bit hash, so two that differ are
 * taken for one with odds of about n^2 / 2^65 in n images). 1 made, 0
 * skipped, -1 stop. */
int imglist_record(imglist *l, const char *path, rec *r, yerr *err);
/* The closing line: how many were skipped, if any. */
void imglist_summary(imglist *l);
void imglist_free(imglist *l);

#endif
