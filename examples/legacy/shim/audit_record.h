/* What the front sends the worker for each intercepted legacy_add call. */
#ifndef LEGACY_AUDIT_RECORD_H
#define LEGACY_AUDIT_RECORD_H

typedef struct audit_record {
    int a;
    int b;
    int result;
    unsigned long thread_id; /* the host thread that made the call */
} audit_record;

#endif
