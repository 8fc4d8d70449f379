/* dataset-write: records with objects out as a dataset folder, YOLO txt
 * (darknet and ultralytics), Pascal VOC or COCO, one split a run; the work
 * is in common/data/dataset.c and dataset_write.c. */
#include "yolo/cli/cli.h"
#include "yolo/data/dataset.h"

enum { OPT_FORMAT = 1, OPT_OUT, OPT_SPLIT, OPT_IMAGES, OPT_NAMES, OPT_FORCE, OPT_STRICT };

static const cli_opt opts[] = {
    {OPT_FORMAT, "format", 0, "F", "yolo, voc or coco (required)"},
    {OPT_OUT, "out", 0, "DIR", "the dataset's folder (required; made if missing)"},
    {OPT_SPLIT, "split", 's', "NAME", "the split the records are (required: train, val, test, ...)"},
    {OPT_IMAGES, "images", 0, "HOW", "link (default: symbolic links in DIR), copy, or keep "
                                     "(left where they are, named by their absolute paths)"},
    {OPT_NAMES, "names", 0, "FILE", "the class list, one name a line (default: DIR's, else the "
                                    "records' names)"},
    {OPT_FORCE, "force", 'f', NULL, "write over files that are there with other contents"},
    {OPT_STRICT, "strict", 0, NULL, "stop at the first record or box left out (exit 2)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "dataset-write",
    .args = "[FILE]...",
    .summary = "Write the records of a stream (FILEs in turn, or standard input) with their\n"
               "objects as one split of a dataset in DIR: YOLO txt, Pascal VOC or COCO.",
    .details =
        "--format yolo (darknet's and ultralytics' layout):\n"
        "  DIR/images/SPLIT/x.jpg, DIR/labels/SPLIT/x.txt (rows `class cx cy w h`: the\n"
        "  box's centre and size as fractions of the image's width and height, 6\n"
        "  decimals), DIR/SPLIT.txt (the images' absolute paths), DIR/obj.names,\n"
        "  DIR/obj.data (classes, train, valid, names, backup) and DIR/data.yaml (path,\n"
        "  train, val, test, nc, names): these two list the splits of train, val (or\n"
        "  valid) and test written so far, and are rewritten by each run.\n"
        "--format voc: DIR/JPEGImages/x.jpg, DIR/Annotations/x.xml (1-based whole\n"
        "  pixels: xmin = round(x1) + 1, xmax = round(x2)), DIR/ImageSets/Main/SPLIT.txt,\n"
        "  DIR/classes.names: what voc-parse and pipelines/train.sh read.\n"
        "--format coco: DIR/images/SPLIT/x.jpg, DIR/annotations/instances_SPLIT.json:\n"
        "  images (id, file_name, width, height), annotations (id, image_id,\n"
        "  category_id, bbox [x, y, w, h], area, iscrowd), categories (id, name). Image\n"
        "  ids are the records' coco_id when every record has one, else 1.. in order;\n"
        "  category ids are coco_category_ids when the records have it, else class + 1;\n"
        "  boxes, area and crowds as the records have them (w = x2 - x1; the shortest\n"
        "  digits that read back as the same doubles).\n"
        "--images keep: nothing is placed in DIR; the lists, <filename> (voc) and\n"
        "  file_name (coco) give each image's absolute path (voc-parse and coco-parse\n"
        "  read them so), and yolo labels go where yolo-parse and darknet look for the\n"
        "  image's labels (its images/ folder made labels/, else its JPEGImages/ folder\n"
        "  made labels/, else beside it): into the images' own tree.\n\n"
        "Run once per split: a run adds its split and leaves the others' files alone.\n"
        "A file that is there with other contents is refused (exit 1, naming it) unless\n"
        "--force; one with the same contents is left as it is, so a run done again\n"
        "changes nothing. The records are read whole before anything is written: bad\n"
        "input writes nothing. Each file is written whole (beside, then renamed), and\n"
        "a run that fails removes the files and folders it made.\n\n"
        "Class names: --names FILE, else DIR's obj.names (yolo) or classes.names (voc)\n"
        "from an earlier run, else the objects' names (every class up to the largest\n"
        "needs one). Class i is line i of the names file written. An object whose class\n"
        "is not in the list, or whose name differs from the list's, is an error (exit 2)\n"
        "naming the record and key; so is a record without image, width or height.\n"
        "Left out, each a warning counted at the end (--strict: exit 2): records with\n"
        "`error`, records without `objects` (not annotated), records whose image file is\n"
        "not there, and for yolo and voc boxes with no area once clipped to the image\n"
        "(or rounded). For yolo and voc, boxes are clipped to the image and crowd\n"
        "regions (iscrowd) left out, counted. Nothing is written on standard output.",
    .opts = opts,
    .reads_records = 1,
    .no_stdout = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    dataset_cfg *g = ctx;
    switch (id) {
    case OPT_FORMAT:
        return dataset_parse_format(arg, &g->format) < 0
                   ? cli_usage_error(c, "option --format: '%s' is not yolo, voc or coco", arg)
                   : 0;
    case OPT_IMAGES:
        return dataset_parse_images(arg, &g->images) < 0
                   ? cli_usage_error(c, "option --images: '%s' is not link, copy or keep", arg)
                   : 0;
    case OPT_SPLIT:
        if (dataset_check_split(arg) < 0)
            return cli_usage_error(c, "option --split: '%s' is not a split's name (letters, "
                                   "digits, '.', '_', '-'; at most %d)", arg, DATASET_MAX_SPLIT);
        g->split = arg;
        return 0;
    case OPT_OUT: g->out = arg; return 0;
    case OPT_NAMES: g->names = arg; return 0;
    case OPT_FORCE: g->force = 1; return 0;
    case OPT_STRICT: g->strict = 1; return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    dataset_cfg g = {.format = -1, .images = DATASET_LINK};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    if (!g.out || !g.split || g.format < 0) {
        cli_usage_error(&c, "--format, --out and --split are required");
        return c.status;
    }
    dataset d;
    rec r;
    rec_init(&r);
    yerr err;
    int rc = dataset_open(&d, &g, &c.rep, &err);
    while (rc == 0 && (rc = cli_read(&c, &r, &err)) == 1)
        rc = dataset_add(&d, &r, &err);
    if (rc == 0 && (rc = dataset_close(&d, &err)) == 0)
        rc = dataset_write(&d, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    dataset_summary(&d);
    dataset_free(&d);
    rec_free(&r);
    return cli_finish(&c);
}
