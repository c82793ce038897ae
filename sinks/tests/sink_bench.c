/* The sinks side by side: the file sink, the RELP sink (to the rsyslog that
 * run-sink-bench.sh started) and the RELP sink with its collector down (a
 * port nothing listens on), in rotating rounds within one process (A B C,
 * B C A, C A B ...), so that all see the same machine. Each round loads
 * sink_test_front.dll with the sink chosen by TWINSHIM_TEST_SINK, posts
 * `records` records as fast as it can, waits until the sink made every one
 * durable (not with the collector down), and frees the front. It prints one
 * JSON object per round:
 *   post_ns     the host's mean cost of a post (what an intercepted call adds)
 *   records_per_s  records made durable per second, from the first post to
 *               the last acknowledgement (RELP) or write (file); 0 when down
 *
 * Records left in the journal by a round with the collector down would be
 * delivered by the next round: those rounds each have a journal folder of
 * their own (JOURNALS\down-N), the others share JOURNALS\up.
 *
 *   sink_bench FOLDER FILE_PATH RELP_TARGET DOWN_TARGET ROUNDS RECORDS JOURNALS */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <windows.h>

typedef int (*post_function)(unsigned long long number);
typedef long long (*durable_function)(void);

#define DEADLINE_MS 120000u

static double now_seconds(void)
{
    LARGE_INTEGER counter;
    LARGE_INTEGER frequency;

    QueryPerformanceCounter(&counter);
    QueryPerformanceFrequency(&frequency);
    return (double)counter.QuadPart / (double)frequency.QuadPart;
}

/* Where the rounds' journal folders go (see above). */
static wchar_t journals[MAX_PATH];

/* One round with the sink at `target`; 0 on success. */
static int round_with(const wchar_t *folder, const wchar_t *target, const char *name, int round,
                      long long records, int collector_down)
{
    wchar_t journal_folder[MAX_PATH];
    wchar_t path[MAX_PATH];
    HMODULE front;
    post_function post;
    durable_function durable;
    long long first;
    double start;
    double posted;
    double done;
    ULONGLONG waited;

    SetEnvironmentVariableW(L"TWINSHIM_TEST_SINK", target);
    if (collector_down)
        _snwprintf(journal_folder, MAX_PATH, L"%ls\\down-%d", journals, round);
    else
        _snwprintf(journal_folder, MAX_PATH, L"%ls\\up", journals);
    SetEnvironmentVariableW(L"TWINSHIM_JOURNAL_DIR", journal_folder);
    _snwprintf(path, MAX_PATH, L"%ls\\sink_test_front.dll", folder);
    front = LoadLibraryW(path);
    if (front == NULL)
        return 1;
    post = (post_function)(void (*)(void))GetProcAddress(front, "sink_test_front_post");
    durable = (durable_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"sink_test_worker.dll"),
                                                               "sink_test_worker_durable");
    if (post == NULL || durable == NULL) {
        FreeLibrary(front);
        return 1;
    }
    first = durable(); /* 0: each round loads the worker afresh */
    start = now_seconds();
    for (long long number = 1; number <= records; number++)
        post((unsigned long long)number);
    posted = now_seconds();
    for (waited = GetTickCount64(); !collector_down && durable() < first + records; Sleep(1)) {
        if (GetTickCount64() - waited > DEADLINE_MS) {
            fprintf(stderr, "%s round %d: %lld of %lld durable after %u s\n", name, round, durable() - first,
                    records, DEADLINE_MS / 1000u);
            return 2;
        }
    }
    done = now_seconds();
    FreeLibrary(front);
    for (waited = GetTickCount64(); GetModuleHandleW(L"sink_test_worker.dll") != NULL; Sleep(1)) {
        if (GetTickCount64() - waited > DEADLINE_MS)
            return 2;
    }
    printf("{\"sink\": \"%s\", \"round\": %d, \"records\": %lld, \"post_ns\": %.1f, \"records_per_s\": "
           "%.0f}\n",
           name, round, records, (posted - start) * 1e9 / (double)records,
           collector_down ? 0.0 : (double)records / (done - start));
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const names[] = { "file", "relp", "relp_down" };
    wchar_t folder[MAX_PATH];
    wchar_t targets[3][MAX_PATH];
    int rounds;
    long long records;

    if (argc != 8) {
        fprintf(stderr,
                "usage: sink_bench FOLDER FILE_PATH RELP_TARGET DOWN_TARGET ROUNDS RECORDS JOURNALS\n");
        return 1;
    }
    MultiByteToWideChar(CP_UTF8, 0, argv[7], -1, journals, MAX_PATH);
    MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, folder, MAX_PATH);
    for (int sink = 0; sink < 3; sink++)
        MultiByteToWideChar(CP_UTF8, 0, argv[2 + sink], -1, targets[sink], MAX_PATH);
    rounds = atoi(argv[5]);
    records = atoll(argv[6]);
    for (int round = 0; round < rounds; round++) {
        for (int turn = 0; turn < 3; turn++) {
            int sink = (turn + round) % 3;
            int status = round_with(folder, targets[sink], names[sink], round, records, sink == 2);

            if (status != 0)
                return status;
        }
    }
    return 0;
}
