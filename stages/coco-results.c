/* coco-results: detection records to a COCO results JSON array; the work is
 * in common/post/cocores.c. */
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/post/cocores.h"

enum { OPT_IMAGE_ID_FROM = 1, OPT_CATEGORY_IDS, OPT_CATEGORY_ID_OFFSET };

typedef struct cr_cfg {
    cocores_ids ids;
    const char *cat_file;
} cr_cfg;

static const cli_opt opts[] = {
    {OPT_IMAGE_ID_FROM, "image-id-from", 0, "WHAT",
     "coco_id (the record's, from coco-parse; default) or stem (the image file's name)"},
    {OPT_CATEGORY_IDS, "category-ids", 0, "FILE",
     "class k's COCO category id on the k-th line (instead of coco_category_ids)"},
    {OPT_CATEGORY_ID_OFFSET, "category-id-offset", 0, "N",
     "class k's category id is k + N (instead of coco_category_ids)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "coco-results",
    .args = "[FILE]...",
    .summary = "Write the detections of a record stream (FILEs in turn, or standard input) as\n"
               "a COCO results file: one JSON array of {image_id, category_id, bbox, score}.",
    .details =
        "Reads each record's `detections` (after nms); bbox [x, y, w, h] in the original\n"
        "image's pixels, (x, y) the top-left corner, w = x2 - x1, h = y2 - y1; numbers\n"
        "with the shortest digits that read back as the same double (no rounding).\n"
        "image_id: the record's `coco_id` (coco-parse keeps the COCO image id), or with\n"
        "--image-id-from stem the number the image file is named by (000000397133.jpg).\n"
        "category_id: `coco_category_ids`[class] (coco-parse writes the list), or from\n"
        "--category-ids / --category-id-offset, which win over it. A record with\n"
        "detections and no way to either id is an error (exit 2) naming it; records\n"
        "with `error` are skipped and counted. One element a line, written record by\n"
        "record: on an error the array is left unclosed (the elements before the bad\n"
        "record are whole), so no JSON reader takes the file for a complete one; no\n"
        "detections at all is `[]`. eval-map --results evaluates the file.",
    .opts = opts,
    .reads_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    cr_cfg *g = ctx;
    long v;
    switch (id) {
    case OPT_IMAGE_ID_FROM:
        if (cocores_parse_image_from(arg, &g->ids.image_from) < 0)
            return cli_usage_error(c, "option --image-id-from: '%s' is not coco_id or stem", arg);
        return 0;
    case OPT_CATEGORY_IDS: g->cat_file = arg; return 0;
    case OPT_CATEGORY_ID_OFFSET:
        if (cli_long(c, "category-id-offset", arg, -1000000000L, 1000000000L, &v) < 0)
            return -1;
        g->ids.has_offset = 1;
        g->ids.offset = v;
        return 0;
    }
    return -1;
}

/* The record loop: each record's elements written whole. */
static int run(cli *c, cocores_writer *w, long *errors, yerr *err)
{
    rec r;
    rec_init(&r);
    ybuf b = {0};
    int rc;
    while ((rc = cli_read(c, &r, err)) == 1) {
        b.len = 0;
        if (rec_has(&r, "error")) {
            (*errors)++;
            continue;
        }
        if ((rc = cocores_put_record(w, &r, &b, err)) < 0)
            break;
        if (b.len && fwrite(b.p, 1, b.len, c->outf) != b.len) {
            rc = yerr_set(err, YOLO_EIO, "%s: write error", c->outname);
            break;
        }
    }
    b.len = 0;
    if (rc == 0 && (cocores_put_end(w, &b) < 0 || fwrite(b.p, 1, b.len, c->outf) != b.len))
        rc = yerr_set(err, YOLO_EIO, "%s: write error", c->outname);
    ybuf_free(&b);
    rec_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    cr_cfg g = {{0}, NULL};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    if (g.cat_file && g.ids.has_offset) {
        cli_usage_error(&c, "--category-ids and --category-id-offset: one or the other");
        return c.status;
    }
    yerr err;
    long errors = 0;
    int rc = g.cat_file ? cocores_load_category_ids(&g.ids, g.cat_file, &err) : 0;
    cocores_writer w = {.ids = g.ids};
    if (rc < 0 || run(&c, &w, &errors, &err) < 0)
        cli_fail(&c, &err);
    if (errors)
        cli_warn(&c, "skipped %ld record%s with 'error' set", errors, errors == 1 ? "" : "s");
    cocores_writer_free(&w);
    cocores_ids_free(&g.ids);
    return cli_finish(&c);
}
