/* Reading decoded msgpack values (msgpack_object): the helpers every
 * consumer of nested values uses. */
#ifndef YOLO_MP_H
#define YOLO_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Does str s hold exactly key[0, n)? (msgpack-c gives an empty str a NULL
 * pointer, so never memcmp it directly.) */
int mp_str_eq(const msgpack_object_str *s, const char *key, size_t n);
/* The value of key in map, or NULL if map is not a map or lacks the key. */
const msgpack_object *mp_map_get(const msgpack_object *map, const char *key);
int mp_as_i64(const msgpack_object *o, int64_t *v);   /* 0 ok, -1 wrong type or range */
int mp_as_f64(const msgpack_object *o, double *v);    /* int or float */
int mp_as_bool(const msgpack_object *o, int *v);
/* A str's bytes (never NULL: "" when empty) and length. */
int mp_as_str(const msgpack_object *o, const char **s, size_t *len);
const char *mp_object_type_name(const msgpack_object *o);

/* Packs a map key (a str). Returns msgpack's status. */
int mp_pack_key(msgpack_packer *pk, const char *key);

#endif
