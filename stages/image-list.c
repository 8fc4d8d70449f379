/* image-list: image files (given, found in folders, or read one a line) to
 * records: id, image, width, height. How a pipeline starts from photos. */
#include <string.h>

#include "yolo/base/parse.h"
#include "yolo/cli/cli.h"
#include "yolo/data/imglist.h"

enum { OPT_STRICT = 1, OPT_ID, OPT_SHARD };

typedef struct il_cfg {
    int strict;
    int id_path;
    long shard_k, shard_n;   /* --shard: part k of n of the paths listed */
} il_cfg;

static const cli_opt opts[] = {
    {OPT_STRICT, "strict", 0, NULL,
     "stop at the first file that is missing or not an image, or a repeated id (exit 2)"},
    {OPT_ID, "id", 0, "stem|path",
     "id: the file name without its extension (stem, default), or the whole path\n"
     "                             without it (path: unique when file names repeat)"},
    {OPT_SHARD, "shard", 0, "K/N", "only part K of N of the images listed (0 <= K < N)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "image-list",
    .args = "[PATH]...",
    .summary = "Write one record per image (JPEG, PNG or BMP): id (the file name without its\n"
               "extension), image (the path), width and height (read from the image's header,\n"
               "no decoding).",
    .details =
        "A PATH that is a folder is searched, subfolders too, for *.jpg, *.jpeg, *.png and\n"
        "*.bmp in any case (the format is told by the file's first bytes, not its name;\n"
        "hidden files and folders left out; symlinks followed, but never round a\n"
        "loop), and what it holds is listed sorted by path. Any other PATH is taken as\n"
        "it is. With no PATH, paths are read from standard input, one a line (blank\n"
        "lines skipped, CRLF accepted; a folder there is searched too).\n"
        "A path that is missing, unreadable or not an image is a warning and is skipped;\n"
        "the count comes in one line at the end. With --strict it is an error (exit 2).\n"
        "Two images with the same id (a/x.jpg, b/x.jpg) are a warning: --id path gives\n"
        "ids that are unique (a/x, b/x).\n"
        PARSE_SHARD_HELP "\nWith --shard, a list on standard input is read to its end first.\n\n"
        "Example: image-list photos/ | records-to-json",
    .opts = opts,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    il_cfg *g = ctx;
    if (id == OPT_STRICT)
        g->strict = 1;
    if (id == OPT_ID) {
        if (strcmp(arg, "stem") != 0 && strcmp(arg, "path") != 0)
            return cli_usage_error(c, "option --id: '%s' is not stem or path", arg);
        g->id_path = arg[0] == 'p';
    }
    if (id == OPT_SHARD && parse_shard(arg, &g->shard_k, &g->shard_n) < 0)
        return cli_usage_error(c, "option --shard: '%s' is not K/N with 0 <= K < N", arg);
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    il_cfg g = {.shard_n = 1};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    imglist l;
    rec r;
    yerr err;
    const char *path;
    int rc = imglist_open(&l, &c.rep, g.strict, c.files, c.nfiles, &err);
    l.id_path = g.id_path;
    rec_init(&r);
    if (rc == 0 && g.shard_n > 1)
        rc = imglist_shard(&l, g.shard_k, g.shard_n, &err);
    if (rc == 0 && !l.in)
        c.total = (long)l.n;
    while (rc == 0 && (rc = imglist_next(&l, &path, &err)) == 1) {
        if ((rc = imglist_record(&l, path, &r, &err)) == 1)
            rc = rec_write(&c.out, &r, &err);
        cli_tick(&c);
    }
    if (rc < 0)
        cli_fail(&c, &err);
    imglist_summary(&l);
    imglist_free(&l);
    rec_free(&r);
    return cli_finish(&c);
}
