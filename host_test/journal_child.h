/* What journal_child.exe and the tests that start it share. */
#ifndef TWINSHIM_JOURNAL_CHILD_H
#define TWINSHIM_JOURNAL_CHILD_H

/* Call i is legacy_add(i, JOURNAL_CHILD_B): its audit line is
 * "legacy_add(i, 1000000) = ...". */
#define JOURNAL_CHILD_B 1000000

enum {
    JOURNAL_CHILD_RECOVERED = 0,
    JOURNAL_CHILD_BAD_USAGE = 2,
    JOURNAL_CHILD_SETUP_FAILED = 3,
    JOURNAL_CHILD_WRONG_RESULT = 4,
    JOURNAL_CHILD_TERMINATED = 77
};

#endif
