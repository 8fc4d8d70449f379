/* A training checkpoint's state beside its weights (include/yolo/run/trainstate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "yolo/base/buf.h"
#include "yolo/records/record.h"
#include "yolo/run/trainstate.h"

int tstate_path(const char *weights_path, char *buf, size_t n, yerr *err)
{
    if ((size_t)snprintf(buf, n, "%s.state", weights_path) >= n)
        return yerr_set(err, YOLO_EUSAGE, "%s: path too long", weights_path);
    return 0;
}

/* momentum or moment2 as an f32 [nparams] tensor of r. */
static int set_moment(rec *r, const char *key, const float *m, size_t nparams, yerr *err)
{
    tensor_view t = {.dtype = TENSOR_F32, .data = (const uint8_t *)m};
    const int64_t dims[1] = {(int64_t)nparams};
    const char *why;
    if (tensor_set_shape(&t, 1, dims, &why) < 0)
        return yerr_set(err, YOLO_EIO, "%s: %s", key, why);
    return rec_set_tensor(r, key, &t, err);
}

uint64_t tstate_hash(const network *net)
{
    return ybuf_fnv1a(net->params, net->nparams * sizeof *net->params);
}

static int set_u64(rec *r, const char *key, uint64_t v, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, key);
    if (pk)
        msgpack_pack_uint64(pk, v);
    return rec_set_end(r, err);
}

static int set_rng(rec *r, const yrng *g, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "rng");
    if (pk) {
        msgpack_pack_array(pk, 4);
        for (int i = 0; i < 4; i++)
            msgpack_pack_uint64(pk, g->s[i]);
    }
    return rec_set_end(r, err);
}

/* The EMA's average and its counts (a state written with --ema). */
static int fill_ema(rec *r, const net_ema *e, yerr *err)
{
    if (!e)
        return 0;
    return set_moment(r, "ema", e->avg, e->n, err) < 0 ||
           set_u64(r, "ema_updates", e->updates, err) < 0 ||
           rec_set_f64(r, "ema_decay", e->decay, err) < 0 ||
           rec_set_f64(r, "ema_tau", e->tau, err) < 0 ? -1 : 0;
}

static int fill(rec *r, const train_state *s, const network *net, yerr *err)
{
    if (rec_set_i64(r, "step", s->step, err) < 0 ||
        rec_set_i64(r, "seen", (int64_t)s->seen, err) < 0 ||
        rec_set_i64(r, "records", (int64_t)s->records, err) < 0 ||
        rec_set_i64(r, "skipped", (int64_t)s->skipped, err) < 0 || set_rng(r, &s->rng, err) < 0 ||
        set_u64(r, "weights", s->weights_hash, err) < 0 ||
        rec_set_cstr(r, "optimizer", net->moment2 ? "adam" : "sgd", err) < 0 ||
        set_moment(r, "momentum", net->momentum, net->nparams, err) < 0 ||
        (s->ranks > 1 && rec_set_i64(r, "ranks", s->ranks, err) < 0) ||
        fill_ema(r, s->ema, err) < 0)
        return -1;
    return net->moment2 ? set_moment(r, "moment2", net->moment2, net->nparams, err) : 0;
}

int tstate_write(const char *path, const train_state *s, const network *net, yerr *err)
{
    if (!net->momentum)
        return yerr_set(err, YOLO_EUSAGE, "%s: the network was not built for training", path);
    char prev[4200];
    snprintf(prev, sizeof prev, "%s.prev", path);
    if (rename(path, prev) < 0 && errno != ENOENT)
        return yerr_set(err, YOLO_EIO, "%s: cannot keep it as %s: %s", path, prev,
                        strerror(errno));
    rec r;
    rec_init(&r);
    yfile w;
    int rc = fill(&r, s, net, err);
    if (rc == 0 && (rc = yfile_open_durable(&w, path, err)) == 0) {
        rec_writer out;
        rec_writer_init(&out, w.f, path);
        yerr werr;
        int ok = rec_write(&out, &r, &werr) == 0;
        rc = yfile_commit(&w, ok, err);
    }
    rec_free(&r);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

static int get_count(rec *r, const char *key, uint64_t *v, yerr *err)
{
    int64_t x;
    int rc = rec_get_i64(r, key, &x, err);
    if (rc < 0)
        return -1;
    if (rc == 0 || x < 0)
        return rec_fail(r, err, key, rc == 0 ? "missing" : "%lld: not a count", (long long)x);
    *v = (uint64_t)x;
    return 0;
}

static int get_rng(rec *r, yrng *g, yerr *err)
{
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "rng", &a, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, "rng", "missing");
    if (a->size != 4)
        return rec_fail(r, err, "rng", "%u numbers, not 4", a->size);
    for (int i = 0; i < 4; i++) {
        if (a->ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return rec_fail(r, err, "rng", "element %d is not an unsigned integer", i);
        g->s[i] = a->ptr[i].via.u64;
    }
    return 0;
}

static int get_u64(rec *r, const char *key, uint64_t *v, yerr *err)
{
    const msgpack_object *o;
    int rc = rec_get(r, key, &o, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, key, "missing");
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return rec_fail(r, err, key, "not an unsigned integer");
    *v = o->via.u64;
    return 0;
}

static int get_moment(rec *r, const char *key, float *m, size_t nparams, yerr *err)
{
    tensor_view t;
    int rc = rec_get_tensor(r, key, &t, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, key, "missing");
    if (t.dtype != TENSOR_F32 || t.count != nparams)
        return rec_fail(r, err, key, "%s with %zu values; this network has %zu parameters",
                        tensor_dtype_name(t.dtype), t.count, nparams);
    tensor_copy_f32(&t, m);
    return 0;
}

static int get_optimizer(rec *r, const network *net, yerr *err)
{
    const char *s;
    size_t n;
    int rc = rec_get_str(r, "optimizer", &s, &n, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, "optimizer", "missing");
    const char *want = net->moment2 ? "adam" : "sgd";
    if (n != strlen(want) || memcmp(s, want, n))
        return rec_fail(r, err, "optimizer", "'%.*s', but this run uses %s (--adam %s)",
                        (int)(n > 20 ? 20 : n), s, want, net->moment2 ? "given" : "not given");
    return 0;
}

/* The counts and the weights it goes with; the moments come after the check
 * that those are net's (take_moments). */
static int take(rec *r, train_state *s, network *net, yerr *err)
{
    uint64_t step;
    if (get_count(r, "step", &step, err) < 0 || get_count(r, "seen", &s->seen, err) < 0 ||
        get_u64(r, "weights", &s->weights_hash, err) < 0 ||
        get_count(r, "records", &s->records, err) < 0 ||
        get_count(r, "skipped", &s->skipped, err) < 0 || get_rng(r, &s->rng, err) < 0 ||
        get_optimizer(r, net, err) < 0)
        return -1;
    uint64_t ranks = 1;
    if (rec_has(r, "ranks") && get_count(r, "ranks", &ranks, err) < 0)
        return -1;
    if (ranks < 1 || ranks > 1 << 20)
        return rec_fail(r, err, "ranks", "%llu: not a number of ranks", (unsigned long long)ranks);
    s->ranks = (int)ranks;
    if (step > (uint64_t)1 << 40 || s->skipped > s->records || s->seen > s->records * ranks)
        return rec_fail(r, err, "step", "step %llu, %llu records, %llu skipped, %llu seen: "
                        "not one run's counts", (unsigned long long)step,
                        (unsigned long long)s->records, (unsigned long long)s->skipped,
                        (unsigned long long)s->seen);
    s->step = (long)step;
    return 0;
}

static int get_f64(rec *r, const char *key, double *v, yerr *err)
{
    int rc = rec_get_f64(r, key, v, err);
    return rc <= 0 ? (rc < 0 ? -1 : rec_fail(r, err, key, "missing")) : 0;
}

/* The EMA, when the file has one: into s->ema if the caller keeps one. */
static int take_ema(rec *r, train_state *s, const network *net, yerr *err)
{
    uint64_t updates;
    s->had_ema = rec_has(r, "ema");
    if (!s->had_ema)
        return 0;
    if (get_u64(r, "ema_updates", &updates, err) < 0 ||
        get_f64(r, "ema_decay", &s->ema_decay, err) < 0 ||
        get_f64(r, "ema_tau", &s->ema_tau, err) < 0)
        return -1;
    if (!s->ema)
        return 0;
    s->ema->updates = updates;
    return get_moment(r, "ema", s->ema->avg, net->nparams, err);
}

static int take_moments(rec *r, train_state *s, network *net, yerr *err)
{
    if (get_moment(r, "momentum", net->momentum, net->nparams, err) < 0 ||
        (net->moment2 && get_moment(r, "moment2", net->moment2, net->nparams, err) < 0))
        return -1;
    return take_ema(r, s, net, err);
}

/* One file: 0 read and of these weights (hash), 1 no such file, 2 of other
 * weights, -1 error. */
static int read_one(const char *path, uint64_t hash, train_state *s, network *net, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT)
        return 1;
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    rec_reader *rd = rec_reader_new_file(f, path, err);
    rec r;
    rec_init(&r);
    int rc = rd ? rec_read(rd, &r, err) : -1;
    if (rc == 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: empty: not a training state", path);
    else if (rc == 1 && (rc = take(&r, s, net, err)) == 0)
        rc = s->weights_hash != hash || s->seen != net->seen ? 2 : take_moments(&r, s, net, err);
    rec_free(&r);
    rec_reader_free(rd);
    fclose(f);
    return rc;
}

int tstate_read(const char *path, train_state *s, network *net, yerr *err)
{
    if (!net->momentum)
        return yerr_set(err, YOLO_EUSAGE, "%s: the network was not built for training", path);
    char prev[4200];
    snprintf(prev, sizeof prev, "%s.prev", path);
    uint64_t hash = tstate_hash(net);
    int rc = read_one(path, hash, s, net, err);
    if (rc == 1 || rc == 2) {
        int rc_prev = read_one(prev, hash, s, net, err);
        if (rc_prev == 0 || rc_prev < 0)
            return rc_prev;
        if (rc == 2 || rc_prev == 2)
            return yerr_set(err, YOLO_EINPUT, "%s (and %s): the state of other weights than "
                            "the ones loaded (%llu images seen): remove it to resume without "
                            "it", path, prev, (unsigned long long)net->seen);
        return 1;
    }
    return rc < 0 ? -1 : 0;
}
