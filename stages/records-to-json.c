/* records-to-json: a record stream to JSON Lines, for jq and for people. */
#include "yolo/cli/cli.h"
#include "yolo/records/jsonrec.h"
#include "yolo/records/schema.h"

enum { OPT_FULL = 1, OPT_NO_CHECK };

typedef struct r2j_cfg {
    int full;     /* tensors in full */
    int no_check; /* show records whose known keys have the wrong type */
} r2j_cfg;

static const cli_opt opts[] = {
    {OPT_FULL, "full", 'f', NULL, "print tensors in full (exact: json-to-records turns them back)"},
    {OPT_NO_CHECK, "no-check", 0, NULL,
     "do not check the keys of docs/records.md for their types (show anything)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "records-to-json",
    .args = "[FILE]...",
    .summary = "Print a record stream (FILEs in turn, or standard input) as JSON Lines:\n"
               "one JSON object per record, keys in record order.",
    .details = "Tensors are shown as {dtype, shape, summary} unless --full is given; values\n"
               "JSON cannot hold exactly become {\"$msgpack\": base64}. The keys docs/records.md\n"
               "defines are checked for their types (exit 2 naming record and key).",
    .opts = opts,
    .reads_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    (void)c, (void)arg;
    r2j_cfg *g = ctx;
    if (id == OPT_FULL)
        g->full = 1;
    if (id == OPT_NO_CHECK)
        g->no_check = 1;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    r2j_cfg g = {0};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    rec r;
    rec_init(&r);
    ybuf line = {0};
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1) {
        line.len = 0;
        if ((!g.no_check && rec_check_schema(&r, &err) < 0) ||
            jrec_from_record(&r, &line, g.full, &err) < 0)
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
