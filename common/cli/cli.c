#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/cli/cli.h"
#include "yolo/net/isa.h"
#include "yolo/base/version.h"

enum { OPT_HELP = -1, OPT_VERSION = -2, OPT_QUIET = -3, OPT_OUTPUT = -4 };

static const cli_opt common_opts[] = {
    {OPT_OUTPUT, "output", 'o', "FILE", "write to FILE instead of standard output"},
    {OPT_QUIET, "quiet", 'q', NULL, "no progress line and no warnings"},
    {OPT_HELP, "help", 0, NULL, "show this help and exit"},
    {OPT_VERSION, "version", 0, NULL, "show the version and exit"},
    {0, NULL, 0, NULL, NULL},
};

/* The library's sink (yolo/base/report.h): warnings and notes become this
 * stage's messages, progress its progress line. */
static void say(void *ctx, yrep_level level, const char *text)
{
    cli *c = ctx;
    if (level == YREP_PROGRESS)
        cli_progress_text(c, text);
    else if (level == YREP_NOTE)
        cli_note(c, "%s", text);
    else
        cli_warn(c, "%s", text);
}

void cli_init(cli *c, const cli_desc *d)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->outf = stdout;
    c->outname = "<stdout>";
    c->cur_file = -1;
    c->rd_fd = -1;
    c->total = -1;
    c->rep = (yrep){.say = say, .ctx = c};
    /* A closed pipe downstream (`stage | head`) ends the stage quietly with
     * SIGPIPE, whatever disposition the parent left us. */
    signal(SIGPIPE, SIG_DFL);
#ifdef __GLIBC__
    /* Stages allocate and free images and tensors of a few MB per record.
     * glibc would map and unmap each one, and the kernel's zeroing of the
     * fresh pages then costs more than the work (a third of encode-targets'
     * time, half of darknet-forward's system time): keep blocks up to the
     * largest threshold glibc allows on the heap, and freed memory there. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

/* One message, one write: stderr is unbuffered, and stages sharing a
 * terminal or log would otherwise interleave their lines mid-way. */
static void vmsg(const cli *c, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "%s%s: ", c->shown ? "\r\033[K" : "", c->d->name);
    if (n >= 0 && (size_t)n < sizeof line - 1) {
        int m = vsnprintf(line + n, sizeof line - 1 - (size_t)n, fmt, ap);
        n = m < 0 ? n : (size_t)(n + m) < sizeof line - 1 ? n + m : (int)sizeof line - 2;
    }
    if (n < 0)
        return;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

void cli_warn(cli *c, const char *fmt, ...)
{
    if (c->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(c, fmt, ap);
    va_end(ap);
    c->shown = 0;
}

void cli_note(cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(c, fmt, ap);
    va_end(ap);
    c->shown = 0;
}

int cli_fail(cli *c, const yerr *err)
{
    cli_note(c, "%s", err->msg);
    c->status = err->code ? err->code : YOLO_EIO;
    return c->status;
}

int cli_usage_error(cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(c, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", c->d->name);
    c->status = YOLO_EUSAGE;
    return -1;
}

static void print_opts(FILE *f, const cli_opt *o, int no_stdout)
{
    for (; o->name; o++) {
        if (no_stdout && o->id == OPT_OUTPUT)
            continue;
        char lhs[64];
        snprintf(lhs, sizeof lhs, "%c%c%c --%s%s%s", o->shortc ? '-' : ' ',
                 o->shortc ? o->shortc : ' ', o->shortc ? ',' : ' ', o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s\n", lhs, o->help);
    }
}

static void print_help(const cli *c)
{
    const cli_desc *d = c->d;
    printf("Usage: %s [OPTION]...%s%s\n%s\n\nOptions:\n", d->name, d->args ? " " : "",
           d->args ? d->args : "", d->summary);
    if (d->opts)
        print_opts(stdout, d->opts, 0);
    print_opts(stdout, common_opts, d->no_stdout);
    if (d->details)
        printf("\n%s\n", d->details);
    printf("\nExit status: 0 ok, 1 usage error, 2 bad input, 3 I/O or system error.\n");
}

static size_t count_opts(const cli_opt *o)
{
    size_t n = 0;
    while (o && o[n].name)
        n++;
    return n;
}

/* Builds getopt_long's tables from the stage's options and the common ones.
 * A long option's val is its index in the combined list plus 256, so short
 * letters and long names map to the same entry. */
static int build_getopt(const cli *c, const cli_opt **all, struct option *lo, char *so)
{
    size_t ns = count_opts(c->d->opts), nc = count_opts(common_opts), k = 0, j = 0;
    if (ns + nc > CLI_MAX_OPTS)
        return -1;
    for (size_t i = 0; i < ns + nc; i++) {
        const cli_opt *o = i < ns ? &c->d->opts[i] : &common_opts[i - ns];
        all[i] = o;
        lo[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                  (int)(256 + i)};
        if (o->shortc) {
            so[j++] = (char)o->shortc;
            if (o->arg)
                so[j++] = ':';
        }
    }
    lo[k] = (struct option){0, 0, 0, 0};
    so[j] = 0;
    return (int)(ns + nc);
}

static int open_output(cli *c, const char *path)
{
    if (!freopen(path, "wb", stdout))
        return cli_usage_error(c, "cannot open output '%s': %s", path, strerror(errno));
    c->outname = path;
    return 0;
}

/* Outside a terminal the progress goes out as a line every
 * YOLO_PROGRESS_EVERY seconds (default CLI_PROGRESS_EVERY; 0: never). */
static int progress_every(cli *c)
{
    const char *v = getenv("YOLO_PROGRESS_EVERY");
    c->line_every = CLI_PROGRESS_EVERY;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double s = strtod(v, &end);
    if (end == v || *end || errno || !(s >= 0 && s <= 86400))
        return cli_usage_error(c, "YOLO_PROGRESS_EVERY='%.40s': not a number of seconds in "
                                  "[0, 86400] (0: no progress lines)", v);
    c->line_every = s;
    return 0;
}

int cli_parse(cli *c, int argc, char **argv,
              int (*on_option)(cli *c, void *ctx, int id, const char *arg), void *ctx)
{
    const cli_opt *all[CLI_MAX_OPTS];
    struct option lo[CLI_MAX_OPTS + 1];
    char so[2 * CLI_MAX_OPTS + 2];
    int n = build_getopt(c, all, lo, so);
    if (n < 0)
        return cli_usage_error(c, "internal: too many options");
    const char *output = NULL;
    opterr = 0;
    optind = 1;
    for (;;) {
        int li = -1;
        int ch = getopt_long(argc, argv, so, lo, &li);
        if (ch == -1)
            break;
        if (ch == '?' || ch == ':') {
            if (optopt >= 256 && optopt - 256 < n)
                return cli_usage_error(c, "option --%s needs an argument", all[optopt - 256]->name);
            if (optopt > 0 && optopt < 256)
                return cli_usage_error(c, "option -%c: %s", optopt,
                                       strchr(so, optopt) ? "needs an argument" : "unknown option");
            return cli_usage_error(c, "unknown option '%s'", argv[optind - 1]);
        }
        const cli_opt *o = NULL;
        if (ch >= 256 && ch - 256 < n)
            o = all[ch - 256];
        for (int i = 0; !o && i < n; i++)
            if (all[i]->shortc == ch)
                o = all[i];
        if (!o)
            return cli_usage_error(c, "internal: option %d", ch);
        switch (o->id) {
        case OPT_HELP: print_help(c); c->status = YOLO_OK; return -1;
        case OPT_VERSION:
            printf("%s %s (record schema %d)\n", c->d->name, YOLO_VERSION, YOLO_SCHEMA_VERSION);
            c->status = YOLO_OK;
            return -1;
        case OPT_QUIET: c->quiet = 1; break;
        case OPT_OUTPUT: output = optarg; break;
        default:
            if (o->id == c->d->info_opt)
                c->info = 1;
            if (!on_option || on_option(c, ctx, o->id, optarg) < 0) {
                if (c->status == YOLO_OK)
                    cli_usage_error(c, "option --%s: not handled", o->name);
                return -1;
            }
        }
    }
    isa_family isa;
    yerr isa_err;
    if (isa_requested(&isa, &isa_err) < 0)
        return cli_usage_error(c, "%s", isa_err.msg);
    c->files = argv + optind;
    c->nfiles = argc - optind;
    if (c->nfiles > 0 && !c->d->reads_records && !c->d->args)
        return cli_usage_error(c, "unexpected argument '%s'", c->files[0]);
    if (output && c->d->no_stdout)
        return cli_usage_error(c, "option -o: %s writes files, not standard output", c->d->name);
    if (output && open_output(c, output) < 0)
        return -1;
    if (c->d->writes_records && !c->info && isatty(STDOUT_FILENO))
        return cli_usage_error(c, "will not write a binary record stream to a terminal: "
                                  "pipe it on (e.g. into records-to-json) or use -o FILE");
    rec_writer_init(&c->out, c->outf, c->outname);
    c->progress = !c->quiet && isatty(STDERR_FILENO);
    if (!c->quiet && !c->progress && progress_every(c) < 0)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    c->last = c->last_line = c->t0;
    if (c->d->reads_records)
        for (int i = 0; i < c->nfiles; i++) {
            struct stat st;
            if (strcmp(c->files[i], "-") != 0 && stat(c->files[i], &st) == 0 &&
                S_ISREG(st.st_mode))
                c->total_bytes += (unsigned long long)st.st_size;
            else {
                c->total_bytes = 0;
                break;
            }
        }
    return 0;
}

int cli_long(cli *c, const char *opt, const char *arg, long min, long max, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(arg, &end, 10);
    if (errno || end == arg || *end || x < min || x > max)
        return cli_usage_error(c, "option --%s: '%s' is not an integer in [%ld, %ld]", opt, arg,
                               min, max);
    *v = x;
    return 0;
}

int cli_double(cli *c, const char *opt, const char *arg, double min, double max, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(x) || x < min || x > max)
        return cli_usage_error(c, "option --%s: '%s' is not a number in [%g, %g]", opt, arg, min,
                               max);
    *v = x;
    return 0;
}

/* ---- inputs ------------------------------------------------------------------ */

static void close_input(cli *c)
{
    if (c->rd)
        c->done_bytes += rec_reader_bytes(c->rd);
    rec_reader_free(c->rd);
    c->rd = NULL;
    if (c->rd_fd >= 0)
        close(c->rd_fd);
    c->rd_fd = -1;
}

int cli_ninputs(const cli *c) { return c->nfiles ? c->nfiles : 1; }

int cli_open_input(const cli *c, int i, const char **name, yerr *err)
{
    const char *path = c->nfiles ? c->files[i] : "-";
    if (strcmp(path, "-") == 0) {
        *name = "<stdin>";
        return STDIN_FILENO;
    }
    *name = path;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    return fd;
}

static int open_next(cli *c, yerr *err)
{
    close_input(c);
    c->cur_file++;
    if (c->cur_file >= cli_ninputs(c))
        return 0;
    const char *name;
    int fd = cli_open_input(c, c->cur_file, &name, err);
    if (fd < 0)
        return -1;
    if (fd != STDIN_FILENO)
        c->rd_fd = fd;
    c->rd = rec_reader_new_fd(fd, name, err);
    return c->rd ? 1 : -1;
}

int cli_read(cli *c, rec *r, yerr *err)
{
    for (;;) {
        if (!c->rd) {
            int rc = open_next(c, err);
            if (rc <= 0)
                return rc;
        }
        int rc = rec_read(c->rd, r, err);
        if (rc == 1) {
            cli_tick(c);
            return 1;
        }
        if (rc < 0)
            return -1;
        close_input(c);
    }
}

/* ---- progress ------------------------------------------------------------------ */

static double secs(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

/* The progress text: rewritten in place on a terminal; outside one, a line
 * of its own every line_every seconds (nohup, a log file). */
static void show_progress(cli *c, const char *text)
{
    if (c->progress) {
        fprintf(stderr, "\r\033[K%s: %s", c->d->name, text);
        c->shown = 1;
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (c->quiet || !(c->line_every > 0) || secs(c->last_line, now) < c->line_every)
        return;
    c->last_line = now;
    char line[600];
    int n = snprintf(line, sizeof line, "%s: %s\n", c->d->name, text);
    if (n > 0)
        fwrite(line, 1, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, stderr);
}

void cli_progress_text(cli *c, const char *text)
{
    c->custom_progress = 1;
    show_progress(c, text);
}

void cli_tick(cli *c)
{
    c->done++;
    if (c->quiet || c->custom_progress)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (secs(c->last, now) < 0.25)
        return;
    c->last = now;
    double el = secs(c->t0, now), rate = (double)c->done / (el > 0 ? el : 1e-9);
    double frac = -1;
    if (c->total > 0)
        frac = (double)c->done / (double)c->total;
    else if (c->total_bytes > 0 && c->rd)
        frac = (double)(c->done_bytes + rec_reader_bytes(c->rd)) / (double)c->total_bytes;
    char text[200];
    int n = snprintf(text, sizeof text, "%ld records, %.1f/s", c->done, rate);
    if (frac > 0 && frac <= 1 && n > 0 && (size_t)n < sizeof text) {
        long eta = (long)(el / frac - el);
        snprintf(text + n, sizeof text - (size_t)n, ", %.0f%%, ETA %ld:%02ld", 100 * frac,
                 eta / 60, eta % 60);
    }
    show_progress(c, text);
}

int cli_finish(cli *c)
{
    close_input(c);
    if (c->shown) {
        fputs("\r\033[K", stderr);
        c->shown = 0;
    }
    /* Close stdout ourselves so that a failed final write (full disk, NFS)
     * is reported rather than lost in exit(). */
    /* A write that failed earlier (ferror) left its errno in the record
     * writer, errno itself may be stale by now (a stop's EPIPE read as
     * ENOENT); a stage that writes stdout itself has only errno to go by. */
    int bad = ferror(c->outf), last = errno;   /* a stage's own failed write left it */
    errno = 0;
    int closed = fclose(c->outf);
    int cause = closed != 0 ? errno : c->out.write_errno ? c->out.write_errno : last;
    if (closed != 0 || bad) {
        if (cause == EPIPE)
            return c->status;
        cli_note(c, "%s: write error: %s", c->outname, strerror(cause ? cause : EIO));
        if (c->status == YOLO_OK)
            c->status = YOLO_EIO;
    }
    return c->status;
}
