/* common/base/parse.c: the one grammar of option values that hold two numbers
 * (--net W,H, --shard K/N, --size WxH, --sizes MIN[,MAX], --scale A[,B]). */
#include <string.h>

#include "check.h"
#include "yolo/base/parse.h"

static const parse_pair_spec sides = {.form = "WxH", .what = "sides", .sep = 'x', .whole = 1,
                                      .lo = 1, .hi = 100};
static const parse_pair_spec sizes = {.form = "MIN[,MAX]", .what = "sizes", .sep = ',',
                                      .alone = 1, .order = PARSE_LE, .whole = 1, .lo = 1,
                                      .hi = 100};
static const parse_pair_spec shard = {.form = "K/N", .what = "numbers", .sep = '/',
                                      .order = PARSE_LT, .whole = 1, .lo = 0,
                                      .hi = PARSE_MAX_WHOLE};
static const parse_pair_spec reals = {.form = "A[,B]", .what = "scales", .sep = ',',
                                      .alone = 1, .order = PARSE_LE, .lo = 0.01, .hi = 4};

/* Whether p refuses every value of v (NULL-terminated) as a usage error. */
static int all_refused(const parse_pair_spec *p, const char *const *v)
{
    double x[2];
    yerr err;
    int all = 1;
    for (; *v; v++)
        all &= parse_pair(*v, p, x, &err) < 0 && err.code == YOLO_EUSAGE;
    return all;
}

static void test_whole(void)
{
    double v[2];
    yerr err;
    CHECK(parse_pair("64x48", &sides, v, &err) == 0 && v[0] == 64 && v[1] == 48, "WxH");
    const char *bad[] = {"64", "x48", "64x", "64x48x", " 64x48", "64 x48", "+64x48", "-1x48",
                         "0x48", "101x48", "6.4x48", "1e1x48", "0x10x48", "", NULL};
    CHECK(all_refused(&sides, bad),
          "no sign, blank, fraction, exponent, empty side or out of range");
    CHECK(parse_pair("101x48", &sides, v, &err) < 0 &&
              strcmp(err.msg, "'101x48' is not WxH with sides in [1, 100]") == 0,
          "the message names the value, its form and the range (%s)", err.msg);
}

static void test_alone_and_order(void)
{
    double v[2];
    yerr err;
    CHECK(parse_pair("32", &sizes, v, &err) == 0 && v[0] == 32 && v[1] == 32,
          "one size stands for both");
    CHECK(parse_pair("32,32", &sizes, v, &err) == 0 && parse_pair("32,64", &sizes, v, &err) == 0,
          "MIN <= MAX");
    CHECK(parse_pair("64,32", &sizes, v, &err) < 0 && strstr(err.msg, ", the first no larger"),
          "MIN > MAX refused, saying so (%s)", err.msg);
    CHECK(parse_pair("0/1", &shard, v, &err) == 0, "K < N");
    CHECK(parse_pair("9007199254740990/9007199254740991", &shard, v, &err) == 0 &&
              v[1] == PARSE_MAX_WHOLE,
          "whole numbers up to 2^53 - 1, exactly");
    const char *bad[] = {"1/1", "2/1", "0", "0/9007199254740992", "0/9223372036854775808", NULL};
    CHECK(all_refused(&shard, bad), "K >= N, K alone and N past 2^53 - 1 refused");
}

static void test_reals(void)
{
    double v[2];
    yerr err;
    CHECK(parse_pair(".6,1.6", &reals, v, &err) == 0 && v[0] == .6 && v[1] == 1.6, "A,B");
    CHECK(parse_pair("2", &reals, v, &err) == 0 && v[0] == 2 && v[1] == 2, "A alone");
    const char *bad[] = {"0", "1,5", "2,1", "nan", "inf,1", "1,", ",1", "1,1,1", "x", NULL};
    CHECK(all_refused(&reals, bad), "out of range, out of order, not finite, empty refused");
    CHECK(parse_pair("2,1", &reals, v, &err) < 0 &&
              strcmp(err.msg, "'2,1' is not A[,B] with scales in [0.01, 4], the first no larger")
                  == 0,
          "the message of a real pair (%s)", err.msg);
}

/* --shard's parts: contiguous, in order, covering every item once, sizes
 * differing by one at most, for totals smaller and larger than n, and for
 * an n near 2^53 (no product overflows). */
static void test_shard_range(void)
{
    static const size_t totals[] = {0, 1, 2, 5, 7, 100, 1001};
    static const long ns[] = {1, 2, 3, 7, 64};
    int ok = 1;
    for (size_t t = 0; t < sizeof totals / sizeof *totals; t++)
        for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) {
            size_t at = 0, lo, hi, small = (size_t)-1, big = 0;
            for (long k = 0; k < ns[j]; k++) {
                parse_shard_range(k, ns[j], totals[t], &lo, &hi);
                ok &= lo == at && hi >= lo;
                small = hi - lo < small ? hi - lo : small;
                big = hi - lo > big ? hi - lo : big;
                at = hi;
            }
            ok &= at == totals[t] && big - small <= 1;
        }
    CHECK(ok, "parts follow one another, cover the whole, differ in size by one at most");
    size_t lo, hi;
    parse_shard_range(1, 3, 7, &lo, &hi);
    CHECK(lo == 3 && hi == 5, "7 items in 3: [0, 3) [3, 5) [5, 7), part 1 is [%zu, %zu)", lo, hi);
    parse_shard_range(9007199254740990L, 9007199254740991L, 10000000, &lo, &hi);
    CHECK(lo == 10000000 && hi == 10000000, "the last of 2^53 - 1 parts of 1e7 items: empty");
    parse_shard_range(5, 9007199254740991L, 10000000, &lo, &hi);
    CHECK(lo == 5 && hi == 6, "part 5 of 2^53 - 1: item 5 alone");
}

int main(void)
{
    test_whole();
    test_alone_and_order();
    test_reals();
    test_shard_range();
    return check_done();
}
