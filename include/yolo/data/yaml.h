/* A small, strict reader for the YAML that dataset files are written in
 * (ultralytics' data.yaml and the exports of labelling tools): one document
 * of block maps (`key: value`), block lists (`- a`), flow lists and maps
 * (`[a, b]`, `{0: a}`, over several lines too), plain, 'single' and
 * "double" quoted scalars, comments, and literal or folded block scalars
 * (`|`, `>`: a download script, read and kept as text). Anything else
 * (anchors, aliases, tags, complex keys, directives, a second document,
 * a plain scalar over several lines, a quoted one that does not end on its
 * line, tabs in the indentation) is an error naming the file and line, as
 * is a key given twice in one map. Scalars stay text: the caller reads
 * numbers from them. */
#ifndef YOLO_YAML_H
#define YOLO_YAML_H

#include <stddef.h>

#include "yolo/base/err.h"

#define YAML_MAX_BYTES (4L << 20)   /* one file */
#define YAML_MAX_DEPTH 64           /* collections inside one another */

typedef enum yaml_kind {
    YAML_NULL,      /* nothing after `key:`, `~`, null */
    YAML_SCALAR,
    YAML_SEQ,
    YAML_MAP,
} yaml_kind;

typedef struct yaml_node {
    yaml_kind kind;
    long line;                  /* where it starts, from 1 */
    char *text;                 /* SCALAR: the text, quotes and escapes undone */
    int quoted;                 /* SCALAR: written in quotes */
    struct yaml_node *keys;     /* MAP: [n] the keys (scalars) */
    struct yaml_node *items;    /* SEQ: [n] the items; MAP: [n] the values */
    size_t n, cap;
} yaml_node;

/* Reads the file at path into *root (a NULL node for an empty document).
 * 0, or -1 with err: the file cannot be read (YOLO_EIO), or is not in the
 * subset ("PATH:LINE: why", YOLO_EINPUT). */
int yaml_load(yaml_node *root, const char *path, yerr *err);
/* The value of key in map (NULL when map is not a map or has no such
 * key); *key_line (may be NULL) gets the key's line. */
const yaml_node *yaml_get(const yaml_node *map, const char *key, long *key_line);
void yaml_free(yaml_node *n);

#endif
