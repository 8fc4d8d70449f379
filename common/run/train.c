/* The training side of darknet-forward (include/yolo/run/train.h): gradients
 * back over a named pipe, backward pass, optimiser step, log, checkpoints. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yajl_tree.h>

#include "yolo/base/buf.h"
#include "yolo/records/tensor.h"
#include "yolo/run/train.h"
#include "yolo/net/weights.h"

/* The one piece of process-wide state: a signal handler can only set a
 * flag, and the training loop looks at it between passes. The first signal
 * is kept: Ctrl-C reaches darknet-forward both directly and from train.sh. */
static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
    if (!signalled)
        signalled = sig;
}

int train_signalled(void) { return signalled; }

/* SIGINT and SIGTERM ask for a stop: the pass in progress ends, then the
 * checkpoint. SA_RESTART, so that the pass can end: a write to a full
 * pipe, the gradients' FIFO's open and the validation's read go on instead
 * of failing with EINTR. A loss stage that dies must give a message here,
 * not a silent death: SIGPIPE is ignored. */
static void catch_stops(void)
{
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Ranks other than 0 leave the run's files and the validation to rank 0. */
static void other_rank(train_config *tc)
{
    tc->checkpoint = tc->log_path = tc->plot_path = tc->val_cmd = tc->best = NULL;
    tc->val_every = tc->patience = 0;
    tc->ema = 0;          /* the same weights on every rank: rank 0's average is theirs */
}

int train_plan(trainer *t, cfg *c, const train_config *tc, yerr *err)
{
    memset(t, 0, sizeof *t);
    t->tc = *tc;
    t->grad_fd = -1;
    for (int i = 0; i < TRAIN_MAX_BATCH; i++)
        rec_init(&t->back[i]);
    if (dist_init(&t->dist, err) < 0)
        return -1;
    if (t->dist.rank > 0)
        other_rank(&t->tc);
    optim_over over = tc->sched;
    over.max_batches = (int)tc->max_batches;
    if (optim_parse_over(c, &over, &t->opt, err) < 0)
        return -1;
    if (tc->batch)
        t->opt.batch = tc->batch;
    if (tc->subdivisions)
        t->opt.subdivisions = tc->subdivisions;
    if (tc->adam)
        t->opt.adam = 1;
    int ranks = t->dist.size;
    if (t->opt.batch % (t->opt.subdivisions * ranks))
        return yerr_set(err, YOLO_EUSAGE, "batch %d does not divide into %d subdivisions%s",
                        t->opt.batch, t->opt.subdivisions * ranks, ranks > 1 ? " x ranks" : "");
    t->minibatch = t->opt.batch / (t->opt.subdivisions * ranks);
    if (t->minibatch > TRAIN_MAX_BATCH)
        return yerr_set(err, YOLO_EUSAGE, "%d images per pass (batch %d / subdivisions %d): at "
                        "most %d; raise subdivisions", t->minibatch, t->opt.batch,
                        t->opt.subdivisions, TRAIN_MAX_BATCH);
    if (t->opt.max_batches <= 0)
        return yerr_set(err, YOLO_EUSAGE, "%s: no max_batches in [net] and no --max-batches: "
                        "how long should training run?", c->path);
    rng_seed(&t->rng, tc->seed);
    t->step_rng = t->rng;
    t->best_score = -INFINITY;
    return 0;
}

static int open_grads(trainer *t, yerr *err)
{
    t->grad_fd = open(t->tc.grad_path, O_RDONLY | O_CLOEXEC);
    if (t->grad_fd < 0)
        return yerr_set(err, YOLO_EIO, "%s: %s", t->tc.grad_path, strerror(errno));
    t->grads = rec_reader_new_fd(t->grad_fd, t->tc.grad_path, err);
    return t->grads ? 0 : -1;
}

/* The checkpoint's .state: step, the stream's position, the moments and
 * dropout's stream; it must be of the same checkpoint as the weights. */
static int resume_state(trainer *t, network *net, yerr *err)
{
    char path[4096];
    train_state st = {.ema = t->ema_on ? &t->ema : NULL};
    if (!t->tc.resume_from || tstate_path(t->tc.resume_from, path, sizeof path, err) < 0)
        return t->tc.resume_from ? -1 : 0;
    int rc = tstate_read(path, &st, net, err);
    t->ema_fresh = t->ema_on && rc >= 0 && !st.had_ema;
    if (rc != 0) {
        t->no_state = rc == 1;
        return rc < 0 ? -1 : 0;
    }
    t->ema_dropped = !t->ema_on && st.had_ema;
    t->ema_was[0] = st.ema_decay, t->ema_was[1] = st.ema_tau;
    /* each rank's stream position is records: with another number of ranks
     * the shards, and so the positions, are other ones */
    if (st.ranks != t->dist.size)
        return yerr_set(err, YOLO_EUSAGE, "%s: written by a run of %d rank%s, resumed with %d: "
                        "resume with as many (mpirun -np %d)", path, st.ranks,
                        st.ranks == 1 ? "" : "s", t->dist.size, st.ranks);
    t->step = st.step;
    t->records = t->step_records = st.records;
    t->skipped = t->step_skipped = st.skipped;
    t->rng = t->step_rng = st.rng;
    return 0;
}

/* The validation history from the log (up to the resumed step): the best
 * score so far and the validations since, as validate() counts them. */
static void resume_validations(trainer *t)
{
    for (size_t i = 0; i < t->log.n_val; i++) {
        const tlog_val *v = &t->log.val[i];
        double score = !isnan(v->map) ? v->map : -v->val_loss;
        if (score > t->best_score)
            t->best_score = score, t->stale = 0;
        else
            t->stale++;
    }
}

/* Copies batch norm's rolling statistics, layer by layer, to t->bn_saved
 * (save) or back into the network (restore). */
static void bn_rolling(trainer *t, network *net, int save)
{
    float *p = t->bn_saved;   /* [bn_floats] */
    for (int i = 0; p && i < net->n; i++) {
        layer *l = &net->l[i];
        if (!l->batch_normalize || !l->mean)
            continue;
        size_t n = l->nbiases * sizeof *p;
        memcpy(save ? p : l->mean, save ? l->mean : p, n);
        memcpy(save ? p + l->nbiases : l->var, save ? l->var : p + l->nbiases, n);
        p += 2 * l->nbiases;
    }
}

static int bn_alloc(trainer *t, const network *net, yerr *err)
{
    for (int i = 0; i < net->n; i++)
        if (net->l[i].batch_normalize && net->l[i].mean)
            t->bn_floats += 2 * net->l[i].nbiases;
    if (t->bn_floats && !(t->bn_saved = malloc(t->bn_floats * sizeof *t->bn_saved)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    return 0;
}

/* net_sync's sum: an MPI failure never returns here (MPI's default error
 * handler, MPI_ERRORS_ARE_FATAL, ends every rank with its message). */
static void sync_sum(void *ctx, double *v, size_t n)
{
    yerr ignored;
    dist_sum_f64(ctx, v, n, &ignored);
}

/* --sync-bn under mpirun: batch norm's statistics over every rank's images. */
static int sync_bn(trainer *t, network *net, yerr *err)
{
    int most = 0;
    for (int i = 0; i < net->n; i++)
        if (net->l[i].batch_normalize && net->l[i].n > most)
            most = net->l[i].n;
    if (!(t->sync_scratch = malloc((2 * (size_t)most + 1) * sizeof *t->sync_scratch)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    net->sync = (net_sync){.sum = sync_sum, .ctx = &t->dist, .scratch = t->sync_scratch};
    return 0;
}

void train_report_start(const trainer *t, const yrep *rep)
{
    if (t->ema_fresh)
        yrep_warn(rep, "%s: no EMA of the weights to go on from (%s): the average starts "
                  "here from these weights", t->tc.resume_from,
                  t->no_state ? "no .state" : "the run had no --ema");
    if (t->ema_dropped && t->dist.rank == 0)
        yrep_warn(rep, "%s: its .state has an EMA of the weights; without --ema it is not kept",
                  t->tc.resume_from);
    if (t->ema_on && !t->ema_fresh && t->tc.resume &&
        (t->ema_was[0] != t->ema.decay || t->ema_was[1] != t->ema.tau))
        yrep_warn(rep, "the EMA goes on with decay %g, tau %g (it was made with decay %g, tau %g)",
                  t->ema.decay, t->ema.tau, t->ema_was[0], t->ema_was[1]);
}

int train_start(trainer *t, network *net, const int *heads, int nheads, yerr *err)
{
    if (nheads > TRAIN_MAX_HEADS)
        return yerr_set(err, YOLO_EINPUT, "more than %d heads", TRAIN_MAX_HEADS);
    memcpy(t->heads, heads, (size_t)nheads * sizeof *heads);
    t->nheads = nheads;
    net->rng = &t->rng;
    if (!t->tc.resume)
        net->seen = 0;
    if (t->tc.ema > 0 && ema_init(&t->ema, net, t->tc.ema, t->tc.ema_tau, err) < 0)
        return -1;
    t->ema_on = t->tc.ema > 0;
    t->step = (long)(net->seen / (uint64_t)t->opt.batch);
    if (t->tc.resume && resume_state(t, net, err) < 0)
        return -1;
    t->first_step = t->step;
    if (bn_alloc(t, net, err) < 0 ||
        (t->tc.sync_bn && t->dist.size > 1 && sync_bn(t, net, err) < 0))
        return -1;
    bn_rolling(t, net, 1);
    if (t->step >= t->opt.max_batches)
        return yerr_set(err, YOLO_EUSAGE, "the weights have seen %llu images, %ld steps of %d: "
                        "max_batches %d is reached already", (unsigned long long)net->seen,
                        t->step, t->opt.batch, t->opt.max_batches);
    if (tlog_open(&t->log, t->tc.log_path, t->tc.resume, err) < 0)
        return -1;
    t->log_open = 1;
    if (t->tc.resume && tlog_truncate(&t->log, t->step, err) < 0)
        return -1;
    if (t->tc.resume)
        resume_validations(t);
    net_freeze_at(net, t->step);
    catch_stops();
    if (open_grads(t, err) < 0)
        return -1;
    t->t0 = t->t_step = t->t_work = now();
    return 0;
}

/* ---- reading records back ---------------------------------------------- */

static void *read_back(void *arg)
{
    trainer *t = arg;
    t->back_rc = 0;
    for (t->back_got = 0; t->back_got < t->back_want; t->back_got++) {
        rec *r = &t->back[t->back_got];
        int rc = rec_read(t->grads, r, &t->back_err);
        if (rc == 0)
            rc = yerr_set(&t->back_err, YOLO_EINPUT, "%s: ended after %ld records, while %d more "
                          "were expected back: did the loss stage stop?", t->tc.grad_path,
                          t->records_back + t->back_got, t->back_want - t->back_got);
        if (rc < 0 || rec_detach(r, &t->back_err) < 0) {
            t->back_rc = -1;
            break;
        }
    }
    return NULL;
}

int train_expect(trainer *t, int n, yerr *err)
{
    t->back_want = n;
    if (pthread_create(&t->reader, NULL, read_back, t) != 0)
        return yerr_set(err, YOLO_EIO, "cannot start a thread");
    t->reading = 1;
    return 0;
}

static int join_reader(trainer *t, yerr *err)
{
    if (!t->reading)
        return 0;
    pthread_join(t->reader, NULL);
    t->reading = 0;
    t->records_back += t->back_got;
    if (t->back_rc < 0) {
        *err = t->back_err;
        return -1;
    }
    return 0;
}

/* ---- one record's gradient --------------------------------------------- */

/* Back record k is the batch's slot k: same id when the slot has one. */
static int same_record(const rec *sent, rec *back, yerr *err)
{
    const uint8_t *a, *b;
    size_t na, nb;
    if (!rec_get_raw(sent, "id", &a, &na))
        return 0;
    if (!rec_get_raw(back, "id", &b, &nb) || na != nb || memcmp(a, b, na))
        return rec_fail(back, err, "id", "not the id of the record sent in this place (%s, "
                        "record %ld): records must come back one for one, in order",
                        sent->src, sent->index);
    return 0;
}

/* grad[i] into head i's delta at image pos: f32, the head's shape, finite. */
static int take_grad(trainer *t, network *net, rec *r, int pos, yerr *err)
{
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "grad", &a, err);
    if (rc <= 0)
        return rc < 0 ? -1 : rec_fail(r, err, "grad", "missing: the loss stage must add it");
    if ((int)a->size != t->nheads)
        return rec_fail(r, err, "grad", "%u tensors for %d heads", a->size, t->nheads);
    for (int i = 0; i < t->nheads; i++) {
        const layer *l = &net->l[t->heads[i]];
        char path[32];
        snprintf(path, sizeof path, "grad[%d]", i);
        tensor_view v;
        if (rec_as_tensor(r, &a->ptr[i], path, &v, err) < 0)
            return -1;
        if (v.dtype != TENSOR_F32 || v.count != (size_t)l->outputs)
            return rec_fail(r, err, path, "expected f32 with %d values (head %d's output), "
                            "got %s with %zu", l->outputs, i, tensor_dtype_name(v.dtype),
                            v.count);
        float *d = l->delta + (size_t)pos * l->outputs;   /* [outputs] */
        tensor_copy_f32(&v, d);
        for (int k = 0; k < l->outputs; k++)
            if (!isfinite(d[k]))
                return rec_fail(r, err, path, "element %d is %g: not trained on", k, d[k]);
    }
    return 0;
}

/* Adds the record's `loss` map (numbers only) to the step's sums. */
static int add_loss(train_sums *s, rec *r, yerr *err)
{
    const msgpack_object_map *m;
    int rc = rec_get_map(r, "loss", &m, err);
    if (rc <= 0)
        return rc;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
        double x;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= TLOG_NAME_MAX)
            continue;
        if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)
            x = v->via.f64;
        else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            x = (double)v->via.u64;
        else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            x = (double)v->via.i64;
        else
            continue;
        int j = 0;
        while (j < s->n && (strlen(s->names[j]) != k->via.str.size ||
                            memcmp(s->names[j], k->via.str.ptr, k->via.str.size)))
            j++;
        if (j == s->n) {
            if (s->n == TLOG_MAX_PARTS)
                continue;
            memcpy(s->names[j], k->via.str.ptr, k->via.str.size);
            s->names[j][k->via.str.size] = 0;
            s->n++;
        }
        s->sum[j] += x;
    }
    return 0;
}

/* ---- the step ------------------------------------------------------------ */

/* "CHECKPOINT.ema": the moving average's weights file. */
static int ema_path(const trainer *t, char *buf, size_t n, yerr *err)
{
    if ((size_t)snprintf(buf, n, "%s.ema", t->tc.checkpoint) >= n)
        return yerr_set(err, YOLO_EUSAGE, "%s: path too long", t->tc.checkpoint);
    return 0;
}

/* The weights' .state (what --resume needs besides them, the EMA's state
 * among it), the weights, then with --ema CHECKPOINT.ema. */
static int write_checkpoint(trainer *t, network *net, yerr *err)
{
    char path[4096];
    /* the stream's position at the last step: a run stopped between steps
     * goes on with the records of the step it did not finish */
    train_state st = {.step = t->step, .seen = net->seen, .records = t->step_records,
                      .skipped = t->step_skipped, .rng = t->step_rng,
                      .weights_hash = tstate_hash(net), .ranks = t->dist.size,
                      .ema = t->ema_on ? &t->ema : NULL};
    /* the state first: a kill before the weights are in place leaves the
     * old weights and, as .state.prev, their state; the .ema file is made
     * from the state's average, which a resume takes from the state */
    if (tstate_path(t->tc.checkpoint, path, sizeof path, err) < 0 ||
        tstate_write(path, &st, net, err) < 0 || weights_write(net, t->tc.checkpoint, err) < 0)
        return -1;
    if (!t->ema_on)
        return 0;
    return ema_path(t, path, sizeof path, err) < 0 ? -1 : ema_write(&t->ema, net, path, err);
}

static int checkpoint(trainer *t, network *net, yerr *err)
{
    if (t->tc.checkpoint && write_checkpoint(t, net, err) < 0)
        return -1;
    if (t->tc.plot_path && t->log.n_it && tlog_plot(&t->log, t->tc.plot_path, NULL, err) < 0)
        return -1;
    return 0;
}

static int log_step(trainer *t, float rate, uint64_t seen, yerr *err)
{
    double tnow = now();
    tlog_entry e = {.iteration = t->step, .seen = seen, .lr = rate,
                    .images_per_s = t->pending / (tnow - t->t_step > 0 ? tnow - t->t_step : 1e-9),
                    .seconds = tnow - t->t0, .nparts = t->sums.n};
    t->t_step = tnow;
    for (int j = 0; j < t->sums.n; j++) {
        e.names[j] = t->sums.names[j];
        e.parts[j] = t->sums.images ? t->sums.sum[j] / (double)t->sums.images : NAN;
    }
    return tlog_iteration(&t->log, &e, err);
}

/* ---- validation ---------------------------------------------------------- */

/* cmd followed by path as one shell word ('...' with ' escaped). */
static int val_command(const char *cmd, const char *path, ybuf *b)
{
    ybuf_puts(b, cmd);
    ybuf_puts(b, " '");
    for (const char *p = path; *p; p++)
        *p == '\'' ? ybuf_puts(b, "'\\''") : ybuf_putc(b, *p);
    ybuf_puts(b, "'");
    return ybuf_putc(b, 0);
}

static double json_number(yajl_val o, const char *key)
{
    yajl_val v = yajl_tree_get(o, (const char *[]){key, NULL}, yajl_t_number);
    return v ? YAJL_GET_DOUBLE(v) : NAN;
}

/* Runs the validation command on the checkpoint (with --ema, on
 * CHECKPOINT.ema); its last line gives map and val_loss (either may be
 * missing: NaN). */
static int run_validation(const trainer *t, double *map, double *val_loss, yerr *err)
{
    ybuf cmd = {0}, out = {0};
    char path[4096];
    if (t->ema_on && ema_path(t, path, sizeof path, err) < 0)
        return -1;
    val_command(t->tc.val_cmd, t->ema_on ? path : t->tc.checkpoint, &cmd);
    FILE *p = cmd.oom ? NULL : popen((const char *)cmd.p, "r");
    if (!p) {
        ybuf_free(&cmd);
        return yerr_set(err, YOLO_EIO, "cannot run the validation command: %s", strerror(errno));
    }
    char line[4096];
    while (fgets(line, sizeof line, p))
        if (line[0] != '\n') {
            out.len = 0;
            ybuf_puts(&out, line);
            ybuf_putc(&out, 0);
        }
    int status = pclose(p), rc = 0;
    if (status != 0 || out.len == 0 || out.oom) {
        int code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : status;
        rc = yerr_set(err, YOLO_EINPUT, "validation command '%s' failed (status %d) or printed "
                      "nothing", (const char *)cmd.p, code);
    } else {
        char msg[256];
        yajl_val o = yajl_tree_parse((const char *)out.p, msg, sizeof msg);
        if (!o || !YAJL_IS_OBJECT(o))
            rc = yerr_set(err, YOLO_EINPUT, "validation command: its last line is not a JSON "
                          "object: %.200s", (const char *)out.p);
        else
            *map = json_number(o, "map"), *val_loss = json_number(o, "val_loss");
        yajl_tree_free(o);
    }
    ybuf_free(&cmd);
    ybuf_free(&out);
    return rc;
}

/* Validates the checkpoint just written (its EMA with --ema): logs it,
 * keeps the best weights (the EMA's with --ema), counts the patience. */
static int validate(trainer *t, network *net, const yrep *rep, yerr *err)
{
    double map = NAN, val_loss = NAN, t_start = now();
    if (run_validation(t, &map, &val_loss, err) < 0 ||
        tlog_validation(&t->log, t->step, val_loss, map, err) < 0)
        return -1;
    t->val_seconds = now() - t_start;
    t->val_total += t->val_seconds;
    double score = !isnan(map) ? map : -val_loss;
    yrep_warn(rep, "step %ld: validation%s mAP %.4f, loss %.4f%s", t->step,
              t->ema_on ? " of the EMA weights" : "", map, val_loss,
              score > t->best_score ? " (best so far)" : "");
    if (!(score > t->best_score)) {
        t->stale++;
        t->out_of_patience = t->tc.patience && t->stale >= t->tc.patience;
        if (t->out_of_patience)
            yrep_warn(rep, "no better validation in %ld: stopping", t->stale);
        return 0;
    }
    t->best_score = score;
    t->stale = 0;
    if (!t->tc.best)
        return 0;
    return t->ema_on ? ema_write(&t->ema, net, t->tc.best, err)
                     : weights_write(net, t->tc.best, err);
}

/* ---- across ranks ------------------------------------------------------------ */

/* Without --sync-bn each rank's batch norm moved its rolling statistics
 * towards its own batch's: their mean over the ranks keeps every rank's
 * weights file the same (with it, they moved alike). */
static int average_rolling(trainer *t, network *net, yerr *err)
{
    if (t->tc.sync_bn || !t->bn_floats)
        return 0;
    bn_rolling(t, net, 1);
    if (dist_sum_f32(&t->dist, t->bn_saved, t->bn_floats, err) < 0)
        return -1;
    for (size_t i = 0; i < t->bn_floats; i++)
        t->bn_saved[i] /= (float)t->dist.size;
    bn_rolling(t, net, 0);
    return 0;
}

/* The step's images, loss sums and gradient sums of every rank, added
 * together: each rank then makes the update of the whole batch. */
static int reduce_step(trainer *t, network *net, yerr *err)
{
    if (average_rolling(t, net, err) < 0)
        return -1;
    double v[TLOG_MAX_PARTS + 2];   /* images back-propagated, logged, the loss parts */
    v[0] = (double)t->pending, v[1] = (double)t->sums.images;
    for (int j = 0; j < TLOG_MAX_PARTS; j++)
        v[2 + j] = j < t->sums.n ? t->sums.sum[j] : 0;
    if (dist_sum_f64(&t->dist, v, TLOG_MAX_PARTS + 2, err) < 0)
        return -1;
    t->pending = (long)v[0], t->sums.images = (long)v[1];
    for (int j = 0; j < t->sums.n; j++)
        t->sums.sum[j] = v[2 + j];
    return t->pending > 0 ? dist_sum_f32(&t->dist, net->grads, net->nparams, err) : 0;
}

/* After the step: whether any rank was asked to stop (signal, patience), so
 * that all stop at this step; every TRAIN_CHECK_EVERY steps, that the
 * weights are still the same on every rank. */
static int agree(trainer *t, network *net, yerr *err)
{
    double stop = train_signalled() || t->out_of_patience || t->out_of_time;
    if (dist_sum_f64(&t->dist, &stop, 1, err) < 0)
        return -1;
    t->stop_all = stop > 0;
    char what[64];
    snprintf(what, sizeof what, "step %ld: the weights' checksum", t->step);
    return t->step % TRAIN_CHECK_EVERY ? 0 : dist_same(&t->dist, tstate_hash(net), what, err);
}

/* --max-seconds: whether another step, at the longer of this run's mean
 * step time (validations left out) and the last step's, and a validation
 * after it (the last one's time) would end past the limit; said once. */
static void check_clock(trainer *t, double last_step, const yrep *rep)
{
    long steps = t->step - t->first_step;
    if (!(t->tc.max_seconds > 0) || t->out_of_time || steps < 1)
        return;
    double elapsed = now() - t->t0, per_step = (elapsed - t->val_total) / (double)steps;
    if (last_step > per_step)
        per_step = last_step;
    if (elapsed + per_step + t->val_seconds <= t->tc.max_seconds)
        return;
    t->out_of_time = 1;
    yrep_warn(rep, "--max-seconds %g: stopping after step %ld of %d (%.0f s so far, %.3g s a "
              "step%s)", t->tc.max_seconds, t->step, t->opt.max_batches, elapsed, per_step,
              t->val_seconds > 0 ? " and a validation's time kept for the end" : "");
}

/* The optimiser step, once a cfg batch of images (or more) has gone through. */
static int update(trainer *t, network *net, const yrep *rep, yerr *err)
{
    if (t->dist.size > 1 && reduce_step(t, net, err) < 0)
        return -1;
    /* darknet counts the step's images before asking for the rate: step k
     * (from 1) runs at the rate of k */
    float rate = optim_rate(&t->opt, t->step + 1);
    /* records with `error` make a step short: it averages over the images
     * it has (none: the weights stay, the schedule moves on) */
    optim_config o = t->opt;
    o.batch = (int)t->pending;
    if (t->pending > 0)
        optim_update(net, &o, rate, t->step + 1);
    net->seen += (uint64_t)t->pending;
    t->step++;
    t->passes = 0;
    if (t->ema_on)    /* every step, one with no image too: updates count steps */
        ema_update(&t->ema, net);
    net_freeze_at(net, t->step);   /* a stopbackward=N lifts after step N */
    t->step_records = t->records;
    t->step_skipped = t->skipped;
    t->step_rng = t->rng;
    bn_rolling(t, net, 1);
    double step_seconds = now() - t->t_work;   /* this step's own, no validation before it */
    int rc = log_step(t, rate, net->seen, err);
    t->pending = 0;
    memset(&t->sums, 0, sizeof t->sums);
    if (rc == 0 && t->dist.rank == 0) {
        char line[160];
        tlog_progress(&t->log, t->opt.max_batches, line, sizeof line);
        yrep_progress(rep, line);
    }
    int val = t->tc.val_every && t->step % t->tc.val_every == 0;
    if (rc == 0 && (val || (t->tc.save_every && t->step % t->tc.save_every == 0)))
        rc = checkpoint(t, net, err);
    if (rc == 0 && val)
        rc = validate(t, net, rep, err);
    if (rc == 0)
        check_clock(t, step_seconds, rep);
    if (rc == 0 && t->dist.size > 1)
        rc = agree(t, net, err);
    t->t_work = now();
    return rc;
}

int train_step(trainer *t, network *net, const batch *b, const yrep *rep, yerr *err)
{
    int bad = fflush(b->out->f) != 0;
    if (bad) {
        if (t->reading)
            pthread_cancel(t->reader);
        join_reader(t, err);
        return yerr_set(err, YOLO_EIO, "%s: write error: %s (did the loss stage stop?)",
                        b->out->name, strerror(errno));
    }
    if (join_reader(t, err) < 0)
        return -1;
    net_zero_deltas(net);
    int k = 0;
    for (int i = 0; i < t->back_got; i++) {
        const batch_slot *s = &b->s[i];
        rec *r = &t->back[i];
        if (same_record(&s->r, r, err) < 0)
            return -1;
        t->records++;
        if (!s->run) {
            t->skipped++;
            continue;
        }
        if (take_grad(t, net, r, s->rank, err) < 0 || add_loss(&t->sums, r, err) < 0)
            return -1;
        k++;
    }
    if (k > 0) {
        net_backward(net);
        t->pending += k;
        t->sums.images += k;
    }
    /* a step is `subdivisions` passes of the stream, records with `error`
     * included: its place in the schedule is where the stream is, and a
     * resumed run counts the same steps */
    int stepped = ++t->passes == t->opt.subdivisions;
    if (stepped && update(t, net, rep, err) < 0)
        return -1;
    if (t->dist.size > 1) {   /* the ranks stop together, at the end of a step */
        t->ended_together = stepped && (t->step >= t->opt.max_batches || t->stop_all);
        return t->ended_together;
    }
    return t->step >= t->opt.max_batches || train_signalled() || t->out_of_patience ||
           t->out_of_time;
}

/* A run whose last validation fell well below its best says so: the last
 * checkpoint is then not the model to keep. "Well below": mAP under 0.8 of
 * the best's, or (without mAP) a validation loss over 1.25 of the best's. */
static void compare_last_validation(const trainer *t, const yrep *rep)
{
    const tlog_val *best = NULL, *last = t->log.n_val ? &t->log.val[t->log.n_val - 1] : NULL;
    double best_score = -INFINITY;
    for (size_t i = 0; i < t->log.n_val; i++) {
        const tlog_val *v = &t->log.val[i];
        double score = !isnan(v->map) ? v->map : -v->val_loss;
        if (score > best_score)
            best_score = score, best = v;
    }
    if (!best || best == last)
        return;
    int by_map = !isnan(best->map) && !isnan(last->map);
    if (by_map ? last->map < 0.8 * best->map : last->val_loss > 1.25 * best->val_loss)
        yrep_warn(rep, "the last validation (step %ld: %s %.4f) is well below the best (step "
                  "%ld: %.4f)%s%s", last->iteration, by_map ? "mAP" : "loss",
                  by_map ? last->map : last->val_loss, best->iteration,
                  by_map ? best->map : best->val_loss, t->tc.best ? ": keep " : "",
                  t->tc.best ? t->tc.best : "");
}

/* At the end of a run that was not stopped: a last validation of the last
 * step unless it had one, so that --best holds the best of every step
 * validated, the end included, however short the run. */
static int validate_end(trainer *t, network *net, const yrep *rep, yerr *err)
{
    if (!t->tc.val_cmd || train_signalled() || t->step == t->first_step ||
        (t->log.n_val && t->log.val[t->log.n_val - 1].iteration == t->step))
        return 0;
    return validate(t, net, rep, err);
}

/* What a stop asked by signal leaves: the step it came after, and the
 * images of the next one that will not make it. */
static void note_stop(const trainer *t, int sig, const yrep *rep)
{
    if (t->pending)
        yrep_warn(rep, "stopped by signal %d after step %ld; the %ld images of step %ld so far "
                  "make no step", sig, t->step, t->pending, t->step + 1);
    else
        yrep_warn(rep, "stopped by signal %d after step %ld", sig, t->step);
}

/* A stop asked by signal writes the checkpoint whatever --save-every says,
 * even before this run's first step: there is always one to go on from. */
/* Under mpirun the ranks end at the same step with the same weights: an
 * input that ended on one rank only would leave the others waiting. */
static int finish_together(trainer *t, network *net, yerr *err)
{
    if (!t->ended_together)
        return yerr_set(err, YOLO_EINPUT, "rank %d: the input ended at step %ld, before "
                        "max_batches (%d) and before the other ranks: under mpirun every rank "
                        "reads an endless stream (encode-targets --epochs)", t->dist.rank,
                        t->step, t->opt.max_batches);
    char what[64];
    snprintf(what, sizeof what, "step %ld (the end): the weights' checksum", t->step);
    return dist_same(&t->dist, tstate_hash(net), what, err);
}

int train_finish(trainer *t, network *net, const yrep *rep, yerr *err)
{
    if (t->dist.size > 1 && finish_together(t, net, err) < 0)
        return -1;
    int sig = train_signalled(), save = sig || t->step > t->first_step;
    if (sig)
        note_stop(t, sig, rep);
    else if (t->pending)
        yrep_warn(rep, "%ld images at the end did not fill a batch of %d: no step made with "
                  "them", t->pending, t->opt.batch);
    if (t->passes > 0)   /* stopped between steps: the checkpoint is the last step's */
        bn_rolling(t, net, 0);
    if (save && checkpoint(t, net, err) < 0)
        return -1;
    if (validate_end(t, net, rep, err) < 0)
        return -1;
    compare_last_validation(t, rep);
    if (save && t->tc.checkpoint)
        yrep_warn(rep, "%ld steps (%ld to %ld), %llu images seen; weights in %s", t->step -
                  t->first_step, t->first_step, t->step, (unsigned long long)net->seen,
                  t->tc.checkpoint);
    t->ok = 1;
    return 0;
}

void train_free(trainer *t)
{
    if (t->reading) {
        pthread_cancel(t->reader);
        pthread_join(t->reader, NULL);
        t->reading = 0;
    }
    for (int i = 0; i < TRAIN_MAX_BATCH; i++)
        rec_free(&t->back[i]);
    rec_reader_free(t->grads);
    t->grads = NULL;
    if (t->grad_fd >= 0)
        close(t->grad_fd);
    t->grad_fd = -1;
    if (t->log_open)
        tlog_free(&t->log);
    t->log_open = 0;
    free(t->bn_saved);
    t->bn_saved = NULL;
    free(t->sync_scratch);
    t->sync_scratch = NULL;
    ema_free(&t->ema);
    /* after a failure MPI is left as it is: the launcher sees this rank end
     * without MPI_Finalize and stops the others, which would otherwise wait
     * for it in their next sum */
    if (t->ok)
        dist_finalize(&t->dist);
}
