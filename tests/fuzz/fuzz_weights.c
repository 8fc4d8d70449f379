/* weights_read over an arbitrary file for a small fixed network
 * (weights-net.h); when it is accepted, weights_write must give back the
 * same bytes (include/yolo/net/weights.h: "byte for byte"), through every
 * transposed part. */
#include "fuzz.h"
#include "weights-net.h"
#include "yolo/net/weights.h"

static cfg c;
static network net;
static char in[4352], out[4352];

static void done(void)
{
    net_free(&net);
    cfg_free(&c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    yerr err;
    if (fuzz_weights_net(&c, &net, &err) < 0)
        FUZZ_FAIL("the fixed network: %s", err.msg);
    atexit(done);
    fuzz_path(in, "in.weights");
    fuzz_path(out, "out.weights");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yerr err;
    fuzz_write(in, data, size);
    if (weights_read(&net, in, &err) < 0)
        return 0;
    if (weights_write(&net, out, &err) < 0)
        FUZZ_FAIL("weights_write after a good read: %s", err.msg);
    FILE *f = fopen(out, "rb");
    if (!f)
        FUZZ_FAIL("cannot read back %s", out);
    uint8_t *back = malloc(size + 1);
    if (!back)
        FUZZ_FAIL("out of memory");
    size_t n = fread(back, 1, size + 1, f);
    fclose(f);
    if (n != size)
        FUZZ_FAIL("weights_write wrote %zu bytes, weights_read read %zu", n, size);
    for (size_t i = 0; i < size; i++)
        if (back[i] != data[i])
            FUZZ_FAIL("weights_write differs from what weights_read read at byte %zu of %zu "
                      "(%02x, read %02x; version %d.%d.%d)", i, size, back[i], data[i],
                      net.major, net.minor, net.revision);
    free(back);
    return 0;
}
