/* records-to-json: a record stream to JSON Lines, for jq and for people. */
#include "yolo/cli.h"
#include "yolo/jsonrec.h"

enum { OPT_FULL = 1 };

static const cli_opt opts[] = {
    {OPT_FULL, "full", 'f', NULL, "print tensors in full (exact: json-to-records turns them back)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "records-to-json",
    .args = "[FILE]...",
    .summary = "Print a record stream (FILEs in turn, or standard input) as JSON Lines:\n"
               "one JSON object per record, keys in record order.",
    .details = "Tensors are shown as {dtype, shape, summary} unless --full is given; values\n"
               "JSON cannot hold exactly become {\"$msgpack\": base64}. See docs/records.md.",
    .opts = opts,
    .reads_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    (void)c, (void)arg;
    if (id == OPT_FULL)
        *(int *)ctx = 1;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    int full = 0;
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &full) < 0)
        return c.status;
    rec r;
    rec_init(&r);
    ybuf line = {0};
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1) {
        line.len = 0;
        if (jrec_from_record(&r, &line, full, &err) < 0)
            break;
        if (fwrite(line.p, 1, line.len, c.outf) != line.len) {
            yerr_set(&err, YOLO_EIO, "%s: write error", c.outname);
            break;
        }
    }
    if (rc != 0)
        cli_fail(&c, &err);
    rec_free(&r);
    ybuf_free(&line);
    return cli_finish(&c);
}
