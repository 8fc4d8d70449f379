/* Option values that hold two numbers, A<sep>B: kmeans-anchors --net
 * 416,416, voc-parse --shard 0/4, synth-voc --size 320x200, encode-targets
 * --sizes 64,128 and --scale .6,1.6. One grammar for them all: the first sep
 * splits the value; a whole number is decimal digits only (no sign, no
 * blank), a real number what strtod reads in full, finite. */
#ifndef YOLO_PARSE_H
#define YOLO_PARSE_H

#include <stddef.h>

#include "yolo/base/err.h"

/* The largest whole number a pair may hold: 2^53 - 1, up to which a double
 * holds every whole number exactly (and a larger one never rounds to it). */
#define PARSE_MAX_WHOLE 9007199254740991.0

enum { PARSE_ANY, PARSE_LE, PARSE_LT };   /* parse_pair_spec.order: -, A <= B, A < B */

/* How one option writes its pair, and what it asks of the two numbers. */
typedef struct parse_pair_spec {
    const char *form;   /* the value, as messages name it: "WIDTHxHEIGHT" */
    const char *what;   /* the numbers, as messages name them: "sides" */
    char sep;           /* between A and B: ',', '/', 'x' */
    int alone;          /* 1: A by itself stands for A<sep>A */
    int order;          /* PARSE_* */
    int whole;          /* 1: whole numbers; lo, hi whole in [0, PARSE_MAX_WHOLE] */
    double lo, hi;      /* each number in [lo, hi] */
} parse_pair_spec;

/* The two numbers of s into v: 0, or -1 with err (YOLO_EUSAGE; err may be
 * NULL): "'S' is not FORM with WHAT in [LO, HI]", and ", the first no
 * larger" (PARSE_LE) or ", the first smaller" (PARSE_LT) after it. */
int parse_pair(const char *s, const parse_pair_spec *p, double v[2], yerr *err);

/* --shard's "K/N" of the readers (voc-parse, yolo-parse, coco-parse,
 * image-list): part K of N (0 <= K < N, whole numbers). 0, or -1 if it is
 * not that (the stage says so). */
int parse_shard(const char *s, long *k, long *n);

/* Which of total items (0, 1, ... in the reader's order) part k of n holds:
 * [*lo, *hi), contiguous, so that parts 0, 1, ..., n-1 one after the other
 * are the items in their order (`cat` of the shards is the whole stream).
 * Sizes differ by one at most: the first total % n parts have one more.
 * k = 0, n = 1: all of them. */
void parse_shard_range(long k, long n, size_t total, size_t *lo, size_t *hi);

/* What --shard does, for the readers' --help (no final newline). */
#define PARSE_SHARD_HELP                                                                 \
    "--shard K/N: part K of N of the images listed (counted before any is skipped),\n"    \
    "contiguous, sizes differing by one at most: the outputs of K = 0, 1, ..., N-1\n"     \
    "one after the other (cat) are the output without --shard, byte for byte."

#endif
