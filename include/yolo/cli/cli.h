/* What every stage shares: options (getopt_long, --help, --version,
 * --quiet, -o), inputs (file arguments or stdin, read as one record stream),
 * messages on stderr prefixed with the stage name, the progress line, the
 * exit status, and closing stdout with its error checked.
 *
 * A stage's main:
 *     cli c;
 *     cli_init(&c, &stage_desc);
 *     if (cli_parse(&c, argc, argv, on_option, &cfg) < 0) return c.status;
 *     while ((rc = cli_read(&c, &r, &err)) == 1) { ... rec_write(&c.out, &r, &err) ... }
 *     if (rc < 0) cli_fail(&c, &err);
 *     return cli_finish(&c);
 */
#ifndef YOLO_CLI_H
#define YOLO_CLI_H

#include <stdio.h>
#include <time.h>

#include "yolo/base/err.h"
#include "yolo/records/record.h"
#include "yolo/base/report.h"

#define CLI_MAX_OPTS 48
#define CLI_PROGRESS_EVERY 60   /* seconds between progress lines outside a terminal */

/* One stage option. id is what on_option receives. */
typedef struct cli_opt {
    int id;               /* > 0, unique within the stage */
    const char *name;     /* long name, without "--" */
    int shortc;           /* short letter, or 0 */
    const char *arg;      /* argument name shown in --help, NULL for a flag */
    const char *help;     /* one line */
} cli_opt;

typedef struct cli_desc {
    const char *name;     /* the stage's name: message prefix, --help, --version */
    const char *args;     /* positional arguments shown in the usage line, e.g. "[FILE]..." */
    const char *summary;  /* one line: what the stage does */
    const char *details;  /* more help text after the options, or NULL */
    const cli_opt *opts;  /* the stage's own options; ends with {0} */
    int reads_records;    /* FILE arguments (or stdin) are record streams */
    int writes_records;   /* stdout is a record stream: refuse a terminal */
    int no_stdout;        /* writes files, nothing on stdout: -o does not apply */
    int info_opt;         /* id of an option that prints a report on stdout instead of
                             records (--summary): no terminal check then; 0: none */
} cli_desc;

typedef struct cli {
    const cli_desc *d;
    int status;           /* exit status so far */
    int quiet;
    int info;             /* the info_opt option was given */
    FILE *outf;           /* stdout, or the -o file (which replaces stdout) */
    const char *outname;  /* "<stdout>" or the -o path */
    rec_writer out;       /* records written to outf */
    char **files;         /* [nfiles] positional arguments */
    int nfiles;
    /* inputs, when reads_records */
    int cur_file;         /* index of the open input, -1 before the first */
    rec_reader *rd;
    int rd_fd;            /* fd to close when the input is done, -1 for stdin */
    unsigned long long done_bytes; /* of inputs finished */
    unsigned long long total_bytes; /* sum of regular input files, 0 if unknown */
    /* progress line */
    int progress;         /* stderr is a terminal and not --quiet */
    long total;           /* records expected, -1 if unknown */
    long done;            /* records counted so far */
    struct timespec t0, last;
    int shown;            /* a progress line is on the terminal */
    double line_every;    /* outside a terminal: seconds between progress lines (0: none) */
    struct timespec last_line;
    int custom_progress;  /* the stage writes its own progress text */
    /* what the library's warnings, notes and progress go through: these
     * messages, --quiet and the progress line (set by cli_init) */
    yrep rep;
} cli;

void cli_init(cli *c, const cli_desc *d);

/* Parses argv. Stage options go to on_option(ctx, id, arg), which returns 0
 * or -1 after reporting a usage error with cli_usage_error. Returns 0 to go
 * on, -1 when main should return c->status now (after --help, --version, or
 * a usage error). */
int cli_parse(cli *c, int argc, char **argv,
              int (*on_option)(cli *c, void *ctx, int id, const char *arg), void *ctx);

/* Typed option values with range checks; on failure a usage error naming the
 * option is printed, c->status = 1, and -1 returned. */
int cli_long(cli *c, const char *opt, const char *arg, long min, long max, long *v);
int cli_double(cli *c, const char *opt, const char *arg, double min, double max, double *v);
int cli_usage_error(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number of inputs (1 for stdin when there is no file argument), and the
 * i-th opened: its fd (STDIN_FILENO for "-") and a name for messages.
 * Returns the fd, or -1 with err set (YOLO_EIO). Close it unless stdin. */
int cli_ninputs(const cli *c);
int cli_open_input(const cli *c, int i, const char **name, yerr *err);

/* The next record of the inputs, file after file (stdin when there is no
 * file argument, or for "-"). 1 record, 0 end of all inputs, -1 error. */
int cli_read(cli *c, rec *r, yerr *err);

/* Messages on stderr, prefixed "stage: ". Warnings are silenced by --quiet. */
void cli_warn(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_note(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports err and records its code as the exit status. Returns the code. */
int cli_fail(cli *c, const yerr *err);

/* Counts one record done for the progress line (cli_read does this itself
 * for record inputs); c->total may be set for stages that know it. */
void cli_tick(cli *c);
/* Shows the stage's own progress text instead (not with --quiet); record
 * counting then stays silent. On a terminal the text is rewritten in place;
 * outside one (nohup, a log) it is a line of its own every
 * YOLO_PROGRESS_EVERY seconds (default CLI_PROGRESS_EVERY, 0: never). */
void cli_progress_text(cli *c, const char *text);

/* Flushes and closes the output, checking for errors (a full disk shows up
 * here), clears the progress line, frees inputs. Returns the exit status. */
int cli_finish(cli *c);

#endif
