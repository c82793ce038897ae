/* The journal as Windows sees it: which folder and file belong to a front,
 * creating and mapping a new journal or adopting a dead one, opening a dead
 * one so that no other process can, and closing (removing it once nothing
 * in it is unfinished).
 * docs/journal.md says why each step is what it is. */
#ifndef TWINSHIM_WORKER_JOURNAL_FILE_H
#define TWINSHIM_WORKER_JOURNAL_FILE_H

#include <stdint.h>

#include <windows.h>

#include "journal_reader.h"

/* Long enough for any path the loader accepts. */
#define JOURNAL_PATH_CAPACITY 32768u
/* A journal's file name, with room to spare. */
#define JOURNAL_NAME_CAPACITY 64u

/* Which journals are whose: the front (by its full path) and the user. */
typedef struct journal_identity {
    uint64_t owner_key;
    /* The front's folder of journals, with a trailing backslash. */
    wchar_t folder[JOURNAL_PATH_CAPACITY];
    wchar_t front_name[JOURNAL_FRONT_NAME_CAPACITY + 1];
    DWORD process_id;
    uint64_t process_started;
    /* Where paths are put together: one session's journals are opened by
     * its attach or its session thread, never both at once. */
    wchar_t path[JOURNAL_PATH_CAPACITY];
} journal_identity;

/* Works out the identity of the front at front_path for this process and
 * user, and its folder: TWINSHIM_JOURNAL_DIR, else configured_folder, else
 * %LOCALAPPDATA%\twinshim\journal, then "<front file name>-<key>\". Nothing
 * is created. SHIM_OK, or SHIM_E_PATH_TOO_LONG / SHIM_E_SYSTEM. */
int shim__journal_identity(const wchar_t *front_path, const wchar_t *configured_folder,
                           journal_identity *identity);

/* A journal's storage: a mapped file, or process memory. */
typedef struct journal_file {
    HANDLE file; /* INVALID_HANDLE_VALUE for memory */
    HANDLE mapping;
    void *image;
    uint64_t image_size;
    wchar_t name[JOURNAL_NAME_CAPACITY]; /* the file's name in the identity's folder; empty for memory */
} journal_file;

/* Creates this process's journal number `number` in the identity's folder
 * (creating the folders), of ring_size bytes, its space allocated on disk
 * before it is mapped (a write to a mapped page the disk cannot hold would
 * fault in the host), its header written. Under the loader lock: file
 * calls only, no wait for another thread. SHIM_OK, or SHIM_E_SYSTEM with
 * the failed call's error as the last error (nothing is left behind). */
int shim__journal_create(journal_identity *identity, unsigned number, uint64_t ring_size,
                         uint32_t message_limit, journal_file *journal, journal_view *view);

/* Instead of a new journal: adopts a dead journal of the front in its
 * folder that this session's messages fit in (the same ring size and
 * message limit, at most half of it in use), so that programs that die or
 * exit before their plugin starts leave one file, not one each. Its dead
 * writer's records stay where they are, recorded as an earlier owner's
 * (journal_format.h); this process's follow them; the file is renamed as
 * this session's journal `number`. Under the loader lock: file calls only.
 * TRUE with *journal, *view and *adopted_end (positions before it are dead
 * processes') set; FALSE when none fits (nothing changed). */
BOOL shim__journal_adopt(journal_identity *identity, unsigned number, uint64_t ring_size,
                         uint32_t message_limit, journal_file *journal, journal_view *view,
                         uint64_t *adopted_end);

/* The same journal in process memory, for a plugin that opts out or when
 * the file could not be made. SHIM_OK or SHIM_E_OUT_OF_MEMORY. */
int shim__journal_create_in_memory(const journal_identity *identity, uint64_t ring_size,
                                   uint32_t message_limit, journal_file *journal, journal_view *view);

/* Writes the journal's pages in [offset, offset + length) of the image to
 * the disk and waits until they are there (SHIM_FLUSH_EVERY_POST). */
BOOL shim__journal_flush(const journal_file *journal, const void *address, size_t length);

/* Unmaps and closes; with remove, deletes the file. */
void shim__journal_close(journal_file *journal, BOOL remove);

typedef enum dead_journal_result {
    DEAD_JOURNAL_OPENED,   /* mapped, valid, ours alone */
    DEAD_JOURNAL_IN_USE,   /* its process (or another recoverer) holds it: alive */
    DEAD_JOURNAL_REJECTED, /* not readable as ours: see *verdict; closed, left as it is */
    DEAD_JOURNAL_FAILED    /* a Windows call failed: the last error says which */
} dead_journal_result;

/* Opens the journal `name` in the identity's folder with no sharing at
 * all: it succeeds only if no live process holds the file, and from then
 * on no other can open it, so two sessions never recover one journal. */
dead_journal_result shim__journal_open_dead(journal_identity *identity, const wchar_t *name,
                                            journal_file *journal, journal_view *view,
                                            journal_verdict *verdict);

/* Renames the file `name` of the identity's folder to "<name>.rejected" so
 * that no session reads it again; FALSE if it could not be. */
BOOL shim__journal_move_aside(journal_identity *identity, const wchar_t *name);

/* Writes folder + name into path (JOURNAL_PATH_CAPACITY). */
BOOL shim__journal_path(const journal_identity *identity, const wchar_t *name, wchar_t *path);

#endif
