/* eval-map: per-class AP and mAP of a stream's detections against its
 * ground truth, in the VOC2007, VOC2010+ and COCO conventions; the work is
 * in common/post/evalmap.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/post/cocores.h"
#include "yolo/post/evalmap.h"

enum {
    OPT_JSON = 1, OPT_METRIC, OPT_NAMES, OPT_IOU, OPT_MAX_DETS, OPT_STRICT, OPT_RESULTS,
    OPT_IMAGE_ID_FROM, OPT_CATEGORY_IDS, OPT_CATEGORY_ID_OFFSET
};

typedef struct em_cfg {
    eval_params p;
    int json, strict;
    const char *names;
    const char *results;   /* --results: detections from this COCO results file */
    cocores_ids ids;
    const char *cat_file;
} em_cfg;

static const cli_opt opts[] = {
    {OPT_JSON, "json", 0, NULL, "print one JSON object instead of the table"},
    {OPT_METRIC, "metric", 0, "LIST",
     "conventions to compute, comma-separated: voc07, voc10, coco (default all)"},
    {OPT_NAMES, "names", 0, "FILE", "class names (darknet .names): fixes the class list"},
    {OPT_IOU, "iou", 0, "T", "VOC: a match needs IoU > T (default 0.5)"},
    {OPT_MAX_DETS, "max-dets", 0, "N", "COCO: best detections kept per image and class (default 100)"},
    {OPT_STRICT, "strict", 0, NULL, "a record without 'objects' is an error (exit 2)"},
    {OPT_RESULTS, "results", 0, "FILE",
     "detections from a COCO results file (any detector's), not from the records"},
    {OPT_IMAGE_ID_FROM, "image-id-from", 0, "WHAT",
     "--results: a record's image id is its coco_id (default) or its image's stem"},
    {OPT_CATEGORY_IDS, "category-ids", 0, "FILE",
     "--results: class k's category id on the k-th line (instead of coco_category_ids)"},
    {OPT_CATEGORY_ID_OFFSET, "category-id-offset", 0, "N",
     "--results: class k's category id is k + N (instead of coco_category_ids)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "eval-map",
    .args = "[FILE]...",
    .summary = "Average precision of the detections in a record stream (FILEs in turn, or\n"
               "standard input) against its ground truth: per class, and the mean.",
    .details =
        "Reads `objects` (the truth) and `detections` of every record; a record without\n"
        "`detections` is an image with no detections, one without `objects` is not\n"
        "annotated and is skipped with a warning (an error with --strict), and records with\n"
        "`error` are skipped and counted. Conventions:\n"
        "  voc07  VOC2007 11-point AP; voc10  VOC2010+ all-point AP (area under the\n"
        "         monotone precision envelope); both as py-faster-rcnn's voc_eval.py\n"
        "         (IoU > --iou; 'difficult' and 'iscrowd' truths neither TP nor FP).\n"
        "  coco   AP over IoU .50:.05:.95 and 101 recall points, AP50, AP75, AP small /\n"
        "         medium / large (annotation `area`, else box area), --max-dets per image\n"
        "         and class, as pycocotools ('iscrowd' matched by intersection over the\n"
        "         detection's area, 'difficult' ignored). Every truth can be matched:\n"
        "         pycocotools counts a match to an annotation whose id is 0 as a miss.\n"
        "Ties in score are broken by stream order. A class with no truth that counts has\n"
        "no AP (-, or null in JSON) and is left out of the means, as pycocotools does.\n"
        "Classes: those of --names, else every class seen in `objects` or `detections`,\n"
        "named by their `name` (two names for one class are an error).\n"
        "--results FILE: the records give the truth only, and the detections are FILE's\n"
        "(a JSON array of {image_id, category_id, bbox [x, y, w, h], score}, as\n"
        "coco-results writes and pycocotools' loadRes reads), matched to the records by\n"
        "image id and to classes by category id, as coco-results numbers them. An\n"
        "image_id or category_id the records do not have, a bad bbox or score, a missing\n"
        "key are errors (exit 2) naming FILE and the element ([12].bbox).\n"
        "--json prints {\"voc07\": {\"map\", \"ap\": {NAME: AP}}, \"voc10\": {...}, \"coco\":\n"
        "{\"ap\", \"ap50\", \"ap75\", \"ap_small\", \"ap_medium\", \"ap_large\", \"ap_per_class\"}}.",
    .opts = opts,
    .reads_records = 1,
};

static int parse_metrics(const char *s, int *out)
{
    *out = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 5 && !strncmp(s, "voc07", 5))
            *out |= EVAL_VOC07;
        else if (n == 5 && !strncmp(s, "voc10", 5))
            *out |= EVAL_VOC10;
        else if (n == 4 && !strncmp(s, "coco", 4))
            *out |= EVAL_COCO;
        else
            return -1;
        s += n + (s[n] == ',');
    }
    return *out ? 0 : -1;
}

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    em_cfg *g = ctx;
    long v;
    switch (id) {
    case OPT_JSON: g->json = 1; return 0;
    case OPT_STRICT: g->strict = 1; return 0;
    case OPT_NAMES: g->names = arg; return 0;
    case OPT_RESULTS: g->results = arg; return 0;
    case OPT_CATEGORY_IDS: g->cat_file = arg; return 0;
    case OPT_IMAGE_ID_FROM:
        if (cocores_parse_image_from(arg, &g->ids.image_from) < 0)
            return cli_usage_error(c, "option --image-id-from: '%s' is not coco_id or stem", arg);
        return 0;
    case OPT_CATEGORY_ID_OFFSET:
        if (cli_long(c, "category-id-offset", arg, -1000000000L, 1000000000L, &v) < 0)
            return -1;
        g->ids.has_offset = 1;
        g->ids.offset = v;
        return 0;
    case OPT_IOU: return cli_double(c, "iou", arg, 0, 0.999999, &g->p.voc_iou);
    case OPT_METRIC:
        if (parse_metrics(arg, &g->p.metrics) < 0)
            return cli_usage_error(c, "option --metric: '%s' is not a list of voc07, voc10, coco",
                                   arg);
        return 0;
    case OPT_MAX_DETS:
        if (cli_long(c, "max-dets", arg, 1, 1000000, &v) < 0)
            return -1;
        g->p.max_dets = (int)v;
        return 0;
    }
    return -1;
}

static const yrep_kind kinds[] = {{"record without 'objects' skipped", "records without 'objects' skipped"}};

/* The record loop: 0 at the end of the stream, -1 with err. With t
 * (--results), each record's ids are noted too. */
static int read_all(cli *c, eval_data *d, cocores_truth *t, yrep_problems *pr, yerr *err)
{
    rec r;
    rec_init(&r);
    int rc;
    while ((rc = cli_read(c, &r, err)) == 1) {
        long img = d->images;
        rc = eval_add_record(d, &r, err);
        if (t && rc >= 0 && cocores_truth_add(t, &r, rc == 1 ? img : -1, err) < 0)
            rc = -1;
        if (rc == 2)
            rc = yrep_problem(&c->rep, pr, 0, "skipped", err, "%s: record %ld: no 'objects' (not annotated)",
                              r.src, r.index);
        if (rc < 0)
            break;
    }
    rec_free(&r);
    return rc;
}

/* --results: the file's detections, after the truth. */
static int load_results(cli *c, const em_cfg *g, eval_data *d, cocores_truth *t, yerr *err)
{
    long skipped;
    if (cocores_truth_results(t, d, g->results, &skipped, err) < 0)
        return -1;
    if (skipped)
        cli_warn(c, "%s: %ld result%s on skipped records left out", g->results, skipped,
                 skipped == 1 ? "" : "s");
    return 0;
}

static int report(cli *c, const em_cfg *g, const eval_data *d, yerr *err)
{
    eval_result res;
    if (eval_run(d, &g->p, &res, err) < 0)
        return -1;
    int rc = 0;
    if (g->json) {
        ybuf b = {0};
        rc = eval_json(&b, d, &res, g->p.metrics);
        if (rc == 0 && fwrite(b.p, 1, b.len, c->outf) != b.len)
            rc = -1;
        ybuf_free(&b);
    } else {
        rc = eval_table(c->outf, d, &res, g->p.metrics);
    }
    eval_result_free(&res);
    return rc < 0 ? yerr_set(err, YOLO_EIO, "%s: %s", c->outname, strerror(errno)) : 0;
}

int main(int argc, char **argv)
{
    cli c;
    em_cfg g = {.p = {.metrics = EVAL_ALL, .voc_iou = 0.5, .max_dets = 100}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    if (!g.results && (g.cat_file || g.ids.has_offset || g.ids.image_from)) {
        cli_usage_error(&c, "--image-id-from, --category-ids and --category-id-offset go with "
                            "--results");
        return c.status;
    }
    if (g.cat_file && g.ids.has_offset) {
        cli_usage_error(&c, "--category-ids and --category-id-offset: one or the other");
        return c.status;
    }
    yerr err;
    names nm = {0};
    if ((g.names && names_load(&nm, g.names, &err) < 0) ||
        (g.cat_file && cocores_load_category_ids(&g.ids, g.cat_file, &err) < 0)) {
        names_free(&nm);
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    eval_data d;
    eval_data_init(&d, g.names ? &nm : NULL);
    d.truths_only = g.results != NULL;
    cocores_truth t = {.ids = g.ids};
    yrep_problems pr = {.kinds = kinds, .n = 1, .strict = g.strict};
    int rc = read_all(&c, &d, g.results ? &t : NULL, &pr, &err);
    if (d.error_records)
        cli_warn(&c, "skipped %ld record%s with 'error' set", d.error_records,
                 d.error_records == 1 ? "" : "s");
    yrep_summary(&c.rep, &pr);
    if (rc == 0 && g.results)
        rc = load_results(&c, &g, &d, &t, &err);
    if (rc == 0)
        rc = report(&c, &g, &d, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    cocores_truth_free(&t);
    cocores_ids_free(&g.ids);
    eval_data_free(&d);
    return cli_finish(&c);
}
