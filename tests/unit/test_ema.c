/* Unit tests for the moving average of a network's parameters
 * (common/net/ema.c): the decay's ramp against its formula, each update's
 * float arithmetic against a plain loop (and on more than EMA_PAR_MIN
 * floats, the threaded path), the average's start, its weights file read
 * back, and the refused settings. The stage-level check against numpy over
 * a training run is tests/stage/test_ema.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yolo/net/ema.h"
#include "yolo/net/weights.h"

#include "check.h"
#include "testutil.h"
#include "testnet.h"

static float frand(void) { return (float)(xrand() >> 40) / 16777216.f - .5f; }

static void fill(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
}

static void test_factor(void)
{
    network net;
    yerr err = {0};
    net_ema e;
    if (test_net("[net]\nwidth=1\nheight=1\nchannels=2\n[connected]\noutput=3\n", &net) < 0)
        return;
    int rc = ema_init(&e, &net, .9999, 2000, &err);
    CHECK(rc == 0 && e.updates == 0 && e.n == net.nparams &&
          !memcmp(e.avg, net.params, net.nparams * sizeof *e.avg),
          "ema_init: the average starts as the parameters, 0 updates (%s)", rc ? err.msg : "ok");
    int same = 1;
    const uint64_t ks[] = {1, 10, 2000, 100000};
    for (int i = 0; i < 4; i++)
        same &= ema_factor(&e, ks[i]) == .9999 * (1 - exp(-(double)ks[i] / 2000));
    CHECK(same && fabs(ema_factor(&e, 2000) - .9999 * (1 - exp(-1))) < 1e-15 &&
          ema_factor(&e, 1) < 5e-4, "the ramp: decay * (1 - exp(-updates / tau)), ~1/2000 at "
          "the first update, 0.632 of the decay at tau");
    ema_free(&e);
    rc = ema_init(&e, &net, .5, 0, &err);
    CHECK(rc == 0 && ema_factor(&e, 1) == .5 && ema_factor(&e, 99) == .5, "tau 0: no ramp");
    ema_free(&e);
    const double bad[][2] = {{0, 10}, {1, 10}, {-.5, 10}, {.9, -1}, {NAN, 10}};
    int refused = 0;
    for (int i = 0; i < 5; i++)
        refused += ema_init(&e, &net, bad[i][0], bad[i][1], &err) < 0 &&
                   err.code == YOLO_EUSAGE && e.avg == NULL;
    CHECK(refused == 5, "decay 0, 1, -.5, NaN and tau -1 refused (%d of 5: %s)", refused,
          err.msg);
    net_free(&net);
}

/* n updates of a net with `text` against the formula written out: the same
 * bits. */
static void updates(const char *text, const char *name)
{
    network net;
    yerr err = {0};
    net_ema e;
    if (test_net(text, &net) < 0)
        return;
    size_t n = net.nparams;
    float *want = malloc(n * sizeof *want);
    fill(net.params, n);
    int rc = want ? ema_init(&e, &net, .99, 3, &err) : -1;
    if (rc == 0)
        memcpy(want, net.params, n * sizeof *want);
    int same = rc == 0;
    for (int k = 1; same && k <= 4; k++) {
        fill(net.params, n);
        ema_update(&e, &net);
        double d = .99 * (1 - exp(-k / 3.));
        for (size_t i = 0; i < n; i++)
            want[i] = (float)d * want[i] + (float)(1 - d) * net.params[i];
        same = e.updates == (uint64_t)k && !memcmp(e.avg, want, n * sizeof *want);
    }
    CHECK(same, "%s: 4 updates equal (float)d * avg + (float)(1 - d) * params bit for bit "
          "(%zu floats)", name, n);
    if (rc == 0)
        ema_free(&e);
    free(want);
    net_free(&net);
}

/* The average as a weights file: read back, it is the average; the header
 * and seen are the network's. */
static void test_write(void)
{
    network net, back;
    yerr err = {0};
    net_ema e;
    static const char text[] = "[net]\nwidth=4\nheight=4\nchannels=2\n[convolutional]\n"
                               "batch_normalize=1\nfilters=3\nsize=3\npad=1\nactivation=leaky\n";
    char dir[] = "/tmp/test_ema.XXXXXX", path[64];
    if (!mkdtemp(dir) || test_net(text, &net) < 0)
        return;
    snprintf(path, sizeof path, "%s/w.ema", dir);
    fill(net.params, net.nparams);
    net.seen = 1234;
    int rc = ema_init(&e, &net, .9, 0, &err);
    fill(net.params, net.nparams);
    if (rc == 0) {
        ema_update(&e, &net);
        rc = ema_write(&e, &net, path, &err);
    }
    CHECK(rc == 0, "ema_write (%s)", rc ? err.msg : "ok");
    if (rc == 0 && test_net(text, &back) == 0) {
        rc = weights_read(&back, path, &err);
        CHECK(rc == 0 && back.seen == 1234 && back.nparams == e.n &&
              !memcmp(back.params, e.avg, e.n * sizeof *e.avg),
              "read back: the average, seen 1234 (%s)", rc ? err.msg : "ok");
        net_free(&back);
    }
    if (e.avg) {
        e.n--;
        CHECK(ema_write(&e, &net, path, &err) < 0 && strstr(err.msg, "the EMA has"),
              "an EMA of another size is not written (%s)", err.msg);
        e.n++;
        ema_free(&e);
    }
    remove(path);
    rmdir(dir);
    net_free(&net);
}

int main(void)
{
    test_factor();
    updates("[net]\nwidth=4\nheight=4\nchannels=2\n[convolutional]\nbatch_normalize=1\n"
            "filters=3\nsize=3\npad=1\nactivation=leaky\n", "conv with batch norm");
    /* 90300 floats: the threaded path */
    updates("[net]\nwidth=300\nheight=1\nchannels=1\n[connected]\noutput=300\n",
            "connected 300x300");
    test_write();
    return check_done();
}
