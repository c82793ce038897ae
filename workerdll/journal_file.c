/* The journal as Windows sees it (journal_file.h). */
#include <string.h>
#include <wchar.h>

#include "../common/fault_injection.h"
#include "../common/protocol.h"
#include "journal_file.h"

#define JOURNAL_FOLDER_VARIABLE L"TWINSHIM_JOURNAL_DIR"
#define JOURNAL_EXTENSION L".journal"
#define REJECTED_SUFFIX L".rejected"

/* FNV-1a, 64 bits: a key, not a secret. */
static uint64_t hash_bytes(uint64_t hash, const void *bytes, size_t count)
{
    const unsigned char *at = bytes;

    for (size_t i = 0; i < count; i++) {
        hash ^= at[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/* A path compares without case on Windows: ASCII letters are folded (the
 * loader keeps the case a program asked for), and both slashes are one. */
static uint64_t hash_path(uint64_t hash, const wchar_t *path)
{
    for (; *path != L'\0'; path++) {
        wchar_t c = *path;

        if (c >= L'a' && c <= L'z')
            c = (wchar_t)(c - L'a' + L'A');
        if (c == L'/')
            c = L'\\';
        hash = hash_bytes(hash, &c, sizeof c);
    }
    return hash;
}

/* ntdll's token and SID calls, looked up: advapi32's would make the worker
 * import advapi32, which a host that lacks it (and its own imports) then
 * loads and unloads with every front (a load and unload of the front took
 * twice as long under Wine). */
typedef LONG(NTAPI *open_process_token_function)(HANDLE process, ACCESS_MASK access, HANDLE *token);
typedef LONG(NTAPI *query_token_function)(HANDLE token, TOKEN_INFORMATION_CLASS what, void *information,
                                          ULONG size, ULONG *returned);
typedef BOOLEAN(NTAPI *valid_sid_function)(PSID sid);
typedef ULONG(NTAPI *sid_length_function)(PSID sid);

/* The user's SID: a journal folder shared by two users keeps their
 * journals apart. Without a token the key has no user part. */
static uint64_t hash_user(uint64_t hash)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    open_process_token_function open_token;
    query_token_function query_token;
    valid_sid_function valid_sid;
    sid_length_function sid_length;
    HANDLE token;
    union {
        TOKEN_USER user;
        unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } buffer;
    ULONG returned_length; /* not needed: the buffer holds the largest SID */

    if (ntdll == NULL)
        return hash;
    /* Through void (*)(void): GCC warns on a cast between unrelated function types. */
    open_token = (open_process_token_function)(void (*)(void))GetProcAddress(ntdll, "NtOpenProcessToken");
    query_token = (query_token_function)(void (*)(void))GetProcAddress(ntdll, "NtQueryInformationToken");
    valid_sid = (valid_sid_function)(void (*)(void))GetProcAddress(ntdll, "RtlValidSid");
    sid_length = (sid_length_function)(void (*)(void))GetProcAddress(ntdll, "RtlLengthSid");
    if (open_token == NULL || query_token == NULL || valid_sid == NULL || sid_length == NULL ||
        open_token(GetCurrentProcess(), TOKEN_QUERY, &token) < 0)
        return hash;
    if (query_token(token, TokenUser, &buffer, sizeof buffer, &returned_length) >= 0 &&
        valid_sid(buffer.user.User.Sid))
        hash = hash_bytes(hash, buffer.user.User.Sid, sid_length(buffer.user.User.Sid));
    CloseHandle(token);
    return hash;
}

static BOOL append(wchar_t *path, size_t *length, const wchar_t *text)
{
    size_t count = wcslen(text);

    if (*length + count + 1 > JOURNAL_PATH_CAPACITY)
        return FALSE;
    memcpy(path + *length, text, count * sizeof(wchar_t));
    *length += count;
    path[*length] = L'\0';
    return TRUE;
}

/* Lower-case hex, `digits` of them, without the C runtime (attach runs
 * under the loader lock). */
static void format_hex(wchar_t *text, unsigned long long value, unsigned digits)
{
    for (unsigned i = 0; i < digits; i++)
        text[i] = L"0123456789abcdef"[(value >> (4 * (digits - 1 - i))) & 0xf];
    text[digits] = L'\0';
}

static BOOL base_folder(const wchar_t *configured_folder, wchar_t *folder, size_t *length)
{
    DWORD count = GetEnvironmentVariableW(JOURNAL_FOLDER_VARIABLE, folder, JOURNAL_PATH_CAPACITY);

    if (count > 0 && count < JOURNAL_PATH_CAPACITY) {
        *length = count;
    } else if (configured_folder != NULL && configured_folder[0] != L'\0') {
        *length = 0;
        if (!append(folder, length, configured_folder))
            return FALSE;
    } else {
        count = GetEnvironmentVariableW(L"LOCALAPPDATA", folder, JOURNAL_PATH_CAPACITY);
        if (count == 0 || count >= JOURNAL_PATH_CAPACITY)
            count = GetTempPathW(JOURNAL_PATH_CAPACITY, folder);
        if (count == 0 || count >= JOURNAL_PATH_CAPACITY)
            return FALSE;
        *length = count;
        if (folder[*length - 1] != L'\\' && !append(folder, length, L"\\"))
            return FALSE;
        if (!append(folder, length, L"twinshim\\journal"))
            return FALSE;
    }
    return folder[*length - 1] == L'\\' || append(folder, length, L"\\");
}

int shim__journal_identity(const wchar_t *front_path, const wchar_t *configured_folder,
                           journal_identity *identity)
{
    const wchar_t *name = front_path;
    wchar_t key_text[17];
    size_t length = 0;
    FILETIME created;
    FILETIME unused[3];

    for (const wchar_t *at = front_path; *at != L'\0'; at++) {
        if (*at == L'\\' || *at == L'/')
            name = at + 1;
    }
    identity->owner_key = hash_user(hash_path(0xcbf29ce484222325ull, front_path));
    wcsncpy(identity->front_name, name, JOURNAL_FRONT_NAME_CAPACITY);
    identity->front_name[JOURNAL_FRONT_NAME_CAPACITY] = L'\0';
    identity->process_id = GetCurrentProcessId();
    identity->process_started = 0;
    if (GetProcessTimes(GetCurrentProcess(), &created, &unused[0], &unused[1], &unused[2]))
        identity->process_started = (uint64_t)created.dwHighDateTime << 32 | created.dwLowDateTime;

    if (!base_folder(configured_folder, identity->folder, &length))
        return SHIM_E_PATH_TOO_LONG;
    format_hex(key_text, identity->owner_key, 16);
    if (!append(identity->folder, &length, identity->front_name) ||
        !append(identity->folder, &length, L"-") || !append(identity->folder, &length, key_text) ||
        !append(identity->folder, &length, L"\\"))
        return SHIM_E_PATH_TOO_LONG;
    return SHIM_OK;
}

BOOL shim__journal_path(const journal_identity *identity, const wchar_t *name, wchar_t *path)
{
    size_t length = 0;

    path[0] = L'\0';
    return append(path, &length, identity->folder) && append(path, &length, name);
}

/* Creates every folder of a path that ends in a backslash. */
static BOOL create_folders(wchar_t *path)
{
    for (wchar_t *at = path; *at != L'\0'; at++) {
        wchar_t kept;

        if (*at != L'\\' || at == path || at[-1] == L':' || (at - path == 1 && path[0] == L'\\'))
            continue;
        kept = at[1];
        at[1] = L'\0';
        if (!CreateDirectoryW(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS &&
            GetLastError() != ERROR_ACCESS_DENIED) {
            at[1] = kept;
            return FALSE;
        }
        at[1] = kept;
    }
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

static void write_header(journal_header *header, const journal_identity *identity, uint64_t ring_size,
                         uint32_t message_limit)
{
    FILETIME now;
    size_t name_length = wcslen(identity->front_name);

    memcpy(header->magic, JOURNAL_MAGIC, JOURNAL_MAGIC_SIZE);
    header->version = JOURNAL_VERSION;
    header->header_size = JOURNAL_HEADER_SIZE;
    header->ring_size = ring_size;
    header->owner_key = identity->owner_key;
    header->process_id = identity->process_id;
    header->message_limit = message_limit;
    header->process_started = identity->process_started;
    GetSystemTimeAsFileTime(&now);
    header->created = (uint64_t)now.dwHighDateTime << 32 | now.dwLowDateTime;
    header->front_name_length = (uint32_t)name_length;
    for (size_t i = 0; i < name_length; i++)
        header->front_name[i] = (uint16_t)identity->front_name[i];
    header->tail = 0;
    header->release = 0;
    header->next_sequence = 1;
}

/* The whole file written with zeros before it is mapped: the disk's space
 * is then allocated (a sparse file would fault in the host when the disk is
 * full), and a new ring holds no stamp that could look published. */
static BOOL allocate_space(HANDLE file, uint64_t size)
{
    /* In .bss: pages of zeros the system maps on first use, never written. */
    static const unsigned char zeros[1024 * 1024];
    uint64_t written_total = 0;

    while (written_total < size) {
        DWORD chunk =
            size - written_total < sizeof zeros ? (DWORD)(size - written_total) : (DWORD)sizeof zeros;
        DWORD written = 0;

        if (!WriteFile(file, zeros, chunk, &written, NULL) || written != chunk) {
            if (GetLastError() == ERROR_SUCCESS)
                SetLastError(ERROR_DISK_FULL);
            return FALSE;
        }
        written_total += written;
    }
    return TRUE;
}

static BOOL map_file(journal_file *journal, DWORD protection, DWORD access)
{
    journal->mapping = CreateFileMappingW(journal->file, NULL, protection, 0, 0, NULL);
    if (journal->mapping == NULL)
        return FALSE;
    journal->image = MapViewOfFile(journal->mapping, access, 0, 0, 0);
    return journal->image != NULL;
}

static void set_delete_on_close(HANDLE file)
{
    FILE_DISPOSITION_INFO disposition = { .DeleteFile = TRUE };

    SetFileInformationByHandle(file, FileDispositionInfo, &disposition, sizeof disposition);
}

/* "<process id>-<process start>-<number>.journal": unique per process
 * and session, and a name says whose it is. */
static void name_journal(const journal_identity *identity, unsigned number,
                         wchar_t name[JOURNAL_NAME_CAPACITY])
{
    wchar_t text[20];
    size_t length = 0;

    name[0] = L'\0';
    format_hex(text, identity->process_id, 8);
    append(name, &length, text);
    append(name, &length, L"-");
    format_hex(text, identity->process_started, 16);
    append(name, &length, text);
    append(name, &length, L"-");
    format_hex(text, number, 8);
    append(name, &length, text);
    append(name, &length, JOURNAL_EXTENSION);
}

/* A worker unloaded and loaded again counts its sessions from 1 again: a
 * name an earlier session of this process kept (it held unfinished
 * messages) is passed over. */
#define JOURNAL_NAME_TRIES 64

int shim__journal_create(journal_identity *identity, unsigned number, uint64_t ring_size,
                         uint32_t message_limit, journal_file *journal, journal_view *view)
{
    int status = SHIM_E_SYSTEM;
    DWORD error;

    memset(journal, 0, sizeof *journal);
    journal->file = INVALID_HANDLE_VALUE;
    journal->image_size = JOURNAL_HEADER_SIZE + ring_size;
    wcscpy(identity->path, identity->folder);
    if (!SHIM__FAULTABLE_ON(SHIM_FAULTS_JOURNAL, create_folders(identity->path), FALSE))
        return SHIM_E_SYSTEM;
    for (unsigned attempt = 0; attempt < JOURNAL_NAME_TRIES; attempt++) {
        name_journal(identity, number + attempt * 0x10000u, journal->name);
        if (!shim__journal_path(identity, journal->name, identity->path))
            return SHIM_E_PATH_TOO_LONG;
        /* Shared for reading only: a session of another process that tries
         * to recover it opens it with no sharing, and fails while we live. */
        journal->file =
            SHIM__FAULTABLE_ON(SHIM_FAULTS_JOURNAL,
                               CreateFileW(identity->path, GENERIC_READ | GENERIC_WRITE | DELETE,
                                           FILE_SHARE_READ, NULL, CREATE_NEW,
                                           FILE_ATTRIBUTE_NORMAL | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED, NULL),
                               INVALID_HANDLE_VALUE);
        if (journal->file != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_EXISTS)
            break;
    }
    if (journal->file == INVALID_HANDLE_VALUE)
        return SHIM_E_SYSTEM;
    if (!SHIM__FAULTABLE_ON(SHIM_FAULTS_JOURNAL, allocate_space(journal->file, journal->image_size), FALSE) ||
        !SHIM__FAULTABLE_ON(SHIM_FAULTS_JOURNAL,
                            map_file(journal, PAGE_READWRITE, FILE_MAP_READ | FILE_MAP_WRITE), FALSE))
        goto done;
    write_header(journal->image, identity, ring_size, message_limit);
    if (journal_validate(journal->image, journal->image_size, identity->owner_key, view) != JOURNAL_VALID) {
        SetLastError(ERROR_INVALID_DATA);
        goto done;
    }
    status = SHIM_OK;

done:
    if (status != SHIM_OK) {
        error = GetLastError();
        shim__journal_close(journal, TRUE);
        SetLastError(error);
    }
    return status;
}

int shim__journal_create_in_memory(const journal_identity *identity, uint64_t ring_size,
                                   uint32_t message_limit, journal_file *journal, journal_view *view)
{
    memset(journal, 0, sizeof *journal);
    journal->file = INVALID_HANDLE_VALUE;
    journal->image_size = JOURNAL_HEADER_SIZE + ring_size;
    journal->image = SHIM__FAULTABLE(VirtualAlloc(NULL, (SIZE_T)journal->image_size, MEM_RESERVE | MEM_COMMIT,
                                                  PAGE_READWRITE),
                                     NULL);
    if (journal->image == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    write_header(journal->image, identity, ring_size, message_limit);
    journal_validate(journal->image, journal->image_size, identity->owner_key, view);
    return SHIM_OK;
}

BOOL shim__journal_flush(const journal_file *journal, const void *address, size_t length)
{
    if (journal->file == INVALID_HANDLE_VALUE)
        return TRUE;
    /* FlushViewOfFile only starts the write; FlushFileBuffers waits for it
     * (and the file's metadata) to be on the disk. */
    return FlushViewOfFile(address, length) && FlushFileBuffers(journal->file);
}

void shim__journal_close(journal_file *journal, BOOL remove)
{
    if (journal->file == INVALID_HANDLE_VALUE) {
        if (journal->image != NULL)
            VirtualFree(journal->image, 0, MEM_RELEASE);
        journal->image = NULL;
        return;
    }
    if (journal->image != NULL)
        UnmapViewOfFile(journal->image);
    if (journal->mapping != NULL)
        CloseHandle(journal->mapping);
    /* Removed through the handle, once no view maps it: no other process
     * can open the name in between (it never shared writing or deleting). */
    if (remove)
        set_delete_on_close(journal->file);
    CloseHandle(journal->file);
    journal->image = NULL;
    journal->mapping = NULL;
    journal->file = INVALID_HANDLE_VALUE;
}

dead_journal_result shim__journal_open_dead(journal_identity *identity, const wchar_t *name,
                                            journal_file *journal, journal_view *view,
                                            journal_verdict *verdict)
{
    LARGE_INTEGER size;
    dead_journal_result result = DEAD_JOURNAL_FAILED;

    memset(journal, 0, sizeof *journal);
    *verdict = JOURNAL_VALID;
    if (wcslen(name) >= sizeof journal->name / sizeof journal->name[0])
        return DEAD_JOURNAL_IN_USE; /* not a name this runtime writes */
    wcscpy(journal->name, name);
    if (!shim__journal_path(identity, name, identity->path))
        return DEAD_JOURNAL_FAILED;
    /* No sharing: fails with a sharing violation while its writer lives
     * (it holds the file open) or another session recovers it. */
    journal->file =
        CreateFileW(identity->path, GENERIC_READ | GENERIC_WRITE | DELETE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (journal->file == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_SHARING_VIOLATION ? DEAD_JOURNAL_IN_USE : DEAD_JOURNAL_FAILED;
    if (!GetFileSizeEx(journal->file, &size))
        goto done;
    /* Sizes a journal cannot have are refused before anything is mapped. */
    if (size.QuadPart < (LONGLONG)(JOURNAL_HEADER_SIZE + JOURNAL_RING_MIN) ||
        size.QuadPart > (LONGLONG)(JOURNAL_HEADER_SIZE + JOURNAL_RING_MAX)) {
        *verdict = size.QuadPart < (LONGLONG)(JOURNAL_HEADER_SIZE + JOURNAL_RING_MIN) ? JOURNAL_TOO_SHORT
                                                                                      : JOURNAL_SIZE_MISMATCH;
        result = DEAD_JOURNAL_REJECTED;
        goto done;
    }
    journal->image_size = (uint64_t)size.QuadPart;
    if (!map_file(journal, PAGE_READWRITE, FILE_MAP_READ | FILE_MAP_WRITE))
        goto done;
    *verdict = journal_validate(journal->image, journal->image_size, identity->owner_key, view);
    result = *verdict == JOURNAL_VALID ? DEAD_JOURNAL_OPENED : DEAD_JOURNAL_REJECTED;

done:
    if (result != DEAD_JOURNAL_OPENED) {
        DWORD error = GetLastError();

        shim__journal_close(journal, FALSE);
        SetLastError(error);
    }
    return result;
}

/* At attach, under the loader lock: a few files looked at, not a folder
 * of them. */
#define ADOPTION_CANDIDATES 8

/* Whether this session's messages fit in a dead journal: the ring the
 * session would make, at most half of it still in use, and room to name
 * one more earlier owner (or none left whose records are not released). */
static BOOL adoptable(const journal_view *view, uint64_t ring_size, uint32_t message_limit)
{
    const journal_header *header = view->header;
    uint32_t count = header->earlier_owner_count;
    uint64_t release;
    uint64_t tail;

    journal_bounds(view, &release, &tail);
    return view->ring_size == ring_size && view->message_limit == message_limit &&
           tail - release <= ring_size / 2 &&
           (count < JOURNAL_EARLIER_OWNERS || header->earlier_owners[count - 1].end <= release);
}

/* The dead writer becomes the last earlier owner, this process the owner.
 * Each step leaves a header a reader takes as it was or as it becomes, if
 * this process is killed in between: the entry is written before it is
 * counted, and entries whose records are all released are dropped by one
 * store of the count. */
static void become_owner(journal_header *header, const journal_identity *identity)
{
    uint64_t tail = header->tail;
    uint64_t release = header->release;
    uint32_t count = header->earlier_owner_count;

    if (count > 0 && header->earlier_owners[count - 1].end <= release) {
        header->earlier_owner_count = 0;
        count = 0;
    }
    if (tail > release) {
        header->earlier_owners[count].end = tail;
        header->earlier_owners[count].process_id = header->process_id;
        header->earlier_owners[count].reserved = 0;
        header->earlier_owners[count].process_started = header->process_started;
        header->earlier_owner_count = count + 1;
    }
    header->process_id = identity->process_id;
    header->process_started = identity->process_started;
}

/* Named as this session's own, so that a folder of journals says whose
 * each one is; left under its old name if the rename is refused. */
static void rename_as_own(journal_identity *identity, unsigned number, journal_file *journal)
{
    wchar_t name[JOURNAL_NAME_CAPACITY];
    FILE_RENAME_INFO *rename;
    size_t path_bytes;

    name_journal(identity, number, name);
    if (!shim__journal_path(identity, name, identity->path))
        return;
    path_bytes = wcslen(identity->path) * sizeof(wchar_t);
    rename = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *rename + path_bytes);
    if (rename == NULL)
        return;
    rename->ReplaceIfExists = FALSE;
    rename->FileNameLength = (DWORD)path_bytes;
    memcpy(rename->FileName, identity->path, path_bytes);
    if (SetFileInformationByHandle(journal->file, FileRenameInfo, rename,
                                   (DWORD)(sizeof *rename + path_bytes)))
        wcscpy(journal->name, name);
    HeapFree(GetProcessHeap(), 0, rename);
}

BOOL shim__journal_adopt(journal_identity *identity, unsigned number, uint64_t ring_size,
                         uint32_t message_limit, journal_file *journal, journal_view *view,
                         uint64_t *adopted_end)
{
    WIN32_FIND_DATAW found;
    HANDLE search;
    unsigned looked = 0;
    BOOL adopted = FALSE;

    if (!shim__journal_path(identity, L"*" JOURNAL_EXTENSION, identity->path))
        return FALSE;
    search = FindFirstFileW(identity->path, &found);
    if (search == INVALID_HANDLE_VALUE)
        return FALSE;
    do {
        journal_verdict verdict;

        if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        looked++;
        /* Alive, damaged or another's: recovery's to deal with. */
        if (shim__journal_open_dead(identity, found.cFileName, journal, view, &verdict) !=
            DEAD_JOURNAL_OPENED)
            continue;
        if (!adoptable(view, ring_size, message_limit)) {
            shim__journal_close(journal, FALSE);
            continue;
        }
        *adopted_end = view->header->tail;
        become_owner(view->header, identity);
        rename_as_own(identity, number, journal);
        adopted = TRUE;
    } while (!adopted && looked < ADOPTION_CANDIDATES && FindNextFileW(search, &found));
    FindClose(search);
    return adopted;
}

BOOL shim__journal_move_aside(journal_identity *identity, const wchar_t *name)
{
    /* On the session thread, whose stack has room. */
    wchar_t source[JOURNAL_PATH_CAPACITY];
    size_t length;

    if (!shim__journal_path(identity, name, source))
        return FALSE;
    wcscpy(identity->path, source);
    length = wcslen(identity->path);
    return append(identity->path, &length, REJECTED_SUFFIX) &&
           MoveFileExW(source, identity->path, MOVEFILE_REPLACE_EXISTING);
}
