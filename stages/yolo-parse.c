/* yolo-parse: a YOLO txt dataset (darknet's .data, ultralytics' data.yaml,
 * a list file or a folder of images) to records, one per image: id, image,
 * width, height, objects, as voc-parse writes them. */
#include <string.h>

#include "yolo/base/parse.h"
#include "yolo/cli/cli.h"
#include "yolo/data/yolodata.h"

enum { OPT_NAMES = 1, OPT_SPLIT, OPT_LIST, OPT_SHARD, OPT_STRICT };

static const cli_opt opts[] = {
    {OPT_NAMES, "names", 'n', "FILE", "class names, one a line; default: the dataset's"},
    {OPT_SPLIT, "split", 's', "SPLIT",
     "the images of SPLIT: train (default) or valid (.data);\n"
     "                             train, val or test (data.yaml)"},
    {OPT_LIST, "list", 0, "RULE",
     "a LIST's lines starting ./: darknet (default: from the\n"
     "                             current directory) or ultralytics (the list's folder)"},
    {OPT_SHARD, "shard", 0, "K/N", "only part K of N of the images listed (0 <= K < N)"},
    {OPT_STRICT, "strict", 0, NULL, "stop at the first problem in the data (exit 2)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "yolo-parse",
    .args = "INPUT...",
    .summary = "Read a YOLO txt dataset (darknet's or ultralytics' layout) and write one record\n"
               "per image: id (the file stem), image, width and height (from the image's header),\n"
               "objects (class, name, bbox in pixels, difficult, truncated), as voc-parse does.",
    .details = YOLODATA_RULES PARSE_SHARD_HELP "\nWith --shard the lists are read twice: once to count the images.\n\n"
               YOLOTXT_PATH_RULES "\n" YOLOTXT_RULES "\n\n"
               "Example: yolo-parse --split val data.yaml | records-to-json",
    .opts = opts,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    yolodata_cfg *g = ctx;
    if (arg && !*arg)
        return cli_usage_error(c, "an option's value is empty");
    switch (id) {
    case OPT_NAMES: g->names = arg; break;
    case OPT_SPLIT: g->split = arg; break;
    case OPT_STRICT: g->strict = 1; break;
    case OPT_LIST:
        if (strcmp(arg, "darknet") != 0 && strcmp(arg, "ultralytics") != 0)
            return cli_usage_error(c, "option --list: '%s' is not darknet or ultralytics", arg);
        g->list_rule = arg[0] == 'u' ? YOLODATA_LIST_ULTRALYTICS : YOLODATA_LIST_DARKNET;
        break;
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
    yolodata_cfg g = {.shard_n = 1};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    yolodata d;
    rec r;
    yerr err;
    rec_init(&r);
    int rc = yolodata_open(&d, &c.rep, &g, c.files, c.nfiles, &err);
    while (rc >= 0 && (rc = yolodata_next(&d, &r, &err)) == 1) {
        rc = rec_write(&c.out, &r, &err);
        cli_tick(&c);
    }
    if (rc < 0)
        cli_fail(&c, &err);
    yolodata_summary(&d);
    yolodata_close(&d);
    rec_free(&r);
    return cli_finish(&c);
}
