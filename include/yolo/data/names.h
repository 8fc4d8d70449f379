/* Class-name lists: darknet's .names files (one name per line) and VOC's 20
 * classes built in. A class's index is its line number from 0. */
#ifndef YOLO_NAMES_H
#define YOLO_NAMES_H

#include <stddef.h>

#include "yolo/base/err.h"

#define NAMES_MAX 10000      /* classes in one list */
#define NAMES_MAX_LEN 255    /* bytes in one name */

typedef struct names {
    char **v;    /* [n] NUL-terminated names */
    int n;
} names;

/* VOC's 20 classes in voc.names order. */
int names_voc(names *nm, yerr *err);
/* Reads a .names file: one name per line, surrounding whitespace trimmed,
 * blank lines skipped, CRLF accepted. An empty list, a duplicate name or a
 * list over the bounds is an error naming the file and line (YOLO_EINPUT). */
int names_load(names *nm, const char *path, yerr *err);
/* Appends a copy of name[0, len), for a list built as a stage goes (no
 * duplicate check). -1 if it is longer than NAMES_MAX_LEN, the list already
 * has NAMES_MAX names, or memory runs out. */
int names_add(names *nm, const char *name, size_t len);
/* Index of name[0, len), or -1. */
int names_find(const names *nm, const char *name, size_t len);
void names_free(names *nm);

#endif
