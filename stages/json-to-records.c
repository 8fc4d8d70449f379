/* json-to-records: JSON Lines (as records-to-json writes them) back to a
 * record stream. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "yolo/cli/cli.h"
#include "yolo/records/jsonrec.h"

static const cli_desc desc = {
    .name = "json-to-records",
    .args = "[FILE]...",
    .summary = "Turn JSON objects (one per record, as records-to-json prints them; FILEs in\n"
               "turn, or standard input) into a record stream.",
    .details = "A map {dtype, shape, data: [numbers]} becomes a tensor; {\"$msgpack\": base64}\n"
               "becomes those msgpack bytes. Output of records-to-json --full comes back\n"
               "exactly. See docs/records.md.",
    .writes_records = 1,
};

static int emit(void *ctx, const uint8_t *bytes, size_t len, yerr *err)
{
    cli *c = ctx;
    if (fwrite(bytes, 1, len, c->outf) != len)
        return yerr_set(err, YOLO_EIO, "%s: write error: %s", c->outname, strerror(errno));
    cli_tick(c);
    return 0;
}

static int feed(void *p, const uint8_t *buf, size_t len, yerr *err)
{
    return jrec_feed(p, buf, len, err);
}

static int finish(void *p, yerr *err) { return jrec_finish(p, err); }

/* Parses one input (fd) to the end. */
static int convert(cli *c, int fd, const char *name, yerr *err)
{
    jrec_parser *p = jrec_parser_new(name, emit, c, err);
    if (!p)
        return -1;
    ybuf_feeder f = {feed, finish, p};
    int rc = ybuf_feed_fd(fd, name, 1 << 16, &f, err);
    jrec_parser_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, NULL, NULL) < 0)
        return c.status;
    yerr err;
    for (int i = 0; i < cli_ninputs(&c); i++) {
        const char *name;
        int fd = cli_open_input(&c, i, &name, &err);
        int rc = fd < 0 ? -1 : convert(&c, fd, name, &err);
        if (fd > STDIN_FILENO)
            close(fd);
        if (rc < 0) {
            cli_fail(&c, &err);
            break;
        }
    }
    return cli_finish(&c);
}
