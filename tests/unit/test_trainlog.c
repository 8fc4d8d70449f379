/* Unit tests for the training log (common/run/trainlog.c):
 *   1. lines written read back exactly (resume), and their text
 *   2. NaN and infinity are written as null and read back as NaN
 *   3. part names: any order after the first line, bad or foreign names refused
 *   4. resume + truncate drops later lines and rewrites the file; a last line
 *      cut short by a kill is dropped
 *   5. malformed lines are errors naming file:line
 *   6. the SVG: well-formed (libxml2), one polyline per series, log scale,
 *      empty history; 100000 iterations thinned, a spike kept
 *   7. the progress line and its ETA */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "yolo/run/trainlog.h"

#include "check.h"

static char dir[] = "/tmp/test_trainlog.XXXXXX";

static const char *in_dir(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* The whole file as a string (NULL if unreadable). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0, k;
    do {
        char *p = realloc(s, cap += 65536);
        if (!p)
            break;
        s = p;
        k = fread(s + n, 1, cap - n - 1, f);
        n += k;
    } while (k > 0);
    fclose(f);
    if (s)
        s[n] = 0;
    return s;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static tlog_entry entry(long it, uint64_t seen, double seconds, double total, double xy)
{
    tlog_entry e = {.iteration = it, .seen = seen, .lr = 0.001, .images_per_s = 45.3,
                    .seconds = seconds, .nparts = 2};
    e.names[0] = "total", e.parts[0] = total;
    e.names[1] = "xy", e.parts[1] = xy;
    return e;
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void test_round_trip(void)
{
    const char *path = in_dir("rt.jsonl");
    tlog t;
    yerr err = {0};
    CHECK(tlog_open(&t, path, 0, &err) == 0, "open a new log: %s", err.msg);
    tlog_entry e = entry(1, 64, 1.5, 2.5, 0.25);
    e.images_per_s = 50;
    CHECK(tlog_iteration(&t, &e, &err) == 0, "log iteration 1");
    char *s = slurp(path);
    CHECK(s && strcmp(s, "{\"iteration\":1,\"seen\":64,\"lr\":0.001,\"images_per_s\":50.0,"
                         "\"seconds\":1.5,\"loss\":{\"total\":2.5,\"xy\":0.25}}\n") == 0,
          "the line as documented, flushed at once");
    free(s);
    /* values whose shortest text needs all 17 digits, extremes */
    tlog_entry f = entry(2, UINT64_MAX, 1.0 / 3, 0.1 + 0.2, 1e-310);
    f.lr = 2.0 / 3e7, f.images_per_s = 1e300;
    CHECK(tlog_iteration(&t, &f, &err) == 0, "log iteration 2");
    CHECK(tlog_validation(&t, 2, 1.0 / 7, 0.4321, &err) == 0, "log a validation");
    tlog_free(&t);

    tlog r;
    CHECK(tlog_open(&r, path, 1, &err) == 0, "resume: %s", err.msg);
    CHECK(r.n_it == 2 && r.n_val == 1 && r.nparts == 2, "2 iterations, 1 validation read back");
    if (r.n_it == 2 && r.n_val == 1) {
        const tlog_iter *a = &r.it[1];
        CHECK(a->iteration == 2 && a->seen == UINT64_MAX && same(a->lr, f.lr) &&
                  same(a->images_per_s, 1e300) && same(a->seconds, 1.0 / 3),
              "iteration fields exactly as logged");
        CHECK(same(r.parts[2], 0.1 + 0.2) && same(r.parts[3], 1e-310) &&
                  strcmp(r.names[1], "xy") == 0,
              "loss parts exactly as logged (17 digits, subnormal)");
        CHECK(r.val[0].iteration == 2 && same(r.val[0].val_loss, 1.0 / 7) &&
                  same(r.val[0].map, 0.4321),
              "validation exactly as logged");
    }
    e = entry(3, 192, 4.5, 2.0, 0.2);
    CHECK(tlog_iteration(&r, &e, &err) == 0, "append after resume");
    tlog_free(&r);
    s = slurp(path);
    CHECK(s && count(s, "\n") == 4 && strstr(s, "{\"iteration\":3,"), "appended, not rewritten");
    free(s);

    CHECK(tlog_open(&r, path, 0, &err) == 0 && r.n_it == 0, "open without resume: empty");
    tlog_free(&r);
    s = slurp(path);
    CHECK(s && !*s, "and the file emptied");
    free(s);
}

static void test_nan(void)
{
    const char *path = in_dir("nan.jsonl");
    tlog t;
    yerr err = {0};
    tlog_entry e = entry(5, 10, NAN, INFINITY, -INFINITY);
    e.lr = NAN;
    CHECK(tlog_open(&t, path, 0, &err) == 0 && tlog_iteration(&t, &e, &err) == 0 &&
              tlog_validation(&t, 5, NAN, NAN, &err) == 0,
          "log NaN and infinities");
    tlog_free(&t);
    char *s = slurp(path);
    CHECK(s && strcmp(s, "{\"iteration\":5,\"seen\":10,\"lr\":null,\"images_per_s\":45.3,"
                         "\"seconds\":null,\"loss\":{\"total\":null,\"xy\":null}}\n"
                         "{\"iteration\":5,\"val_loss\":null,\"map\":null}\n") == 0,
          "written as null");
    free(s);
    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_it == 1 && t.n_val == 1, "read back");
    if (t.n_it == 1 && t.n_val == 1)
        CHECK(isnan(t.it[0].lr) && isnan(t.it[0].seconds) && isnan(t.parts[0]) &&
                  isnan(t.parts[1]) && isnan(t.val[0].map) && isnan(t.val[0].val_loss),
              "as NaN");
    tlog_free(&t);
}

static void test_names(void)
{
    tlog t;
    yerr err = {0};
    tlog_open(&t, NULL, 0, &err);
    tlog_entry e = entry(1, 1, 1, 3.0, 0.5);
    CHECK(tlog_iteration(&t, &e, &err) == 0 && t.f == NULL, "history only: no file");
    e.names[0] = "xy", e.parts[0] = 0.4;
    e.names[1] = "total", e.parts[1] = 2.0;
    e.iteration = 2;
    CHECK(tlog_iteration(&t, &e, &err) == 0 && t.n_it == 2 && t.parts[2] == 2.0 &&
              t.parts[3] == 0.4,
          "parts in another order go to their columns");
    e.names[1] = "obj";
    CHECK(tlog_iteration(&t, &e, &err) < 0 && err.code == YOLO_EINPUT &&
              strstr(err.msg, "\"obj\""),
          "a part not in the run: %s", err.msg);
    e.names[1] = "xy";
    CHECK(tlog_iteration(&t, &e, &err) < 0 && strstr(err.msg, "twice"), "a part twice: %s",
          err.msg);
    e.nparts = 1;
    CHECK(tlog_iteration(&t, &e, &err) < 0 && err.code == YOLO_EINPUT, "fewer parts: %s",
          err.msg);
    e.nparts = TLOG_MAX_PARTS + 1;
    CHECK(tlog_iteration(&t, &e, &err) < 0 && err.code == YOLO_EINPUT, "too many parts");
    tlog_free(&t);
    const char *bad[] = {"", "a\nb", "this_name_is_far_too_long_for_a_part", "\xff"};
    for (int i = 0; i < 4; i++) {
        tlog_open(&t, NULL, 0, &err);
        e = entry(1, 1, 1, 3.0, 0.5);
        e.names[1] = bad[i];
        CHECK(tlog_iteration(&t, &e, &err) < 0 && err.code == YOLO_EINPUT && t.n_it == 0,
              "bad part name %d refused: %s", i, err.msg);
        tlog_free(&t);
    }
    /* a run that logs no loss parts at all */
    const char *path = in_dir("noparts.jsonl");
    CHECK(tlog_open(&t, path, 0, &err) == 0, "open");
    for (long i = 1; i <= 3; i++) {
        e = entry(i, 1, 1, 3.0, 0.5);
        e.nparts = 0;
        CHECK(tlog_iteration(&t, &e, &err) == 0, "iteration %ld without parts", i);
    }
    CHECK(tlog_truncate(&t, 2, &err) == 0 && t.n_it == 2, "truncate it");
    CHECK(tlog_plot(&t, in_dir("noparts.svg"), NULL, &err) == 0, "plot it");
    tlog_free(&t);
    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_it == 2 && t.nparts == 0,
          "read back: %s", err.msg);
    char buf[100];
    tlog_progress(&t, 10, buf, sizeof buf);
    CHECK(strcmp(buf, "iter 2/10 (20%)  lr 0.00100  45.3 img/s") == 0, "progress: %s", buf);
    tlog_free(&t);
    tlog_open(&t, NULL, 0, &err);
    e = entry(-1, 1, 1, 3.0, 0.5);
    CHECK(tlog_iteration(&t, &e, &err) < 0 && tlog_validation(&t, -2, 1, 1, &err) < 0,
          "negative iterations refused");
    tlog_free(&t);
}

static void test_truncate(void)
{
    const char *path = in_dir("tr.jsonl");
    tlog t;
    yerr err = {0};
    int ok = tlog_open(&t, path, 0, &err) == 0;
    for (long i = 1; ok && i <= 10; i++) {
        tlog_entry e = entry(i, (uint64_t)i * 64, (double)i, 10.0 / (double)i, 1.0 / (double)i);
        ok = tlog_iteration(&t, &e, &err) == 0 &&
             (i % 5 || tlog_validation(&t, i, 1.0 / (double)i, 0.1 * (double)i, &err) == 0);
    }
    tlog_free(&t);
    CHECK(ok, "10 iterations and 2 validations logged");
    char *before = slurp(path);

    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_it == 10 && t.n_val == 2, "resumed");
    CHECK(tlog_truncate(&t, 10, &err) == 0, "truncate at the end");
    char *s = slurp(path);
    CHECK(s && before && strcmp(s, before) == 0, "drops nothing, file untouched");
    free(s);
    CHECK(tlog_truncate(&t, 6, &err) == 0 && t.n_it == 6 && t.n_val == 1,
          "truncate at 6: 6 iterations, 1 validation left");
    s = slurp(path);
    CHECK(s && count(s, "\n") == 7 && !strstr(s, "\"iteration\":7,") &&
              !strstr(s, "\"iteration\":10,"),
          "the file rewritten without them");
    CHECK(s && before && strncmp(s, before, strlen(s)) == 0,
          "the kept lines byte for byte as first written (order too)");
    free(s);
    CHECK(access(in_dir("tr.jsonl.tmp"), F_OK) != 0, "no temporary file left");
    tlog_entry e = entry(7, 7 * 64, 7.5, 1.5, 0.15);
    CHECK(tlog_iteration(&t, &e, &err) == 0, "the redone iteration 7 appended: %s", err.msg);
    tlog_free(&t);
    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_it == 7 && t.it[6].seconds == 7.5,
          "read back: 7 iterations, the new 7th");
    CHECK(tlog_truncate(&t, 0, &err) == 0 && t.n_it == 0 && t.n_val == 0, "truncate to none");
    tlog_free(&t);
    s = slurp(path);
    CHECK(s && !*s, "an empty file");
    free(s);
    free(before);

    /* a kill in the middle of a line */
    spit(path, "{\"iteration\":1,\"seen\":1,\"lr\":0.1,\"images_per_s\":1.0,\"seconds\":1.0,"
               "\"loss\":{\"total\":1.0}}\n{\"iteration\":2,\"seen\":2,\"lr\":0.1,\"ima");
    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_it == 1, "a cut last line is dropped: %s",
          err.msg);
    tlog_free(&t);
    s = slurp(path);
    CHECK(s && count(s, "\n") == 1 && s[strlen(s) - 1] == '\n', "and the file rewritten");
    free(s);
    /* a complete last line that only lacks its newline is kept */
    spit(path, "{\"iteration\":3,\"val_loss\":1.0,\"map\":0.5}");
    CHECK(tlog_open(&t, path, 1, &err) == 0 && t.n_val == 1 &&
              tlog_validation(&t, 4, 1, 1, &err) == 0,
          "a last line without newline kept");
    tlog_free(&t);
    s = slurp(path);
    CHECK(s && count(s, "\n") == 2, "and the next line starts on a line of its own");
    free(s);
    CHECK(tlog_open(&t, in_dir("missing.jsonl"), 1, &err) == 0 && t.n_it == 0,
          "resuming a log that does not exist starts one");
    tlog_free(&t);
    if (tlog_open(&t, "/dev/full", 0, &err) == 0) {
        e = entry(1, 1, 1, 1, 1);
        CHECK(tlog_iteration(&t, &e, &err) < 0 && err.code == YOLO_EIO &&
                  strstr(err.msg, "/dev/full: write error"),
              "a full disk: %s", err.msg);
        CHECK(tlog_validation(&t, 1, 1, 1, &err) < 0 && err.code == YOLO_EIO,
              "for validation lines too");
        tlog_free(&t);
    }
    CHECK(tlog_open(&t, in_dir("no/such/dir.jsonl"), 0, &err) < 0 && err.code == YOLO_EIO,
          "unwritable path: %s", err.msg);
}

static void test_malformed(void)
{
    const char *good = "{\"iteration\":1,\"seen\":1,\"lr\":0.1,\"images_per_s\":1.0,"
                       "\"seconds\":1.0,\"loss\":{\"total\":1.0,\"xy\":0.5}}\n";
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{\"iteration\":2,", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"iteration\":2,\"val_loss\":1.0,\"map\":0.5,\"x\":1}", "unknown key \"x\""},
        {"{\"iteration\":2,\"val_loss\":1.0}", "key \"map\" missing"},
        {"{\"iteration\":2,\"iteration\":3,\"val_loss\":1.0,\"map\":1}", "twice"},
        {"{\"iteration\":-2,\"val_loss\":1.0,\"map\":0.5}", "iteration: an integer"},
        {"{\"iteration\":2.5,\"val_loss\":1.0,\"map\":0.5}", "iteration: an integer"},
        {"{\"iteration\":2,\"val_loss\":\"1.0\",\"map\":0.5}", "val_loss: a finite number"},
        {"{\"iteration\":2,\"val_loss\":1e999,\"map\":0.5}", "val_loss: a finite number"},
        {"{\"iteration\":2,\"seen\":1,\"lr\":0.1,\"images_per_s\":1.0,\"seconds\":1.0,"
         "\"loss\":{\"total\":1.0,\"obj\":0.5}}", "\"obj\""},
        {"{\"iteration\":2,\"seen\":1,\"lr\":0.1,\"images_per_s\":1.0,\"seconds\":1.0,"
         "\"loss\":{\"total\":1.0,\"xy\":true}}", "loss.xy"},
        {"{\"iteration\":2,\"seen\":1,\"lr\":0.1,\"images_per_s\":1.0,\"seconds\":1.0,"
         "\"loss\":[1]}", "loss: an object"},
        {"{\"iteration\":2,\"seen\":18446744073709551616,\"lr\":0.1,\"images_per_s\":1.0,"
         "\"seconds\":1.0,\"loss\":{\"total\":1.0,\"xy\":0.5}}", "seen: an integer"},
    };
    const char *path = in_dir("bad.jsonl");
    char text[1024], want[300];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s\n%s\n%s", good, cases[i].line, good);
        spit(path, text);
        tlog t;
        yerr err = {0};
        snprintf(want, sizeof want, "%s:3: ", path);
        int rc = tlog_open(&t, path, 1, &err);
        CHECK(rc < 0 && err.code == YOLO_EINPUT && strncmp(err.msg, want, strlen(want)) == 0 &&
                  strstr(err.msg, cases[i].want) && t.path == NULL,
              "bad line %zu: %s", i, err.msg);
    }
}

/* Points in the polyline after *s; *s moved past it. -1 when none left. */
static long next_polyline(const char **s, double *min_y)
{
    const char *p = strstr(*s, "<polyline");
    if (!p || !(p = strstr(p, "points=\"")))
        return -1;
    p += 8;
    long n = 0;
    *min_y = INFINITY;
    for (double x, y; sscanf(p, "%lf,%lf", &x, &y) == 2; n++) {
        *min_y = fmin(*min_y, y);
        p = strchr(p, ' ') + 1;
    }
    *s = p;
    return n;
}

static int xml_ok(const char *path)
{
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
    int ok = d && xmlDocGetRootElement(d) &&
             strcmp((const char *)xmlDocGetRootElement(d)->name, "svg") == 0;
    xmlFreeDoc(d);
    return ok;
}

static void test_plot(void)
{
    static const char *const names[] = {"total", "xy", "wh", "obj", "noobj", "class",
                                        "avg_iou", "recall50", "count"};
    tlog t;
    yerr err = {0};
    tlog_open(&t, NULL, 0, &err);
    int ok = 1;
    for (long i = 0; ok && i < 300; i++) {
        tlog_entry e = {.iteration = i, .seen = (uint64_t)i * 64, .lr = 1e-3,
                        .images_per_s = 40, .seconds = (double)i, .nparts = 9};
        for (int j = 0; j < 9; j++) {
            e.names[j] = names[j];
            e.parts[j] = j == 0 ? 50.0 / (1 + (double)i) : j < 6 ? 8.0 / (j + 0.01 * (double)i)
                       : j < 8 ? 0.002 * (double)i : 3;
        }
        ok = tlog_iteration(&t, &e, &err) == 0 &&
             (i % 50 || tlog_validation(&t, i, 40.0 / (1 + 0.1 * (double)i), (double)i / 400, &err) == 0);
    }
    CHECK(ok, "300 iterations of 9 parts");
    const char *svg = in_dir("loss.svg");
    CHECK(tlog_plot(&t, svg, NULL, &err) == 0, "plot: %s", err.msg);
    char *s = slurp(svg);
    CHECK(s && strncmp(s, "<?xml", 5) == 0 && strstr(s, "<svg ") &&
              strcmp(s + strlen(s) - 7, "</svg>\n") == 0,
          "an SVG document, ending with </svg>");
    CHECK(count(s, "<polyline") == 9, "9 polylines: 6 losses, avg_iou, recall50, mAP (%zu)",
          count(s, "<polyline"));
    CHECK(s && !strstr(s, ">count<") && strstr(s, ">avg_iou<") && strstr(s, ">val_loss<") &&
              strstr(s, ">mAP<"),
          "legend: count hidden; avg_iou, val_loss, mAP shown");
    CHECK(count(s, "stroke-width=\"2.5\"") == 2, "total bold (line and legend)");
    CHECK(s && strstr(s, "(log scale)"), "losses 0.17..50 span three decades: log scale");
    CHECK(s && !strstr(s, "nan") && !strstr(s, "inf"), "no nan or inf in coordinates");
    CHECK(xml_ok(svg), "libxml2 parses it, root <svg>");
    CHECK(access(in_dir("loss.svg.tmp"), F_OK) != 0, "no temporary file left");
    free(s);

    static const char *const only[] = {"xy", "wh", "obj", "noobj", "class", "avg_iou",
                                       "recall50", "count", NULL};
    tlog_plot_cfg cfg = {"My <run> & co", NULL, only};
    CHECK(tlog_plot(&t, svg, &cfg, &err) == 0, "plot total alone");
    s = slurp(svg);
    CHECK(s && count(s, "<polyline") == 2 && strstr(s, "My &lt;run&gt; &amp; co"),
          "2 polylines (total, mAP), title escaped");
    free(s);
    CHECK(xml_ok(svg), "still well-formed");
    tlog_free(&t);

    tlog_open(&t, NULL, 0, &err);
    CHECK(tlog_plot(&t, svg, NULL, &err) == 0 && xml_ok(svg), "an empty history plots");
    s = slurp(svg);
    CHECK(s && count(s, "<polyline") == 0 && strstr(s, "no iterations"), "with no lines");
    free(s);
    tlog_entry e = entry(7, 64, 1, 2.0, 0.5);
    tlog_iteration(&t, &e, &err);
    CHECK(tlog_plot(&t, svg, NULL, &err) == 0 && xml_ok(svg), "one iteration plots");
    s = slurp(svg);
    CHECK(s && count(s, "<polyline") == 2 && count(s, "r=\"2\"") == 2,
          "each one-point line also drawn as a dot");
    free(s);
    CHECK(tlog_plot(&t, in_dir("no/dir.svg"), NULL, &err) < 0 && err.code == YOLO_EIO,
          "unwritable plot path: %s", err.msg);
    tlog_free(&t);
}

static void test_plot_big(void)
{
    tlog t;
    yerr err = {0};
    tlog_open(&t, NULL, 0, &err);
    int ok = 1;
    uint64_t x = 88172645463325252ull;
    for (long i = 1; ok && i <= 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        tlog_entry e = entry(i, (uint64_t)i * 64, (double)i, i == 61234 ? 5.0 : 1.0,
                             0.5 + (double)(x % 1000) / 4000);
        ok = tlog_iteration(&t, &e, &err) == 0;
    }
    CHECK(ok, "100000 iterations");
    const char *svg = in_dir("big.svg");
    CHECK(tlog_plot(&t, svg, NULL, &err) == 0, "plot them");
    char *s = slurp(svg);
    const char *p = s;
    double min_y[2] = {0};
    long n0 = next_polyline(&p, &min_y[0]), n1 = next_polyline(&p, &min_y[1]);
    CHECK(n0 > 700 && n0 <= 1440 && n1 > 700 && n1 <= 1440,
          "each series thinned to at most 1440 points (%ld, %ld)", n0, n1);
    CHECK(min_y[1] == 60.0, "the one-iteration spike to 5.0 kept: at the top (y %.1f)", min_y[1]);
    CHECK(s && !strstr(s, "(log scale)"), "losses 0.5..5: a linear axis");
    CHECK(s && strlen(s) < 100000, "the file stays small (%zu bytes)", s ? strlen(s) : 0);
    CHECK(xml_ok(svg), "well-formed");
    free(s);
    tlog_free(&t);
}

static void progress_case(const tlog *t, long max, const char *want)
{
    char buf[160];
    tlog_progress(t, max, buf, sizeof buf);
    CHECK(strcmp(buf, want) == 0, "progress \"%s\"", buf);
}

static void test_progress(void)
{
    char b[32];
    static const struct {
        double s;
        const char *want;
    } hms[] = {{0, "0s"}, {59.4, "59s"}, {59.6, "1m00s"}, {754, "12m34s"}, {3723, "1h02m03s"},
               {NAN, "-"}, {-1, "-"}, {1e9, ">999h"}};
    for (size_t i = 0; i < sizeof hms / sizeof *hms; i++) {
        tlog_hms(hms[i].s, b, sizeof b);
        CHECK(strcmp(b, hms[i].want) == 0, "hms %g: %s", hms[i].s, b);
    }
    tlog t;
    yerr err = {0};
    tlog_open(&t, NULL, 0, &err);
    progress_case(&t, 4000, "no iterations yet");
    tlog_entry e = entry(100, 6400, 100, 3.5, 1);
    tlog_iteration(&t, &e, &err);
    progress_case(&t, 4000, "iter 100/4000 (2%)  loss 3.5  lr 0.00100  45.3 img/s");
    e = entry(120, 7680, 120, 3.21449, 1);
    tlog_iteration(&t, &e, &err);
    progress_case(&t, 4000, "iter 120/4000 (3%)  loss 3.214  lr 0.00100  45.3 img/s  ETA 1h04m40s");
    progress_case(&t, 0, "iter 120  loss 3.214  lr 0.00100  45.3 img/s");
    progress_case(&t, 120, "iter 120/120 (100%)  loss 3.214  lr 0.00100  45.3 img/s");
    /* a resumed run whose clock restarted: only the steps after it count */
    e = entry(130, 0, 5, 3, 1);
    tlog_iteration(&t, &e, &err);
    progress_case(&t, 200, "iter 130/200 (65%)  loss 3  lr 0.00100  45.3 img/s");
    e = entry(140, 0, 25, 3, 1);
    e.lr = 1e-5, e.images_per_s = NAN;
    tlog_iteration(&t, &e, &err);
    progress_case(&t, 200, "iter 140/200 (70%)  loss 3  lr 1.00e-05  ETA 2m00s");
    char small[10];
    tlog_progress(&t, 200, small, sizeof small);
    CHECK(strcmp(small, "iter 140/") == 0, "a small buffer is cut, terminated: %s", small);
    tlog_free(&t);
}

int main(void)
{
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    test_round_trip();
    test_nan();
    test_names();
    test_truncate();
    test_malformed();
    test_plot();
    test_plot_big();
    test_progress();
    xmlCleanupParser();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return check_done();
}
