/* What the front sends the worker for each call. shim_front_post copies it,
 * so it holds values only: never a pointer into the front, which may be
 * unloaded before the worker handles the record. */
#ifndef MYPLUGIN_RECORD_H
#define MYPLUGIN_RECORD_H

typedef struct myplugin_record {
    int a;
    int b;
    int result;
    unsigned long thread_id; /* the caller's */
} myplugin_record;

#endif
