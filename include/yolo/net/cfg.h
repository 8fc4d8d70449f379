/* darknet .cfg files: sections of key=value lines, the network's single
 * description. Parsed once, strictly: an unknown section, a key darknet does
 * not know for that section (a typo), a key given twice, a value that is not
 * of its type or out of range are errors naming file and line. Keys darknet
 * knows but this project does not use are kept and can be listed
 * (cfg_unused), so a stage can report them. The keys are pjreddie's darknet's
 * and AlexeyAB's (its fork, the yolov4 cfgs): a cfg using one only
 * AlexeyAB's reads is in its dialect (ab_line). */
#ifndef YOLO_CFG_H
#define YOLO_CFG_H

#include <stddef.h>

#include "yolo/base/err.h"

#define CFG_MAX_SECTIONS 4096
#define CFG_MAX_KEYS 128        /* keys in one section */
#define CFG_MAX_LINE 16384      /* bytes in one line */
#define CFG_MAX_LIST 1024       /* items in one comma list */

typedef enum {
    /* what this project builds */
    CFG_NET, CFG_CONVOLUTIONAL, CFG_MAXPOOL, CFG_ROUTE, CFG_REORG, CFG_SHORTCUT,
    CFG_UPSAMPLE, CFG_CONNECTED, CFG_DROPOUT, CFG_LOCAL, CFG_AVGPOOL, CFG_SOFTMAX,
    CFG_DETECTION, CFG_REGION, CFG_YOLO,
    /* what darknet knows and this project does not build */
    CFG_DECONVOLUTIONAL, CFG_ACTIVATION, CFG_LOGISTIC, CFG_L2NORM, CFG_CRNN, CFG_GRU,
    CFG_LSTM, CFG_RNN, CFG_NORMALIZATION, CFG_BATCHNORM, CFG_CROP, CFG_COST, CFG_ISEG,
    CFG_NTYPES
} cfg_type;

typedef struct cfg_kv {
    char *key, *val;    /* trimmed, NUL-terminated */
    int line;           /* 1-based line in the file */
    int used;           /* looked up by a cfg_* getter */
} cfg_kv;

typedef struct cfg_section {
    cfg_type type;
    int line;           /* line of the [header] */
    cfg_kv *kv;         /* [n] in file order */
    int n;
} cfg_section;

typedef struct cfg {
    char *path;         /* for messages */
    cfg_section *s;     /* [n]: s[0] is [net], then one per layer */
    int n;
    int ab_line;        /* the line of the first key (or activation) only AlexeyAB's
                           darknet knows, 0 if none: the cfg is in its dialect */
} cfg;

int cfg_load(cfg *c, const char *path, yerr *err);
/* Parses text[0, len) as if read from a file called name. */
int cfg_parse(cfg *c, const char *name, const char *text, size_t len, yerr *err);
void cfg_free(cfg *c);

const char *cfg_type_name(cfg_type t);   /* "convolutional" */
int cfg_builds(cfg_type t);              /* this project builds it */

/* Typed lookups. Absent: *v = def and 0. Present but bad: -1 with err
 * "FILE:LINE: [section] key: 'VAL' is not an integer in [MIN, MAX]". */
int cfg_int(const cfg *c, cfg_section *s, const char *key, int def, int min, int max, int *v,
            yerr *err);
int cfg_float(const cfg *c, cfg_section *s, const char *key, float def, float min, float max,
              float *v, yerr *err);
/* A string value, or def when absent; pointer valid while c lives. */
const char *cfg_str(cfg_section *s, const char *key, const char *def);
/* Is the key there? (marks it used) */
int cfg_has(cfg_section *s, const char *key);
/* Checks that key, when given, is one of the space-separated words, without
 * marking it used (a key this project does not use, with a typo still
 * caught). */
int cfg_word(const cfg *c, const cfg_section *s, const char *key, const char *words, yerr *err);
/* Comma-separated lists, at most maxn items: *n items into v. Absent: *n = 0. */
int cfg_ints(const cfg *c, cfg_section *s, const char *key, int *v, int maxn, int *n, int min,
             int max, yerr *err);
int cfg_floats(const cfg *c, cfg_section *s, const char *key, float *v, int maxn, int *n,
               yerr *err);
/* An error about section s's key (or the section if key is NULL). */
int cfg_fail(const cfg *c, const cfg_section *s, const char *key, yerr *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Calls fn for every key no getter has looked up: darknet knows it, this
 * project does not use it (yet). */
void cfg_unused(const cfg *c, void (*fn)(void *ctx, const cfg *c, const cfg_section *s,
                                         const cfg_kv *kv), void *ctx);

#endif
