/* voc-parse: a Pascal VOC dataset (devkit folders, or annotation files) to
 * records, one per image: id, image, width, height, objects. */
#include "yolo/base/parse.h"
#include "yolo/cli/cli.h"
#include "yolo/data/voc.h"

enum { OPT_CLASSES = 1, OPT_SPLIT, OPT_ANN, OPT_IMG, OPT_SKIP_DIFFICULT, OPT_SHARD, OPT_STRICT };

static const cli_opt opts[] = {
    {OPT_CLASSES, "classes", 'c', "FILE",
     "class names, one a line (darknet .names); default: see below"},
    {OPT_SPLIT, "split", 's', "SPLIT",
     "the images of ImageSets/Main/SPLIT.txt (train, val, test, ...)"},
    {OPT_ANN, "annotations", 0, "DIR", "a devkit's annotations folder, if not Annotations"},
    {OPT_IMG, "images", 0, "DIR", "a devkit's images folder, if not JPEGImages"},
    {OPT_SKIP_DIFFICULT, "skip-difficult", 0, NULL, "leave out objects marked difficult"},
    {OPT_SHARD, "shard", 0, "K/N", "only part K of N of the images listed (0 <= K < N)"},
    {OPT_STRICT, "strict", 0, NULL, "stop at the first problem in the data (exit 2)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "voc-parse",
    .args = "DEVKIT|FILE.xml...",
    .summary = "Read Pascal VOC annotations and write one record per image: id (the file\n"
               "stem), image, width, height, objects (class, name, bbox, difficult, truncated).",
    .details =
        "A DEVKIT folder gives the images of ImageSets/Main/SPLIT.txt with --split (in that\n"
        "order), or else every Annotations/*.xml sorted by name (hidden files left out);\n"
        "image paths are "
        "DEVKIT/JPEGImages/<filename> (<filename> from the XML, or the id + .jpg). DIR of\n"
        "--annotations and --images is a folder inside each DEVKIT, or an absolute path. A\n"
        "FILE.xml is read by itself (--split does not apply), with its images in the\n"
        "folder beside its own (FILE.xml's ../JPEGImages). width and height come from\n"
        "<size>, or from the JPEG header when it is missing or 0.\n"
        PARSE_SHARD_HELP "\n\n"
        "Without --classes the class list is DEVKIT/classes.names, else the one *.names\n"
        "file in DEVKIT (hidden files left out; more than one is an error, exit 1: say\n"
        "which with --classes), else VOC's 20 names; FILE.xml's DEVKIT is the folder above\n"
        "its own. Every input must give the same list (the same names in the same order),\n"
        "or exit 1. A list found so is named on stderr (not with --quiet).\n\n" VOC_RULES,
    .opts = opts,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    voc_cfg *g = ctx;
    if (arg && !*arg)
        return cli_usage_error(c, "an option's value is empty");
    switch (id) {
    case OPT_CLASSES: g->classes = arg; break;
    case OPT_SPLIT: g->split = arg; break;
    case OPT_ANN: g->ann_dir = arg; break;
    case OPT_IMG: g->img_dir = arg; break;
    case OPT_SKIP_DIFFICULT: g->skip_difficult = 1; break;
    case OPT_STRICT: g->strict = 1; break;
    case OPT_SHARD:
        if (parse_shard(arg, &g->shard_k, &g->shard_n) < 0)
            return cli_usage_error(c, "option --shard: '%s' is not K/N with 0 <= K < N", arg);
        break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    voc_cfg g = {.ann_dir = "Annotations", .img_dir = "JPEGImages", .shard_n = 1};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    voc_reader p;
    voc_list l = {0};
    rec r;
    yerr err;
    rec_init(&r);
    int rc = voc_reader_open(&p, &c.rep, &g, c.files, c.nfiles, &err);
    if (rc == 0)
        rc = voc_list_build(&l, &p, c.files, c.nfiles, &err);
    c.total = (long)l.n;
    for (size_t i = 0; rc >= 0 && i < l.n; i++) {
        if ((rc = voc_read(&p, &l, i, &r, &err)) == 1)
            rc = rec_write(&c.out, &r, &err);
        cli_tick(&c);
    }
    if (rc >= 0) /* after the records, so that a pipeline fails, nothing half-written */
        rc = voc_check_classes(&p, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    voc_summary(&p);
    voc_list_free(&l);
    voc_reader_close(&p);
    rec_free(&r);
    return cli_finish(&c);
}
