/* Unit tests for anchor clustering (common/data/anchors.c):
 *   1. the average IoU on a hand-made case, exactly
 *   2. four tight clusters of box sizes are found again
 *   3. same seed, same anchors; 1 or 2 OpenMP threads, same anchors;
 *      more restarts never do worse
 *   4. fewer boxes than k, identical boxes, bad parameters
 *   5. cfg text: parsing --eval and --net values, printing the cfg line
 *   6. collecting boxes from records: normalising, skipping, errors */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "yolo/data/anchors.h"
#include "yolo/data/objects.h"
#include "yolo/base/rng.h"

#include "check.h"

static const anchor_wh truth[4] = {{0.05, 0.08}, {0.20, 0.10}, {0.15, 0.40}, {0.60, 0.50}};

/* n boxes round the four true sizes, 2% normal noise on each side. */
static anchor_wh *clustered(size_t n, uint64_t seed)
{
    anchor_wh *b = malloc(n * sizeof *b);
    if (!b)
        return NULL;
    yrng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        anchor_wh t = truth[i % 4];
        b[i] = (anchor_wh){t.w * (1 + 0.02 * rng_normal(&r)), t.h * (1 + 0.02 * rng_normal(&r))};
    }
    return b;
}

/* n boxes of sizes spread uniformly: k-means needs many steps on them. */
static anchor_wh *spread(size_t n, uint64_t seed)
{
    anchor_wh *b = malloc(n * sizeof *b);
    if (!b)
        return NULL;
    yrng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        b[i] = (anchor_wh){rng_range(&r, 0.01, 1), rng_range(&r, 0.01, 1)};
    return b;
}

static int same_set(const anchors_set *a, const anchors_set *b)
{
    return a->k == b->k && memcmp(a->a, b->a, (size_t)a->k * sizeof *a->a) == 0 &&
           memcmp(&a->avg_iou, &b->avg_iou, sizeof a->avg_iou) == 0;
}

static void test_avg_iou(void)
{
    /* (1,2) against (1,1): 1 / (2 + 1 - 1); against (2,2): 2 / (2 + 4 - 2). */
    anchor_wh b[3] = {{1, 1}, {2, 2}, {1, 2}}, a[2] = {{1, 1}, {2, 2}};
    CHECK(anchors_avg_iou(b, 3, a, 2) == 2.5 / 3, "avg IoU of a hand-made case is (1+1+0.5)/3");
    CHECK(anchors_avg_iou(b, 3, a, 1) == (1 + 0.25 + 0.5) / 3, "with one anchor: (1+1/4+1/2)/3");
    CHECK(anchors_avg_iou(b, 0, a, 2) == 0, "no boxes: 0");
    anchor_wh two[4] = {{1, 1}, {4, 4}, {1, 1}, {4, 4}};
    anchors_params p = {.k = 2, .restarts = 3, .max_iter = 100, .seed = 7};
    anchors_set s;
    yerr err;
    CHECK(anchors_kmeans(two, 4, &p, &s, &err) == 0 && s.avg_iou == 1 && s.a[0].w == 1 &&
              s.a[0].h == 1 && s.a[1].w == 4 && s.a[1].h == 4,
          "two exact sizes, k = 2: those sizes, sorted by area, avg IoU 1");
}

static void test_recovers_clusters(void)
{
    size_t n = 2000;
    anchor_wh *b = clustered(n, 11);
    anchors_params p = {.k = 4, .restarts = 5, .max_iter = 300, .seed = 3};
    anchors_set s;
    yerr err;
    CHECK(b && anchors_kmeans(b, n, &p, &s, &err) == 0 && s.k == 4, "k-means on 4 clusters runs");
    int found = 0;
    for (int t = 0; t < 4; t++)
        for (int j = 0; j < s.k; j++)
            if (fabs(s.a[j].w / truth[t].w - 1) < 0.01 && fabs(s.a[j].h / truth[t].h - 1) < 0.01)
                found++;
    CHECK(found == 4, "each true centre has an anchor within 1%% (found %d)", found);
    CHECK(s.avg_iou > 0.95, "avg IoU of tight clusters is high (%.4f)", s.avg_iou);
    for (int j = 1; j < s.k; j++)
        CHECK(s.a[j - 1].w * s.a[j - 1].h <= s.a[j].w * s.a[j].h, "anchor %d no larger than %d", j - 1, j);
    CHECK(s.avg_iou == anchors_avg_iou(b, n, s.a, s.k),
          "the reported avg IoU is anchors_avg_iou of the anchors, to the last bit");
    free(b);
}

static void test_determinism(void)
{
    size_t n = 20000;
    anchor_wh *b = spread(n, 5);
    anchors_params p = {.k = 9, .restarts = 3, .max_iter = 300, .seed = 42};
    anchors_set s1, s2, t1, t2;
    yerr err;
    int rc = 0;
    rc |= anchors_kmeans(b, n, &p, &s1, &err);
    rc |= anchors_kmeans(b, n, &p, &s2, &err);
    CHECK(b && rc == 0 && same_set(&s1, &s2), "same seed: identical anchors and avg IoU");
    CHECK(s1.iters > 2, "the spread data needs several steps (%ld)", s1.iters);
    omp_set_num_threads(1);
    rc |= anchors_kmeans(b, n, &p, &t1, &err);
    omp_set_num_threads(2);
    rc |= anchors_kmeans(b, n, &p, &t2, &err);
    CHECK(rc == 0 && same_set(&t1, &t2) && same_set(&t1, &s1),
          "1 thread and 2 threads: identical anchors and avg IoU");
    p.seed = 43;
    rc |= anchors_kmeans(b, n, &p, &t1, &err);
    CHECK(rc == 0 && !same_set(&t1, &s1), "another seed: another start (and here other anchors)");
    anchors_set one, many;
    p.restarts = 1;
    rc |= anchors_kmeans(b, n, &p, &one, &err);
    p.restarts = 8;
    rc |= anchors_kmeans(b, n, &p, &many, &err);
    CHECK(rc == 0 && many.avg_iou >= one.avg_iou,
          "8 restarts keep a run at least as good as the first (%.6f >= %.6f)", many.avg_iou,
          one.avg_iou);
    free(b);
}

static void test_edges(void)
{
    anchor_wh b[3] = {{0.1, 0.1}, {0.2, 0.2}, {0.3, 0.3}};
    anchors_params p = {.k = 5, .restarts = 1, .max_iter = 10, .seed = 1};
    anchors_set s;
    yerr err = {0};
    CHECK(anchors_kmeans(b, 3, &p, &s, &err) < 0 && err.code == YOLO_EINPUT &&
              strstr(err.msg, "3 boxes for k = 5 anchors"),
          "fewer boxes than k: bad input, saying so (%s)", err.msg);
    CHECK(anchors_kmeans(b, 0, &p, &s, &err) < 0 && err.code == YOLO_EINPUT, "no boxes: bad input");
    anchor_wh same[10];
    for (int i = 0; i < 10; i++)
        same[i] = (anchor_wh){0.3, 0.2};
    p.k = 3;
    CHECK(anchors_kmeans(same, 10, &p, &s, &err) == 0 && s.k == 3 && s.avg_iou == 1 &&
              fabs(s.a[0].w - 0.3) < 1e-12 && fabs(s.a[2].h - 0.2) < 1e-12,
          "ten identical boxes, k = 3: three copies of that size (a mean, to rounding), avg IoU 1");
    p.k = 0;
    CHECK(anchors_kmeans(b, 3, &p, &s, &err) < 0 && err.code == YOLO_EUSAGE, "k = 0 refused");
    p.k = ANCHORS_MAX_K + 1;
    CHECK(anchors_kmeans(b, 3, &p, &s, &err) < 0 && err.code == YOLO_EUSAGE, "k > 100 refused");
}

/* Drops the trailing newline of a printed line (so a TAP line stays whole);
 * 1 if it was there. */
static int chomp(char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || s[n - 1] != '\n')
        return 0;
    s[n - 1] = 0;
    return 1;
}

static void test_cfg_text(void)
{
    anchors_units grid = {.grid = 13}, net = {.pixels = 1, .net_w = 416, .net_h = 320};
    anchors_set s;
    char why[128], *text = NULL;
    size_t len = 0;
    CHECK(anchors_parse_list(" 1.3221, 1.73145, 3.19275,4.00944 ", &grid, &s, why, sizeof why) == 0 &&
              s.k == 2 && s.a[0].w == 1.3221 / 13 && s.a[1].h == 4.00944 / 13,
          "a v2 anchors value parses into fractions of the grid");
    CHECK(anchors_parse_list("10,13,  16,30", &net, &s, why, sizeof why) == 0 && s.k == 2 &&
              s.a[1].w == 16.0 / 416 && s.a[1].h == 30.0 / 320 && s.cfg[3] == 30,
          "a v3 anchors value parses into fractions of the network input, and is kept as given");
    CHECK(anchors_parse_list("1,2,3", &grid, &s, why, sizeof why) < 0 && strstr(why, "pairs"),
          "an odd count is refused (%s)", why);
    CHECK(anchors_parse_list("1,a", &grid, &s, why, sizeof why) < 0, "a word is refused");
    CHECK(anchors_parse_list("1,-2", &grid, &s, why, sizeof why) < 0, "a negative side is refused");
    CHECK(anchors_parse_list("1,2,", &grid, &s, why, sizeof why) == 0 && s.k == 1,
          "a trailing comma is allowed, as darknet's parser allows it");
    CHECK(anchors_parse_list("", &grid, &s, why, sizeof why) < 0, "an empty value is refused");
    long w = 0, h = 0;
    CHECK(anchors_parse_net("608,416", &w, &h) == 0 && w == 608 && h == 416, "--net 608,416");
    CHECK(anchors_parse_net("a,b", &w, &h) < 0 && anchors_parse_net("416", &w, &h) < 0 &&
              anchors_parse_net("0,416", &w, &h) < 0 && anchors_parse_net("416,416,3", &w, &h) < 0,
          "bad --net values are refused");

    s = (anchors_set){.k = 2, .a = {{1.08 / 13, 1.19 / 13}, {3.42 / 13, 4.41 / 13}}};
    anchors_set_units(&s, &grid);
    FILE *f = open_memstream(&text, &len);
    anchors_print_cfg(f, &s, &grid);
    fclose(f);
    CHECK(chomp(text) && strcmp(text, "anchors = 1.08,1.19,  3.42,4.41") == 0, "grid cfg line: '%s'", text);
    free(text);
    s = (anchors_set){.k = 2, .a = {{10.4 / 416, 12.6 / 320}, {0.2 / 416, 30.0 / 320}}};
    anchors_set_units(&s, &net);
    f = open_memstream(&text, &len);
    anchors_print_cfg(f, &s, &net);
    fclose(f);
    CHECK(chomp(text) && strcmp(text, "anchors = 10,13,  1,30") == 0,
          "pixel cfg line: whole numbers, at least 1: '%s'", text);
    free(text);
}

/* A record read back from memory as a stage would see it (so messages name
 * "<mem>: record 0"); its bytes and reader live until src_free. */
typedef struct src {
    char *bytes;
    rec_reader *rd;
} src;

static void src_free(src *s)
{
    rec_reader_free(s->rd);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

static int make_record(rec *out, src *s, int with_size, const box *bx, size_t n, int error)
{
    rec r;
    rec_init(&r);
    yerr err;
    yobj o[4] = {{0}};
    for (size_t i = 0; i < n; i++)
        o[i] = (yobj){.cls = 0, .name = "cell", .name_len = 4, .bbox = bx[i]};
    int rc = rec_set_cstr(&r, "id", "x", &err);
    if (with_size)
        rc |= rec_set_i64(&r, "width", 200, &err) | rec_set_i64(&r, "height", 100, &err);
    if (error)
        rc |= rec_set_cstr(&r, "error", "stage: failed", &err);
    rc |= rec_set_objects(&r, o, n, &err);
    size_t len = 0;
    FILE *f = open_memstream(&s->bytes, &len);
    rec_writer w;
    rec_writer_init(&w, f, "<mem>");
    rc |= rec_write(&w, &r, &err);
    fclose(f);
    rec_free(&r);
    s->rd = rec_reader_new_mem(s->bytes, len, "<mem>", &err);
    return rc | (s->rd && rec_read(s->rd, out, &err) == 1 ? 0 : -1);
}

static void test_collect(void)
{
    box bx[3] = {{10, 10, 50, 30}, {0, 0, 0, 5}, {5, 5, 205, 105}};
    anchors_data d = {0};
    objlist l = {0};
    rec r;
    rec_init(&r);
    src s = {0};
    yerr err = {0};
    CHECK(make_record(&r, &s, 1, bx, 3, 0) == 0 && anchors_add_record(&d, &r, &l, &err) == 0,
          "a record's boxes are collected");
    CHECK(d.n == 2 && d.v[0].w == 0.2 && d.v[0].h == 0.2 && d.v[1].w == 1 && d.v[1].h == 1,
          "sizes are fractions of the image (a box larger than it is kept)");
    CHECK(d.empty_boxes == 1, "a zero-width box is skipped and counted");
    src_free(&s);
    CHECK(make_record(&r, &s, 1, bx, 1, 1) == 0 && anchors_add_record(&d, &r, &l, &err) == 0 &&
              d.n == 2 && d.error_records == 1,
          "a record with 'error' is skipped and counted");
    src_free(&s);
    CHECK(make_record(&r, &s, 0, bx, 0, 0) == 0 && anchors_add_record(&d, &r, &l, &err) == 0 &&
              d.n == 2,
          "a record with objects [] and no image size adds nothing, and is fine");
    src_free(&s);
    CHECK(make_record(&r, &s, 0, bx, 1, 0) == 0 && anchors_add_record(&d, &r, &l, &err) < 0 &&
              err.code == YOLO_EINPUT && strstr(err.msg, "<mem>: record 0: key 'width': missing"),
          "objects without the image size: bad input naming record and key (%s)", err.msg);
    src_free(&s);
    box inv = {10, 10, 5, 20};
    CHECK(make_record(&r, &s, 1, &inv, 1, 0) == 0 && anchors_add_record(&d, &r, &l, &err) < 0 &&
              strstr(err.msg, "key 'objects[0].bbox': x2 < x1"),
          "an inverted box: bad input naming it (%s)", err.msg);
    src_free(&s);
    rec_free(&r);
    objlist_free(&l);
    anchors_data_free(&d);
}

int main(void)
{
    test_avg_iou();
    test_recovers_clusters();
    test_determinism();
    test_edges();
    test_cfg_text();
    test_collect();
    return check_done();
}
