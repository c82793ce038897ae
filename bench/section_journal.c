/* Section 7: what the journal costs a process, measured from outside it,
 * in child processes of this program (journal_children.c), each against
 * the same child with the original DLL where there is one:
 *
 * - idle_cpu_percent: a started session with nothing to do. The CPU its
 *   process and the wineserver spend over a window, read from Linux's
 *   /proc (per-thread schedstat, in ns), less the same program's with
 *   bench_original.dll instead of the front; interleaved, one pair a round.
 * - Memory under overload: one host thread calls flat out for
 *   overload_seconds against a plugin slower than it; the growth of the
 *   process's resident memory (/proc/<pid>/status: VmRSS, and RssAnon,
 *   its anonymous part, where a queue in the heap would grow) after the
 *   first 5 s, and what the full policy dropped. Once (it is long).
 * - The exit: EXIT_CALLS quick calls, then a return from main. The time
 *   from there to the end of the process, seen from this process, less the
 *   same with the original DLL, in the same round; with the counting
 *   plugin, and with one that spends EXIT_SLOW_WORK_US per record in
 *   on_message and on_exit_message alike (the journal is full at the exit).
 *
 * Every child's journals go to a folder of their own, emptied before each
 * child: a child's leftover journal is never recovered by the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "bench_program.h"

#define CHILD_DEADLINE_MS 120000u
#define OVERLOAD_WORK_US 2u /* two pool threads: about 1 M records/s, several times below the host */
#define EXIT_CALLS 200000L
#define EXIT_SLOW_WORK_US 20u /* about what the audit log cost per record at exit */

typedef struct child_run {
    char output[2048]; /* "key value" lines */
    double started_ms; /* CreateProcess returned */
    double ended_ms;   /* the process handle was signalled */
} child_run;

/* Runs this program with `arguments`, waits for its end, keeps its output. */
static void run_child(const wchar_t *arguments, DWORD deadline_ms, child_run *run)
{
    SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
    STARTUPINFOW startup = { .cb = sizeof startup, .dwFlags = STARTF_USESTDHANDLES };
    PROCESS_INFORMATION child;
    wchar_t command[PATH_CAPACITY + 256];
    HANDLE output;
    HANDLE child_output;
    HANDLE child_error = NULL;
    DWORD code = 1;
    DWORD total = 0;
    DWORD got = 0;

    if (!CreatePipe(&output, &child_output, &inherit, 0) ||
        !SetHandleInformation(output, HANDLE_FLAG_INHERIT, 0))
        fail("CreatePipe failed (error %lu)", GetLastError());
    /* The child's progress and failures go where ours go. */
    DuplicateHandle(GetCurrentProcess(), GetStdHandle(STD_ERROR_HANDLE), GetCurrentProcess(), &child_error, 0,
                    TRUE, DUPLICATE_SAME_ACCESS);
    startup.hStdOutput = child_output;
    startup.hStdError = child_error;
    _snwprintf(command, sizeof command / sizeof command[0], L"\"%ls\" %ls", bench_exe_path, arguments);
    command[sizeof command / sizeof command[0] - 1] = L'\0';
    use_journal_folder(L"children");
    if (!CreateProcessW(bench_exe_path, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child))
        fail("cannot start the child %ls (error %lu)", arguments, GetLastError());
    run->started_ms = now_ms();
    CloseHandle(child_output);
    if (child_error != NULL)
        CloseHandle(child_error);
    if (WaitForSingleObject(child.hProcess, deadline_ms) != WAIT_OBJECT_0) {
        TerminateProcess(child.hProcess, 1);
        fail("the child %ls did not end within %lu ms", arguments, (unsigned long)deadline_ms);
    }
    run->ended_ms = now_ms();
    GetExitCodeProcess(child.hProcess, &code);
    if (code != 0)
        fail("the child %ls failed (exit code %lu)", arguments, (unsigned long)code);
    while (total + 1 < sizeof run->output &&
           ReadFile(output, run->output + total, (DWORD)sizeof run->output - 1 - total, &got, NULL) &&
           got > 0)
        total += got;
    run->output[total] = '\0';
    CloseHandle(output);
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
}

/* The value of a "key value" line of a child's output. */
static double child_value(const child_run *run, const char *key)
{
    size_t length = strlen(key);

    for (const char *line = run->output; *line != '\0';) {
        if (strncmp(line, key, length) == 0 && line[length] == ' ')
            return strtod(line + length + 1, NULL);
        line = strchr(line, '\n');
        if (line == NULL)
            break;
        line++;
    }
    fail("a child said nothing about %s:\n%s", key, run->output);
}

/* The per-round differences a[i] - b[i]. */
static samples differences(const samples *a, const samples *b)
{
    samples out = { .count = 0 };

    for (int i = 0; i < a->count && i < b->count; i++)
        add_sample(&out, a->value[i] - b->value[i]);
    return out;
}

/* ---- An idle session ---------------------------------------------------------- */

static void idle_cpu(const options *o)
{
    static const wchar_t *const variants[2] = { L"original", L"front" };
    samples total[2] = { { .count = 0 } };
    samples server[2] = { { .count = 0 } };
    samples added;
    int children = 0;

    for (int round = 0; round < o->child_rounds; round++) {
        for (int k = 0; k < 2; k++) {
            int v = (k + round) % 2;
            wchar_t arguments[160];
            child_run run;
            double window_ns;

            _snwprintf(arguments, 160, L"--idle-child %ls %u twinshim-idle-%lu-%d", variants[v],
                       o->idle_window_ms, GetCurrentProcessId(), children++);
            arguments[159] = L'\0';
            run_child(arguments, CHILD_DEADLINE_MS, &run);
            window_ns = child_value(&run, "window_ns");
            add_sample(&total[v],
                       100.0 *
                           (child_value(&run, "process_cpu_ns") + child_value(&run, "wineserver_cpu_ns")) /
                           window_ns);
            add_sample(&server[v], 100.0 * child_value(&run, "wineserver_cpu_ns") / window_ns);
        }
    }
    added = differences(&total[1], &total[0]);
    put_number("idle_cpu_percent", median_of(&added));
    put_stats("idle_cpu_percent_added", &added);
    put_stats("idle_cpu_percent_front", &total[1]);
    put_stats("idle_cpu_percent_original", &total[0]);
    put_number("idle_wineserver_percent_front", median_of(&server[1]));
    put_number("idle_wineserver_percent_original", median_of(&server[0]));
    put_number("idle_window_ms", o->idle_window_ms);
    progress("  idle session: done\n");
}

/* ---- Memory under overload ------------------------------------------------------ */

static void overload(const options *o)
{
    wchar_t arguments[96];
    child_run run;
    double resident_growth;
    double anonymous_growth;

    _snwprintf(arguments, 96, L"--overload-child %u %u twinshim-overload-%lu", o->overload_seconds,
               OVERLOAD_WORK_US, GetCurrentProcessId());
    arguments[95] = L'\0';
    run_child(arguments, o->overload_seconds * 1000u + CHILD_DEADLINE_MS, &run);
    resident_growth = child_value(&run, "resident_growth_kib") / 1024.0;
    anonymous_growth = child_value(&run, "anonymous_growth_kib") / 1024.0;
    put_number("overload_memory_growth_mb",
               resident_growth > anonymous_growth ? resident_growth : anonymous_growth);
    put_number("overload_resident_growth_mb", resident_growth);
    put_number("overload_anonymous_growth_mb", anonymous_growth);
    put_number("overload_resident_at_5s_mb", child_value(&run, "resident_at_baseline_kib") / 1024.0);
    put_number("overload_anonymous_at_5s_mb", child_value(&run, "anonymous_at_baseline_kib") / 1024.0);
    put_number("overload_seconds", child_value(&run, "seconds"));
    put_number("overload_calls_per_s", child_value(&run, "calls") / child_value(&run, "seconds"));
    put_number("overload_calls", child_value(&run, "calls"));
    put_number("overload_delivered", child_value(&run, "delivered"));
    put_number("overload_dropped", child_value(&run, "dropped"));
    put_number("overload_backlog_mb", child_value(&run, "backlog_bytes") / (1024.0 * 1024.0));
    put_string("overload_journal", child_value(&run, "journal_file") != 0.0 ? "file" : "memory");
    put_number("overload_message_work_us", OVERLOAD_WORK_US);
    progress("  overload: done\n");
}

/* ---- The exit ------------------------------------------------------------------- */

typedef enum exit_variant {
    EXIT_ORIGINAL,
    EXIT_FRONT,
    EXIT_FRONT_SLOW,
    EXIT_VARIANTS
} exit_variant;

static void exit_time(const options *o)
{
    static const char *const keys[EXIT_VARIANTS] = { "original", "front", "front_slow_plugin" };
    samples exit_ms[EXIT_VARIANTS] = { { .count = 0 } };
    samples program_ms[EXIT_VARIANTS] = { { .count = 0 } };
    samples added;
    char key[96];

    for (int round = 0; round < o->child_rounds; round++) {
        for (int k = 0; k < EXIT_VARIANTS; k++) {
            exit_variant v = (exit_variant)((k + round) % EXIT_VARIANTS);
            wchar_t arguments[96];
            child_run run;
            double main_returns_ms;

            _snwprintf(arguments, 96, L"--exit-child %ls %ld %u", v == EXIT_ORIGINAL ? L"original" : L"front",
                       EXIT_CALLS, v == EXIT_FRONT_SLOW ? EXIT_SLOW_WORK_US : 0u);
            arguments[95] = L'\0';
            run_child(arguments, CHILD_DEADLINE_MS, &run);
            main_returns_ms = child_value(&run, "main_returns") * 1000.0 / (double)bench_frequency.QuadPart;
            add_sample(&exit_ms[v], run.ended_ms - main_returns_ms);
            add_sample(&program_ms[v], main_returns_ms - run.started_ms);
        }
    }
    for (int v = 0; v < EXIT_VARIANTS; v++) {
        snprintf(key, sizeof key, "exit_ms_%s", keys[v]);
        put_stats(key, &exit_ms[v]);
        snprintf(key, sizeof key, "exit_program_ms_%s", keys[v]);
        put_stats(key, &program_ms[v]);
    }
    added = differences(&exit_ms[EXIT_FRONT], &exit_ms[EXIT_ORIGINAL]);
    put_number("exit_added_ms", median_of(&added));
    put_number("exit_added_ms_max", max_of(&added));
    added = differences(&exit_ms[EXIT_FRONT_SLOW], &exit_ms[EXIT_ORIGINAL]);
    put_number("exit_added_ms_slow_plugin", median_of(&added));
    put_number("exit_added_ms_slow_plugin_max", max_of(&added));
    put_number("exit_calls", EXIT_CALLS);
    put_number("exit_slow_work_us", EXIT_SLOW_WORK_US);
    progress("  exit: done\n");
}

void journal_costs(const options *o)
{
    progress("7. the journal from outside the process: an idle session (%u ms, %d rounds), %u s of overload, "
             "the exit after %ld calls (%d rounds), in child processes\n",
             o->idle_window_ms, o->child_rounds, o->overload_seconds, EXIT_CALLS, o->child_rounds);
    put_number("child_rounds", o->child_rounds);
    idle_cpu(o);
    exit_time(o);
    overload(o);
    use_journal_folder(L"children");
}
