/* Exit codes and the error value every fallible function fills.
 *
 * One table for the whole project (README.md repeats it):
 *   0  ok
 *   1  usage: bad option or argument
 *   2  bad input: a record, file or value that does not follow the contract
 *   3  I/O or system error: read/write failure, out of memory
 */
#ifndef YOLO_ERR_H
#define YOLO_ERR_H

enum {
    YOLO_OK = 0,
    YOLO_EUSAGE = 1,
    YOLO_EINPUT = 2,
    YOLO_EIO = 3,
};

/* Functions return -1 (or a negative status) and fill this; the stage's main
 * prints msg prefixed with the stage name and exits with code. */
typedef struct yerr {
    int code;       /* one of the YOLO_E* codes above */
    char msg[1024]; /* one line, no trailing newline, no stage prefix */
} yerr;

/* Sets code and a printf-formatted message; returns -1 so callers can
 * `return yerr_set(err, YOLO_EINPUT, "...")`. err may be NULL. */
int yerr_set(yerr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an already set message (adds context on the way up). */
int yerr_prefix(yerr *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
