/* coco-parse: a COCO instances JSON file to records, one per image. */
#include <unistd.h>

#include "yolo/base/parse.h"
#include "yolo/cli/cli.h"
#include "yolo/data/coco.h"

enum { OPT_IMAGES = 1, OPT_SKIP_EMPTY, OPT_SHARD, OPT_STRICT };

typedef struct cp_cfg {
    coco_opts o;
    long shard_k, shard_n;   /* --shard: part k of n of "images" */
} cp_cfg;

static const cli_opt opts[] = {
    {OPT_IMAGES, "images", 'i', "DIR", "the folder the file_names are in (image = DIR/file_name)"},
    {OPT_SKIP_EMPTY, "skip-empty", 0, NULL, "leave out images without objects"},
    {OPT_SHARD, "shard", 0, "K/N", "only part K of N of the images listed (0 <= K < N)"},
    {OPT_STRICT, "strict", 0, NULL, "stop (exit 2) at the first entry that has to be skipped"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "coco-parse",
    .args = "[FILE]",
    .summary = "Read a COCO instances JSON file (annotations/instances_*.json, or standard\n"
               "input) and write one record per image, in the order of \"images\".",
    .details =
        "Records: id (the COCO image id, as a string), image, width, height, coco_id,\n"
        "coco_category_ids (the category id of class 0, 1, ...: what coco-results\n"
        "writes), objects (class = rank of the category id, name, bbox [x, y, x+w, y+h],\n"
        "iscrowd, area); no objects key when the file has no \"annotations\". Entries that cannot\n"
        "be used (an annotation whose image or category is missing, a box with a\n"
        "negative size, a missing field, a repeated id) are skipped with a warning and\n"
        "counted, unless --strict. Segmentations are not read. See docs/records.md.\n"
        PARSE_SHARD_HELP "\nThe images listed: the entries of \"images\" (those kept).",
    .opts = opts,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    cp_cfg *g = ctx;
    switch (id) {
    case OPT_IMAGES: g->o.images_dir = arg; break;
    case OPT_SKIP_EMPTY: g->o.skip_empty = 1; break;
    case OPT_STRICT: g->o.strict = 1; break;
    case OPT_SHARD:
        if (parse_shard(arg, &g->shard_k, &g->shard_n) < 0)
            return cli_usage_error(c, "option --shard: '%s' is not K/N with 0 <= K < N", arg);
        break;
    }
    return 0;
}

static void warn(void *ctx, const char *msg) { cli_warn(ctx, "%s", msg); }

/* Parses the input, then writes the records of its shard. */
static int run(cli *c, const cp_cfg *g, yerr *err)
{
    const char *name;
    int fd = cli_open_input(c, 0, &name, err);
    if (fd < 0)
        return -1;
    coco *d = coco_new(name, &g->o, err);
    int rc = d ? coco_read_fd(d, fd, err) : -1;
    if (fd != STDIN_FILENO)
        close(fd);
    rec r;
    rec_init(&r);
    size_t lo = 0, hi = 0;
    if (rc == 0)
        parse_shard_range(g->shard_k, g->shard_n, coco_count(d), &lo, &hi);
    c->total = rc < 0 ? -1 : (long)(hi - lo);
    for (size_t i = lo; rc == 0 && i < hi; i++) {
        int k = coco_record(d, i, &r, err);
        rc = k < 0 || (k == 1 && rec_write(&c->out, &r, err) < 0) ? -1 : 0;
        cli_tick(c);
    }
    char sum[256];
    if (rc == 0 && coco_summary(d, sum, sizeof sum))
        cli_warn(c, "%s", sum);
    rec_free(&r);
    coco_free(d);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    cp_cfg g = {.o = {.warn = warn}, .shard_n = 1};
    cli_init(&c, &desc);
    g.o.warn_ctx = &c;
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    if (c.nfiles > 1) {
        cli_usage_error(&c, "one input file at most (got %d)", c.nfiles);
        return c.status;
    }
    yerr err;
    if (run(&c, &g, &err) < 0)
        cli_fail(&c, &err);
    return cli_finish(&c);
}
