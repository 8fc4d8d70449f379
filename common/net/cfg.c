#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/cfg.h"

/* Section names as darknet spells them (aliases after the first), and the
 * keys darknet's parser reads for each (src/parser.c). */
typedef struct cfg_def {
    const char *names[3];
    const char *keys;   /* space-separated */
    const char *ab;     /* the keys only AlexeyAB's darknet reads (its src/parser.c) */
    const char *own;    /* keys neither darknet reads: this project's own (docs/training.md) */
} cfg_def;

static const cfg_def defs[CFG_NTYPES] = {
    [CFG_NET] = {{"net", "network"},
                 "adam B1 B2 eps angle aspect batch burn_in center channels clip decay exposure "
                 "gamma height hue inputs learning_rate max_batches max_crop max_ratio min_crop "
                 "min_ratio momentum notruth policy power random saturation scale scales step "
                 "steps subdivisions time_steps width",
                 "adversarial_lr attention augment_speed badlabels_rejection_percentage blur "
                 "contrastive contrastive_color contrastive_jit_flip cutmix dynamic_minibatch "
                 "ema_alpha equidistant_point flip gaussian_noise label_smooth_eps "
                 "learning_rate_min letter_box loss_scale max_chart_loss mixup mosaic "
                 "mosaic_bound num_sigmas_reject_badlabels optimized_memory resize_step "
                 "seq_scales sequential_subdivisions sgdr_cycle sgdr_mult track try_fix_nan "
                 "unsupervised use_cuda_graph weights_reject_freq workspace_size_limit_MB",
                 "div_factor lrf pct_start"},
    [CFG_CONVOLUTIONAL] = {{"convolutional", "conv"},
                           "activation batch_normalize binary dot filters flipped groups pad "
                           "padding size stride xnor",
                           "angle antialiasing assisted_excitation bin_output cbn coordconv "
                           "dilation grad_centr reverse rotate share_index stretch stretch_sway "
                           "stride_x stride_y sway"},
    [CFG_MAXPOOL] = {{"maxpool", "max"}, "padding size stride",
                     "antialiasing maxpool_depth maxpool_zero_nonmax out_channels stride_x "
                     "stride_y"},
    [CFG_ROUTE] = {{"route"}, "layers", "group_id groups"},
    [CFG_REORG] = {{"reorg"}, "extra flatten reverse stride"},
    [CFG_SHORTCUT] = {{"shortcut"}, "activation alpha beta from",
                      "weights_normalization weights_type"},
    [CFG_UPSAMPLE] = {{"upsample"}, "scale stride"},
    [CFG_CONNECTED] = {{"connected", "conn"}, "activation batch_normalize output"},
    [CFG_DROPOUT] = {{"dropout"}, "probability"},
    [CFG_LOCAL] = {{"local"}, "activation filters pad size stride"},
    [CFG_AVGPOOL] = {{"avgpool", "avg"}, ""},
    [CFG_SOFTMAX] = {{"softmax", "soft"}, "groups noloss spatial temperature tree"},
    [CFG_DETECTION] = {{"detection"},
                       "class_scale classes coord_scale coords forced jitter max noobject_scale "
                       "num object_scale random reorg rescore side softmax sqrt"},
    [CFG_REGION] = {{"region"},
                    "absolute anchors background bias_match class_scale classes classfix "
                    "coord_scale coords jitter log map mask_scale max noobject_scale num "
                    "object_scale random rescore softmax sqrt thresh tree",
                    "focal_loss resize"},
    [CFG_YOLO] = {{"yolo"},
                  "anchors classes ignore_thresh jitter map mask max num random truth_thresh",
                  "beta_nms cls_normalizer counters_per_class delta_normalizer dets_for_show "
                  "dets_for_track embedding_layer focal_loss iou_loss iou_normalizer iou_thresh "
                  "iou_thresh_kind label_smooth_eps max_delta new_coords nms_kind "
                  "obj_normalizer objectness_smooth resize scale_x_y show_details sim_thresh "
                  "track_ciou_norm track_history_size"},
    [CFG_DECONVOLUTIONAL] = {{"deconvolutional", "deconv"},
                             "activation batch_normalize filters pad padding size stride"},
    [CFG_ACTIVATION] = {{"activation"}, "activation"},
    [CFG_LOGISTIC] = {{"logistic"}, ""},
    [CFG_L2NORM] = {{"l2norm"}, ""},
    [CFG_CRNN] = {{"crnn"}, "activation batch_normalize hidden_filters output_filters shortcut"},
    [CFG_GRU] = {{"gru"}, "batch_normalize output tanh"},
    [CFG_LSTM] = {{"lstm"}, "batch_normalize output"},
    [CFG_RNN] = {{"rnn"}, "activation batch_normalize output shortcut"},
    [CFG_NORMALIZATION] = {{"normalization", "lrn"}, "alpha beta kappa size"},
    [CFG_BATCHNORM] = {{"batchnorm"}, ""},
    [CFG_CROP] = {{"crop"},
                  "angle crop_height crop_width exposure flip noadjust saturation shift"},
    [CFG_COST] = {{"cost"}, "noobj ratio scale thresh type"},
    [CFG_ISEG] = {{"iseg"}, "classes ids"},
};

/* Keys darknet reads for every layer section (parse_network_cfg), and those
 * only AlexeyAB's reads. */
static const char layer_keys[] =
    "dontload dontloadscales dontsave learning_rate numload onlyforward smooth stopbackward truth";
static const char layer_keys_ab[] =
    "burnin_update dont_update show_receptive_field stream train_only_bn wait_stream";

const char *cfg_type_name(cfg_type t) { return defs[t].names[0]; }
int cfg_builds(cfg_type t) { return t < CFG_DECONVOLUTIONAL; }

static int in_list(const char *list, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n == kl && strncmp(p, key, n) == 0)
            return 1;
        p += n + (p[n] == ' ');
    }
    return 0;
}

static int key_known(cfg_type t, const char *key)
{
    return in_list(defs[t].keys, key) || (defs[t].own && in_list(defs[t].own, key)) ||
           (t != CFG_NET && in_list(layer_keys, key));
}

static int key_ab(cfg_type t, const char *key)
{
    return (defs[t].ab && in_list(defs[t].ab, key)) ||
           (t != CFG_NET && in_list(layer_keys_ab, key));
}

/* Edit distance of two short strings, capped: for "did you mean". */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* The closest word of list to w, if closer than *best edits: into buf,
 * *best lowered; NULL if none is. */
static const char *closest(const char *list, const char *w, char *buf, size_t n, int *best)
{
    const char *found = NULL;
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, " ");
        if (k < n) {
            char cand[64];
            snprintf(cand, sizeof cand, "%.*s", (int)k, p);
            int d = distance(w, cand);
            if (d < *best) {
                *best = d;
                snprintf(buf, n, "%s", cand);
                found = buf;
            }
        }
        p += k + (p[k] == ' ');
    }
    return found;
}

static int section_type(const char *name)
{
    for (int t = 0; t < CFG_NTYPES; t++)
        for (int k = 0; k < 3 && defs[t].names[k]; k++)
            if (strcmp(defs[t].names[k], name) == 0)
                return t;
    return -1;
}

void cfg_free(cfg *c)
{
    for (int i = 0; i < c->n; i++) {
        for (int k = 0; k < c->s[i].n; k++) {
            free(c->s[i].kv[k].key);
            free(c->s[i].kv[k].val);
        }
        free(c->s[i].kv);
    }
    free(c->s);
    free(c->path);
    memset(c, 0, sizeof *c);
}

int cfg_fail(const cfg *c, const cfg_section *s, const char *key, yerr *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = s ? s->line : 0;
    for (int k = 0; s && key && k < s->n; k++)
        if (strcmp(s->kv[k].key, key) == 0)
            line = s->kv[k].line;
    if (!s)
        return yerr_set(err, YOLO_EINPUT, "%s: %s", c->path, msg);
    if (key)
        return yerr_set(err, YOLO_EINPUT, "%s:%d: [%s] %s: %s", c->path, line,
                        cfg_type_name(s->type), key, msg);
    return yerr_set(err, YOLO_EINPUT, "%s:%d: [%s]: %s", c->path, line, cfg_type_name(s->type),
                    msg);
}

/* darknet drops every whitespace character of a line before reading it, so
 * "anchors = 1, 2" is "anchors=1,2"; do the same. */
static size_t squeeze(char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            s[j++] = s[i];
    s[j] = 0;
    return j;
}

static int add_section(cfg *c, int type, int line, yerr *err)
{
    if (c->n == CFG_MAX_SECTIONS)
        return yerr_set(err, YOLO_EINPUT, "%s:%d: more than %d sections", c->path, line,
                        CFG_MAX_SECTIONS);
    if (c->n % 64 == 0) {
        cfg_section *p = realloc(c->s, (size_t)(c->n + 64) * sizeof *p);
        if (!p)
            return yerr_set(err, YOLO_EIO, "out of memory");
        c->s = p;
    }
    c->s[c->n++] = (cfg_section){(cfg_type)type, line, NULL, 0};
    return 0;
}

static int add_key(cfg *c, cfg_section *s, char *text, int line, yerr *err)
{
    char *eq = strchr(text, '=');
    if (!eq || eq == text)
        return yerr_set(err, YOLO_EINPUT, "%s:%d: expected key=value, got '%.80s'", c->path,
                        line, text);
    *eq = 0;
    const char *key = text, *val = eq + 1;
    int ab = key_ab(s->type, key);
    if (ab && !c->ab_line)
        c->ab_line = line;
    if (!ab && !key_known(s->type, key)) {
        /* the nearest within 2 edits: darknet's keys first, then this
         * project's, then AlexeyAB's */
        char buf[64];
        int best = 3;
        const char *near = NULL, *lists[3] = {defs[s->type].keys, defs[s->type].own,
                                              defs[s->type].ab};
        for (int i = 0; i < 3; i++)
            if (lists[i] && closest(lists[i], key, buf, sizeof buf, &best))
                near = buf;
        return yerr_set(err, YOLO_EINPUT, "%s:%d: [%s] has no key '%s'%s%s%s", c->path, line,
                        cfg_type_name(s->type), key, near ? " (did you mean '" : "",
                        near ? near : "", near ? "'?)" : "");
    }
    for (int k = 0; k < s->n; k++)
        if (strcmp(s->kv[k].key, key) == 0)
            return yerr_set(err, YOLO_EINPUT, "%s:%d: [%s] %s given twice (first on line %d)",
                            c->path, line, cfg_type_name(s->type), key, s->kv[k].line);
    if (s->n == CFG_MAX_KEYS)
        return yerr_set(err, YOLO_EINPUT, "%s:%d: more than %d keys in one section", c->path,
                        line, CFG_MAX_KEYS);
    if (s->n % 16 == 0) {
        cfg_kv *p = realloc(s->kv, (size_t)(s->n + 16) * sizeof *p);
        if (!p)
            return yerr_set(err, YOLO_EIO, "out of memory");
        s->kv = p;
    }
    cfg_kv kv = {strdup(key), strdup(val), line, 0};
    if (!kv.key || !kv.val) {
        free(kv.key);
        free(kv.val);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    s->kv[s->n++] = kv;
    return 0;
}

/* One squeezed, non-empty line. */
static int parse_line(cfg *c, char *t, size_t n, int line, yerr *err)
{
    if (t[0] == '#' || t[0] == ';')
        return 0;
    if (t[0] == '[') {
        if (t[n - 1] != ']')
            return yerr_set(err, YOLO_EINPUT, "%s:%d: section header '%.80s' has no ']'",
                            c->path, line, t);
        t[n - 1] = 0;
        int type = section_type(t + 1);
        if (type < 0)
            return yerr_set(err, YOLO_EINPUT, "%s:%d: unknown section [%.80s]", c->path, line,
                            t + 1);
        if ((c->n == 0) != (type == CFG_NET))
            return yerr_set(err, YOLO_EINPUT, "%s:%d: %s", c->path, line,
                            c->n == 0 ? "the first section must be [net]"
                                      : "[net] may only be the first section");
        return add_section(c, type, line, err);
    }
    if (c->n == 0)
        return yerr_set(err, YOLO_EINPUT, "%s:%d: '%.80s' before the first section [net]",
                        c->path, line, t);
    return add_key(c, &c->s[c->n - 1], t, line, err);
}

int cfg_parse(cfg *c, const char *name, const char *text, size_t len, yerr *err)
{
    memset(c, 0, sizeof *c);
    c->path = strdup(name);
    char *buf = malloc(CFG_MAX_LINE + 1);
    if (!c->path || !buf) {
        free(buf);
        cfg_free(c);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    int line = 0, rc = 0;
    for (size_t i = 0; rc == 0 && i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        line++;
        if (n > CFG_MAX_LINE)
            rc = yerr_set(err, YOLO_EINPUT, "%s:%d: line longer than %d bytes", c->path, line,
                          CFG_MAX_LINE);
        else if (memchr(text + i, 0, n))
            rc = yerr_set(err, YOLO_EINPUT, "%s:%d: a NUL byte: not a text file", c->path, line);
        else {
            memcpy(buf, text + i, n);
            size_t m = squeeze(buf, n);
            if (m)
                rc = parse_line(c, buf, m, line, err);
        }
        i += n + 1;
    }
    free(buf);
    if (rc == 0 && c->n == 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: no sections: not a darknet cfg", c->path);
    if (rc < 0)
        cfg_free(c);
    return rc;
}

int cfg_load(cfg *c, const char *path, yerr *err)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            char *p = cap <= (64u << 20) ? realloc(text, cap) : NULL;
            if (!p) {
                rc = yerr_set(err, YOLO_EINPUT, "%s: larger than 64 MiB: not a cfg", path);
                break;
            }
            text = p;
        }
        size_t k = fread(text + len, 1, cap - len, f);
        len += k;
        if (k == 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error", path);
    fclose(f);
    if (rc == 0)
        rc = cfg_parse(c, path, text, len, err);
    free(text);
    return rc;
}

/* ---- lookups --------------------------------------------------------------- */

static cfg_kv *find(cfg_section *s, const char *key)
{
    for (int k = 0; k < s->n; k++)
        if (strcmp(s->kv[k].key, key) == 0) {
            s->kv[k].used = 1;
            return &s->kv[k];
        }
    return NULL;
}

int cfg_has(cfg_section *s, const char *key) { return find(s, key) != NULL; }

int cfg_word(const cfg *c, const cfg_section *s, const char *key, const char *words, yerr *err)
{
    for (int k = 0; k < s->n; k++)
        if (strcmp(s->kv[k].key, key) == 0 && !in_list(words, s->kv[k].val))
            return cfg_fail(c, s, key, err, "'%s' is not one of: %s", s->kv[k].val, words);
    return 0;
}

const char *cfg_str(cfg_section *s, const char *key, const char *def)
{
    cfg_kv *kv = find(s, key);
    return kv ? kv->val : def;
}

static int parse_long(const char *t, long min, long max, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(t, &end, 10);
    if (errno || end == t || *end || x < min || x > max)
        return -1;
    *v = x;
    return 0;
}

static int parse_float(const char *t, float min, float max, float *v)
{
    char *end;
    errno = 0;
    float x = strtof(t, &end);
    if (errno || end == t || *end || !isfinite(x) || x < min || x > max)
        return -1;
    *v = x;
    return 0;
}

int cfg_int(const cfg *c, cfg_section *s, const char *key, int def, int min, int max, int *v,
            yerr *err)
{
    cfg_kv *kv = find(s, key);
    long x = def;
    if (kv && parse_long(kv->val, min, max, &x) < 0)
        return cfg_fail(c, s, key, err, "'%s' is not an integer in [%d, %d]", kv->val, min, max);
    *v = (int)x;
    return 0;
}

int cfg_float(const cfg *c, cfg_section *s, const char *key, float def, float min, float max,
              float *v, yerr *err)
{
    cfg_kv *kv = find(s, key);
    float x = def;
    if (kv && parse_float(kv->val, min, max, &x) < 0)
        return cfg_fail(c, s, key, err, "'%s' is not a number in [%g, %g]", kv->val, (double)min,
                        (double)max);
    *v = x;
    return 0;
}

/* Splits kv's value at commas, calling item(i, text) for each. darknet
 * allows a trailing comma ("anchors=1,2,"): so do we. */
static int each_item(const cfg *c, cfg_section *s, cfg_kv *kv, int maxn, int *n, yerr *err,
                     int (*item)(void *ctx, int i, const char *t), void *ctx)
{
    *n = 0;
    char t[64];
    for (const char *p = kv->val; *p;) {
        size_t k = strcspn(p, ",");
        if (*n == maxn)
            return cfg_fail(c, s, kv->key, err, "more than %d items", maxn);
        if (k == 0 || k >= sizeof t)
            return cfg_fail(c, s, kv->key, err, "item %d is empty or too long", *n + 1);
        memcpy(t, p, k);
        t[k] = 0;
        if (item(ctx, *n, t) < 0)
            return cfg_fail(c, s, kv->key, err, "item %d '%s' is not valid here", *n + 1, t);
        (*n)++;
        p += k + (p[k] == ',');
    }
    return 0;
}

typedef struct int_items {
    int *v;
    long min, max;
} int_items;

static int int_item(void *ctx, int i, const char *t)
{
    int_items *it = ctx;
    long x;
    if (parse_long(t, it->min, it->max, &x) < 0)
        return -1;
    it->v[i] = (int)x;
    return 0;
}

static int float_item(void *ctx, int i, const char *t)
{
    return parse_float(t, -1e30f, 1e30f, (float *)ctx + i);
}

int cfg_ints(const cfg *c, cfg_section *s, const char *key, int *v, int maxn, int *n, int min,
             int max, yerr *err)
{
    cfg_kv *kv = find(s, key);
    *n = 0;
    int_items it = {v, min, max};
    return kv ? each_item(c, s, kv, maxn, n, err, int_item, &it) : 0;
}

int cfg_floats(const cfg *c, cfg_section *s, const char *key, float *v, int maxn, int *n,
               yerr *err)
{
    cfg_kv *kv = find(s, key);
    *n = 0;
    return kv ? each_item(c, s, kv, maxn, n, err, float_item, v) : 0;
}

void cfg_unused(const cfg *c, void (*fn)(void *ctx, const cfg *c, const cfg_section *s,
                                         const cfg_kv *kv), void *ctx)
{
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->s[i].n; k++)
            if (!c->s[i].kv[k].used)
                fn(ctx, c, &c->s[i], &c->s[i].kv[k]);
}
