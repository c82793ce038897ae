/* Recovery: once on_start has returned, the session thread looks in its
 * front's journal folder for journals that no live process holds, and
 * takes them over, so that their messages are delivered (first) by this
 * session. Each is opened with no sharing at all, which both tells that its
 * writer is gone and keeps any other session from recovering it too. A
 * file that is not a journal of this front and user, or is damaged, is
 * never delivered from: it is reported and moved aside. */
#include <wchar.h>

#include "../common/report.h"
#include "session.h"

#define JOURNAL_PATTERN L"*.journal"

static void report_rejected(shim_session *session, const wchar_t *name, const char *why, BOOL moved)
{
    shim_report report = { .length = 0 };

    shim__report_ascii(&report, "twinshim worker: journal ");
    shim__report_wide(&report, session->identity.folder);
    shim__report_wide(&report, name);
    shim__report_ascii(&report, " is not read: ");
    shim__report_ascii(&report, why);
    shim__report_ascii(&report, moved ? "; moved aside (.rejected)\n" : "; it could not be moved aside\n");
    shim__report_send(&report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

static void report_recovered(const session_journal *journal)
{
    shim_report report = { .length = 0 };
    const journal_header *header = journal->ring.view.header;

    shim__report_ascii(&report, "twinshim worker: recovering the journal of process ");
    shim__report_number(&report, header->process_id);
    shim__report_ascii(&report, " (");
    shim__report_wide(&report, journal->storage.name);
    shim__report_ascii(&report, "): ");
    shim__report_number(&report, (unsigned long long)ring_backlog(&journal->ring));
    shim__report_ascii(&report, " bytes of messages\n");
    shim__report_send(&report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

/* Said once the session runs: the own journal was adopted at attach (a
 * report there could wait under the loader lock). */
static void report_adopted(const session_journal *own)
{
    shim_report report = { .length = 0 };
    const journal_header *header = own->ring.view.header;
    uint64_t release = __atomic_load_n(&header->release, __ATOMIC_ACQUIRE);
    uint32_t process_id;
    uint64_t process_started;

    if (own->adopted_end <= release)
        return;
    journal_writer_of(&own->ring.view, own->adopted_end - 1, &process_id, &process_started);
    shim__report_ascii(&report, "twinshim worker: continuing the journal of process ");
    shim__report_number(&report, process_id);
    shim__report_ascii(&report, header->earlier_owner_count > 1 ? " and earlier ones (" : " (");
    shim__report_wide(&report, own->storage.name);
    shim__report_ascii(&report, "): ");
    shim__report_number(&report, (unsigned long long)(own->adopted_end - release));
    shim__report_ascii(&report, " bytes of their messages, delivered before this process's\n");
    shim__report_send(&report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

/* Takes over one dead journal: FALSE when there is no room left for it. */
static BOOL take_over(shim_session *session, const wchar_t *name)
{
    LONG count = shim__read_flag(&session->journal_count);
    session_journal *journal;
    journal_view view;
    journal_verdict verdict;
    dead_journal_result result;

    if (wcscmp(name, session->journals[0].storage.name) == 0)
        return TRUE;
    if (count >= SHIM_MAX_JOURNALS)
        return FALSE;
    journal = &session->journals[count];
    result = shim__journal_open_dead(&session->identity, name, &journal->storage, &view, &verdict);
    if (result == DEAD_JOURNAL_REJECTED) {
        /* Another front's or user's is left as it is, unread. */
        if (verdict != JOURNAL_OTHER_OWNER)
            report_rejected(session, name, journal_verdict_text(verdict),
                            shim__journal_move_aside(&session->identity, name));
        return TRUE;
    }
    if (result != DEAD_JOURNAL_OPENED)
        return TRUE; /* alive, or out of our reach: a later session tries again */
    message_ring_open(&journal->ring, &view);
    journal->recovered = 1;
    journal->recovered_tail = __atomic_load_n(&view.header->tail, __ATOMIC_RELAXED);
    journal->drained = 0;
    journal->closed = 0;
    journal->batches_running = 0;
    /* Everything handed over at its exit, or finished before: only the
     * file is left to remove. */
    if (shim__unfinished_messages(journal) == 0) {
        shim__journal_close(&journal->storage, TRUE);
        return TRUE;
    }
    report_recovered(journal);
    /* Consumers read journal_count with acquire: the journal is complete
     * before they can see it. */
    InterlockedExchange(&session->journal_count, count + 1);
    return TRUE;
}

void shim__recover_dead_journals(shim_session *session)
{
    WIN32_FIND_DATAW found;
    HANDLE search;

    /* A plugin that keeps its messages in memory has no journals. */
    if (session->queue_settings.journal != SHIM_JOURNAL_FILE)
        return;
    report_adopted(&session->journals[0]);
    if (!shim__journal_path(&session->identity, JOURNAL_PATTERN, session->identity.path))
        return;
    search = FindFirstFileW(session->identity.path, &found);
    if (search == INVALID_HANDLE_VALUE)
        return;
    do {
        if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        if (!take_over(session, found.cFileName))
            break; /* the rest wait for a later session */
    } while (FindNextFileW(search, &found));
    FindClose(search);
}
