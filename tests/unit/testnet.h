/* A network built from cfg text, for the unit tests (include check.h
 * first: the build is a check of its own). */
#ifndef YOLO_TEST_NET_H
#define YOLO_TEST_NET_H

#include <string.h>

#include "yolo/net/network.h"

static inline int test_net(const char *text, network *net)
{
    cfg c;
    yerr err = {0};
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), &err);
    if (rc == 0) {
        rc = net_load(&c, net, &err);
        cfg_free(&c);
    }
    CHECK(rc == 0, "test network builds (%s)", rc ? err.msg : "ok");
    return rc;
}

#endif
