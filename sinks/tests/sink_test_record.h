/* What the sink tests' front posts for each record: its number (the host's
 * own sequence) and when it was made. */
#ifndef SINK_TEST_RECORD_H
#define SINK_TEST_RECORD_H

typedef struct sink_test_record {
    unsigned long long number;
    unsigned long long time; /* FILETIME, UTC */
} sink_test_record;

#endif
