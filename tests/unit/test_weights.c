/* Unit tests for darknet .weights files (common/net/weights.c): what is read is
 * written back byte for byte (0.2 and 0.1 headers, transposed connected and
 * flipped conv weights); a file too short or too long, or with a bad
 * header, is an error naming the counts; random init repeats per seed;
 * weights_write_params writes another array as weights_write would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yolo/net/weights.h"

#include "check.h"
#include "testnet.h"

#define FX "tests/fixtures"

static char dir[] = "/tmp/test_weights.XXXXXX";

static const char *tmp(const char *name)
{
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
    return path[k];
}

static int build_file(const char *path, network *net)
{
    cfg c;
    yerr err = {0};
    int rc = cfg_load(&c, path, &err);
    if (rc == 0) {
        rc = net_load(&c, net, &err);
        cfg_free(&c);
    }
    CHECK(rc == 0, "%s builds (%s)", path, rc ? err.msg : "ok");
    return rc;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(len > 0 ? (size_t)len : 1);
    *n = p && fread(p, 1, (size_t)len, f) == (size_t)len ? (size_t)len : 0;
    fclose(f);
    return p;
}

static void spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

/* Reading `path` into net, writing it to a new file gives the same bytes. */
static void round_trip(network *net, const char *path, const char *name)
{
    yerr err = {0};
    int rc = weights_read(net, path, &err);
    CHECK(rc == 0, "%s: reads (%s)", name, rc ? err.msg : "ok");
    const char *back = tmp("back.weights");
    rc = rc ? rc : weights_write(net, back, &err);
    size_t na = 0, nb = 0;
    unsigned char *a = slurp(path, &na), *b = slurp(back, &nb);
    CHECK(rc == 0 && a && b && na == nb && na > 0 && memcmp(a, b, na) == 0,
          "%s: written back byte for byte (%zu and %zu bytes)", name, na, nb);
    free(a);
    free(b);
}

static void test_round_trips(void)
{
    network net, net2;
    if (build_file(FX "/mixed-a.cfg", &net) < 0)
        return;
    weights_random(&net, 3);
    yerr err = {0};
    const char *w = tmp("a.weights");
    CHECK(weights_write(&net, w, &err) == 0, "write (%s)", err.msg);
    if (build_file(FX "/mixed-a.cfg", &net2) == 0) {
        round_trip(&net2, w, "0.2 header, 64-bit seen");
        CHECK(memcmp(net.params, net2.params, net.nparams * 4) == 0 && net2.seen_bytes == 8,
              "the parameters read are the ones written");
        net_free(&net2);
    }
    size_t n = 0;
    unsigned char *bytes = slurp(w, &n);
    if (bytes && n == 20 + 4 * net.nparams) {
        /* the same body under a 0.1 header: a 32-bit seen */
        unsigned char old[16 + 4 * 20000];
        int32_t v[4] = {0, 1, 0, 12345};
        memcpy(old, v, 16);
        memcpy(old + 16, bytes + 20, 4 * net.nparams);
        spit(tmp("old.weights"), old, 16 + 4 * net.nparams);
        round_trip(&net, tmp("old.weights"), "0.1 header, 32-bit seen");
        CHECK(net.seen == 12345 && net.seen_bytes == 4 && net.minor == 1, "seen and version kept");
    }
    free(bytes);
    net_free(&net);
}

/* weights_write_params with another array laid out as net's parameters
 * (an EMA's) writes what weights_write writes for a network holding those
 * values: the same header, the transposed parts turned back the same way. */
static void params_file(network *net)
{
    size_t n = net->nparams;
    float *other = malloc(n * sizeof *other), *mine = malloc(n * sizeof *mine);
    yerr err = {0};
    if (!other || !mine) {
        free(other), free(mine);
        return;
    }
    for (size_t i = 0; i < n; i++)
        other[i] = 100.f + (float)i * .5f;
    int rc = weights_write_params(net, other, tmp("p.weights"), &err);
    memcpy(mine, net->params, n * sizeof *mine);
    memcpy(net->params, other, n * sizeof *other);
    rc = rc ? rc : weights_write(net, tmp("q.weights"), &err);
    memcpy(net->params, mine, n * sizeof *mine);
    size_t na = 0, nb = 0;
    unsigned char *a = slurp(tmp("p.weights"), &na), *b = slurp(tmp("q.weights"), &nb);
    CHECK(rc == 0 && a && b && na == nb && na > 0 && !memcmp(a, b, na),
          "weights_write_params: another array's values as weights_write writes them "
          "(transposed parts included, %zu and %zu bytes; %s)", na, nb, rc ? err.msg : "ok");
    free(a), free(b), free(other), free(mine);
}

/* Connected weights under a major/minor > 1000 header are [inputs,
 * outputs] in the file; flipped conv weights [c*size*size, n]. */
static void test_transposed(void)
{
    network net;
    if (test_net("[net]\nwidth=2\nheight=1\nchannels=3\n[convolutional]\nfilters=2\nsize=1\n"
              "flipped=1\nbatch_normalize=1\n[connected]\noutput=3\n", &net) < 0)
        return;
    /* conv: 2 biases, 6 bn, 6 weights; connected (2*2*1=4 inputs): 3 biases, 12 weights */
    CHECK(net.nparams == 2 + 6 + 6 + 3 + 12, "%zu parameters", net.nparams);
    float body[29];
    for (int i = 0; i < 29; i++)
        body[i] = (float)i;
    unsigned char file[16 + sizeof body];
    int32_t v[4] = {0, 1001, 0, 7};
    memcpy(file, v, 16);
    memcpy(file + 16, body, sizeof body);
    spit(tmp("t.weights"), file, sizeof file);
    round_trip(&net, tmp("t.weights"), "transposed connected, flipped conv");
    const layer *conv = &net.l[0], *fc = &net.l[1];
    /* file conv weights [3 inputs][2 filters] = 8..13; memory [2][3] */
    CHECK(conv->weights[0 * 3 + 1] == 10 && conv->weights[1 * 3 + 2] == 13,
          "flipped conv weights transposed to [filters, inputs]");
    /* file fc weights [4 inputs][3 outputs] = 17..28; memory [3][4] */
    CHECK(fc->weights[2 * 4 + 1] == 17 + 1 * 3 + 2 && fc->weights[0 * 4 + 3] == 17 + 3 * 3,
          "old connected weights transposed to [outputs, inputs]");
    params_file(&net);
    net_free(&net);
}

static void expect_error(network *net, const void *p, size_t n, int code, const char *want,
                         const char *name)
{
    const char *path = tmp("bad.weights");
    spit(path, p, n);
    yerr err = {0};
    int rc = weights_read(net, path, &err);
    CHECK(rc < 0 && err.code == code && strstr(err.msg, want), "%s (%s)", name, err.msg);
}

static void test_errors(void)
{
    network net;
    if (test_net("[net]\nwidth=4\nheight=4\nchannels=1\n[convolutional]\nfilters=2\nsize=3\n",
              &net) < 0)
        return;
    /* 2 biases + 18 weights */
    unsigned char f[20 + 4 * 21 + 2];
    memset(f, 0, sizeof f);
    int32_t v[3] = {0, 2, 0};
    memcpy(f, v, 12);
    spit(tmp("bad.weights"), f, 20 + 80);
    CHECK(weights_read(&net, tmp("bad.weights"), &(yerr){0}) == 0, "the exact size reads");
    expect_error(&net, f, 20 + 76, YOLO_EINPUT,
                 "the cfg needs 20 floats after the 20-byte header, the file has 19 floats (96 "
                 "bytes): too short; it ends in layer 0 ([convolutional], cfg line 5), float 19 of "
                 "20", "a float short, naming the layer");
    expect_error(&net, f, 20 + 84, YOLO_EINPUT, "the file has 21 floats (104 bytes): too long",
                 "a float too many");
    expect_error(&net, f, 20 + 82, YOLO_EINPUT,
                 "has 20 floats and a partial one (102 bytes): too long",
                 "two stray bytes");
    expect_error(&net, f, 8, YOLO_EINPUT, "8 bytes: too short for a weights header", "8 bytes");
    expect_error(&net, f, 14, YOLO_EINPUT, "14 bytes: too short for a weights header", "14 bytes");
    unsigned char jpeg[100] = {0xff, 0xd8, 0xff, 0xe0};
    net.minor = 7;
    expect_error(&net, jpeg, sizeof jpeg, YOLO_EINPUT, "version -520103681.0.0 is not a darknet",
                 "a JPEG is not weights");
    CHECK(net.minor == 7, "a refused file leaves the header fields as they were");
    yerr err = {0};
    CHECK(weights_read(&net, tmp("missing"), &err) < 0 && err.code == YOLO_EIO,
          "a missing file is an I/O error (%s)", err.msg);
    net_free(&net);
}

static void test_random(void)
{
    network a, b;
    if (build_file(FX "/mixed-b.cfg", &a) < 0 || build_file(FX "/mixed-b.cfg", &b) < 0)
        return;
    weights_random(&a, 42);
    weights_random(&b, 42);
    CHECK(memcmp(a.params, b.params, a.nparams * 4) == 0, "same seed, same parameters");
    weights_random(&b, 43);
    CHECK(memcmp(a.params, b.params, a.nparams * 4) != 0, "another seed, other parameters");
    const layer *conv = &a.l[0];
    int sane = 1;
    for (int i = 0; i < conv->n; i++)
        sane &= conv->var[i] >= 0.5f && conv->var[i] < 1.5f && conv->scales[i] >= 0.5f;
    CHECK(sane, "batch-norm variances and scales in [0.5, 1.5)");
    net_free(&a);
    net_free(&b);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trips();
    test_transposed();
    test_errors();
    test_random();
    const char *names[] = {"a.weights", "old.weights", "back.weights", "t.weights", "bad.weights",
                           "p.weights", "q.weights"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        remove(tmp(names[i]));
    rmdir(dir);
    return check_done();
}
