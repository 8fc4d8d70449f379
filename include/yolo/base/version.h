#ifndef YOLO_VERSION_H
#define YOLO_VERSION_H
#define YOLO_VERSION "0.1.0"
/* The record schema of docs/records.md this build reads and writes. */
#define YOLO_SCHEMA_VERSION 1
#endif
