/* darknet .weights: read, write back byte for byte, random init. The body
 * is net->params, laid out in file order by network.c, so reading is one
 * fread; only flipped conv and transposed connected weights move after. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yolo/base/buf.h"
#include "yolo/base/rng.h"
#include "yolo/net/weights.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weights files are little-endian float32; this code reads them natively"
#endif

/* darknet stores connected weights [inputs, outputs] when major or minor
 * exceeds 1000 (files from an older layout). v: major, minor, revision. */
static int connected_transposed_header(const int32_t v[3])
{
    return v[0] > 1000 || v[1] > 1000;
}

static int connected_transposed(const network *net)
{
    return connected_transposed_header((const int32_t[3]){net->major, net->minor, 0});
}

/* The [rows, cols] matrix m as [cols, rows], through scratch t. */
static void transpose(float *m, size_t rows, size_t cols, float *t)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            t[c * rows + r] = m[r * cols + c];
    memcpy(m, t, rows * cols * sizeof *m);
}

/* Which weights are stored transposed, as [rows, cols] in the file: flipped
 * convs [c*size*size, n], connected [inputs, outputs] in a file of the old
 * layout (old_layout: connected_transposed of its header). 0 if none. */
static int stored_transposed(int old_layout, const layer *l, size_t *rows, size_t *cols)
{
    if (l->type == CFG_CONVOLUTIONAL && l->flipped) {
        *rows = l->nweights / l->n, *cols = (size_t)l->n;
        return 1;
    }
    if (l->type == CFG_CONNECTED && old_layout) {
        *rows = (size_t)l->inputs, *cols = (size_t)l->n;
        return 1;
    }
    return 0;
}

/* Turns every transposed part of layers [0, nlayers) from file order to
 * memory order. */
static int to_memory_layout(network *net, int nlayers, yerr *err)
{
    for (int i = 0; i < nlayers; i++) {
        layer *l = &net->l[i];
        size_t rows, cols;
        if (!stored_transposed(connected_transposed(net), l, &rows, &cols))
            continue;
        float *t = malloc(rows * cols * sizeof *t);    /* [cols, rows] */
        if (!t)
            return yerr_set(err, YOLO_EIO, "out of memory");
        transpose(l->weights, rows, cols, t);
        free(t);
    }
    return 0;
}

static int read_header(network *net, FILE *f, const char *path, long long size, yerr *err)
{
    int32_t v[3];
    if (size < 16 || fread(v, 4, 3, f) != 3)
        return yerr_set(err, YOLO_EINPUT, "%s: %lld bytes: too short for a weights header (16 "
                        "or 20 bytes)", path, size);
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[0] > 100000 || v[1] > 100000 || v[2] > 100000)
        return yerr_set(err, YOLO_EINPUT, "%s: bytes 0-11: version %d.%d.%d is not a darknet "
                        "weights header", path, v[0], v[1], v[2]);
    net->major = v[0], net->minor = v[1], net->revision = v[2];
    /* darknet's own test: 64-bit seen from 0.2 on, unless the transposed flag */
    net->seen_bytes = v[0] * 10 + v[1] >= 2 && v[0] < 1000 && v[1] < 1000 ? 8 : 4;
    uint64_t seen = 0;
    uint32_t seen32 = 0;
    size_t ok = net->seen_bytes == 8 ? fread(&seen, 8, 1, f) : fread(&seen32, 4, 1, f);
    if (ok != 1)
        return yerr_set(err, YOLO_EINPUT, "%s: %lld bytes: too short for a version %d.%d "
                        "header (%d bytes)", path, size, v[0], v[1], 12 + net->seen_bytes);
    net->seen = net->seen_bytes == 8 ? seen : seen32;
    return 0;
}

/* Where a short body of `at` floats (whole: no partial float after them)
 * ends: inside a layer (which, which cfg line, which float), or at a
 * layer's start (then it may be a backbone). */
static void where_it_ends(const network *net, size_t at, int whole, char *where, size_t n)
{
    size_t k = 0;
    for (int i = 0; i < net->n; k += net->l[i++].nparams) {
        if (at >= k + net->l[i].nparams)
            continue;
        if (at == k && whole)
            snprintf(where, n, "; it ends at the start of layer %d ([%s], cfg line %d): a "
                     "backbone of layers 0..%d? (--partial reads one)", i,
                     cfg_type_name(net->l[i].type), net->l[i].line, i - 1);
        else
            snprintf(where, n, "; it ends in layer %d ([%s], cfg line %d), float %zu of %zu", i,
                     cfg_type_name(net->l[i].type), net->l[i].line, at - k, net->l[i].nparams);
        return;
    }
}

/* The size error, naming where a short file ends. */
static int size_error(const network *net, const char *path, long long size, long long hdr,
                      yerr *err)
{
    long long body = size - hdr, want = (long long)net->nparams * 4;
    char where[200] = "";
    if (body < want)
        where_it_ends(net, (size_t)(body / 4), body % 4 == 0, where, sizeof where);
    return yerr_set(err, YOLO_EINPUT, "%s: the cfg needs %zu floats after the %lld-byte header, "
                    "the file has %lld floats%s (%lld bytes): %s%s", path, net->nparams, hdr,
                    body / 4, body % 4 ? " and a partial one" : "", size,
                    body < want ? "too short" : "too long", where);
}

/* The layers a body of nfloats holds when it ends at a layer boundary: the
 * most layers whose parameters add up to nfloats (layers without
 * parameters after the last one read count as read). -1 if it ends inside
 * a layer or holds more than the cfg needs. */
static int layers_held(const network *net, long long nfloats)
{
    long long k = 0;
    int held = -1;
    for (int i = 0; i <= net->n && k <= nfloats; k += net->l[i++].nparams) {
        if (k == nfloats)
            held = i;
        if (i == net->n)
            break;
    }
    return held;
}

/* How much of the cfg the file body holds: all of it, or with partial a
 * whole number of layers (*nlayers of them). Else the size error. */
static int body_layers(const network *net, const char *path, long long size, long long hdr,
                       int partial, int *nlayers, yerr *err)
{
    long long body = size - hdr;
    *nlayers = net->n;
    if (body == (long long)net->nparams * 4)
        return 0;
    if (partial && body % 4 == 0 && (*nlayers = layers_held(net, body / 4)) >= 0)
        return 0;
    return size_error(net, path, size, hdr, err);
}

static int read_file(network *net, const char *path, int partial, int *nlayers, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    network before = *net;    /* the header fields come back if the file is refused */
    struct stat st;
    int rc = 0;
    if (fstat(fileno(f), &st) != 0)
        rc = yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    long long size = rc == 0 ? (long long)st.st_size : 0, hdr = 0;
    if (rc == 0)
        rc = read_header(net, f, path, size, err);
    if (rc == 0)
        rc = body_layers(net, path, size, hdr = 12 + net->seen_bytes, partial, nlayers, err);
    size_t nfloats = rc == 0 ? (size_t)(size - hdr) / 4 : 0;
    if (rc == 0 && fread(net->params, 4, nfloats, f) != nfloats)
        rc = yerr_set(err, YOLO_EIO, "%s: read error", path);
    fclose(f);
    if (rc == 0)
        rc = to_memory_layout(net, *nlayers, err);
    if (rc < 0) {
        net->major = before.major, net->minor = before.minor, net->revision = before.revision;
        net->seen = before.seen, net->seen_bytes = before.seen_bytes;
    }
    return rc;
}

int weights_read(network *net, const char *path, yerr *err)
{
    int nlayers;
    return read_file(net, path, 0, &nlayers, err);
}

int weights_read_partial(network *net, const char *path, int *nlayers, yerr *err)
{
    return read_file(net, path, 1, nlayers, err);
}

/* One layer's parameters in file order, p its part of the parameters
 * (l->params, or the same place in another array laid out like them): as
 * they are, or with the transposed part turned back. */
static int write_layer(int old_layout, const layer *l, const float *p, FILE *f)
{
    size_t rows, cols;
    if (!stored_transposed(old_layout, l, &rows, &cols))
        return fwrite(p, 4, l->nparams, f) == l->nparams ? 0 : -1;
    size_t before = (size_t)(l->weights - l->params), after = l->nparams - before - l->nweights;
    const float *w = p + before;                   /* memory holds [cols, rows] */
    float *t = malloc(l->nweights * sizeof *t);    /* [rows, cols] as in the file */
    if (!t)
        return -1;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            t[r * cols + c] = w[c * rows + r];
    int ok = fwrite(p, 4, before, f) == before &&
             fwrite(t, 4, l->nweights, f) == l->nweights &&
             fwrite(w + l->nweights, 4, after, f) == after;
    free(t);
    return ok ? 0 : -1;
}

/* Layers [0, nlayers) under the header v and seen, written whole and
 * synced (a durable yfile): a crash, a full disk or a power loss never
 * leaves a half-written weights file where a good one was. */
static int write_file(const network *net, const float *params, const char *path, int nlayers,
                      const int32_t v[3], uint64_t seen, int seen_bytes, yerr *err)
{
    if (net->folded)
        return yerr_set(err, YOLO_EUSAGE, "%s: the network's batch norm is folded into its "
                        "weights; they no longer match a weights file", path);
    yfile w;
    if (yfile_open_durable(&w, path, err) < 0)
        return -1;
    uint32_t seen32 = (uint32_t)seen;
    int ok = fwrite(v, 4, 3, w.f) == 3;
    ok = ok && (seen_bytes == 8 ? fwrite(&seen, 8, 1, w.f) : fwrite(&seen32, 4, 1, w.f)) == 1;
    for (int i = 0; ok && i < nlayers; i++)
        ok = write_layer(connected_transposed_header(v), &net->l[i],
                         params + (net->l[i].params - net->params), w.f) == 0;
    return yfile_commit(&w, ok, err);
}

int weights_write(const network *net, const char *path, yerr *err)
{
    return weights_write_params(net, net->params, path, err);
}

int weights_write_params(const network *net, const float *params, const char *path, yerr *err)
{
    int32_t v[3] = {net->major, net->minor, net->revision};
    return write_file(net, params, path, net->n, v, net->seen, net->seen_bytes, err);
}

int weights_write_upto(const network *net, const char *path, int nlayers, yerr *err)
{
    if (nlayers < 0 || nlayers > net->n)
        return yerr_set(err, YOLO_EUSAGE, "%s: %d layers asked for; the network has %d", path,
                        nlayers, net->n);
    /* darknet's partial: its current header, seen cleared */
    return write_file(net, net->params, path, nlayers, (const int32_t[3]){0, 2, 0}, 0, 8, err);
}

/* n normal draws times sd into x: Marsaglia's polar method, both values of
 * each pair used (a third of Box-Muller's cost; networks hold 10^7-10^8
 * weights). */
static void normals(yrng *r, float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i += 2) {
        double u, v, s;
        do {
            u = 2 * rng_uniform(r) - 1;
            v = 2 * rng_uniform(r) - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = sd * sqrt(-2 * log(s) / s);
        x[i] = (float)(u * m);
        if (i + 1 < n)
            x[i + 1] = (float)(v * m);
    }
}

void weights_random(network *net, uint64_t seed)
{
    yrng r;
    rng_seed(&r, seed);
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        if (l->nparams == 0)
            continue;
        /* fan-in of one output value */
        size_t fan = (size_t)l->c / (l->groups ? l->groups : 1) * l->size * l->size;
        if (l->type == CFG_CONNECTED)
            fan = (size_t)l->inputs;
        double sd = sqrt(2.0 / (double)fan);
        normals(&r, l->weights, l->nweights, sd);
        normals(&r, l->biases, l->nbiases, 0.1);
        if (!l->batch_normalize)
            continue;
        for (size_t k = 0; k < l->nbiases; k++) {
            l->scales[k] = (float)rng_range(&r, 0.5, 1.5);
            l->mean[k] = (float)(0.1 * rng_normal(&r)); /* few: the simple way */
            l->var[k] = (float)rng_range(&r, 0.5, 1.5);
        }
    }
}
