#include <inttypes.h>
#include <string.h>

#include "c_literal.h"
#include "typed_stub_writer.h"

/* What the typed stubs share, "@@" standing for the front's identifier. */
static const char *const shared_code[] = {
    "",
    "/* ---- Typed stubs: the record of one call, built on the caller's stack ---- */",
    "",
    "/* The longest string a record keeps, in bytes (a wide one: 2 bytes a UTF-16",
    " * unit); a longer one is cut, and the record says so. */",
    "#define SHIMGEN_STRING_MAX 256",
    "",
    "/* Copies at most `most` units (1 or 2 bytes) of the string at `source` to",
    " * `target`, up to and with its terminating zero (@@_stubs.c: assembly with",
    " * its own exception handler). Returns the units before the zero, or `most`",
    " * when none was among them, with SHIMGEN_COPY_FAULTED set when it met memory",
    " * that cannot be read: it never faults. */",
    "#define SHIMGEN_COPY_FAULTED ((size_t)1 << (sizeof(size_t) * 8 - 1))",
    "size_t shimgen_copy_units(void *target, const void *source, size_t most, size_t unit)",
    "    __asm__(SHIMGEN_LINK_NAME(\"shimgen_copy_units\"));",
    "extern const char shimgen_copy_recovery[] __asm__(SHIMGEN_LINK_NAME(\"shimgen_copy_recovery\"));",
    "EXCEPTION_DISPOSITION shimgen_copy_fault_handler(EXCEPTION_RECORD *record, void *frame,",
    "                                                 CONTEXT *context,",
    "                                                 void *dispatch)",
    "    __asm__(SHIMGEN_LINK_NAME(\"shimgen_copy_fault_handler\"));",
    "",
    "/* shimgen_copy_units's own exception handler, consulted only for a fault",
    " * inside it (x64: its unwind information names it; i686: it registers it",
    " * for its duration): the copy resumes at its recovery label, which returns",
    " * what it copied with SHIMGEN_COPY_FAULTED. Nothing is registered for the",
    " * process, so nothing outlives the front. */",
    "EXCEPTION_DISPOSITION shimgen_copy_fault_handler(EXCEPTION_RECORD *record, void *frame,",
    "                                                 CONTEXT *context,",
    "                                                 void *dispatch)",
    "{",
    "    (void)frame;",
    "    (void)dispatch;",
    "    if ((record->ExceptionFlags & (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND)) != 0)",
    "        return ExceptionContinueSearch;",
    "    if (record->ExceptionCode != EXCEPTION_ACCESS_VIOLATION &&",
    "        record->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&",
    "        record->ExceptionCode != EXCEPTION_GUARD_PAGE)",
    "        return ExceptionContinueSearch;",
    "#if defined(__x86_64__)",
    "    context->Rip = (DWORD64)(uintptr_t)shimgen_copy_recovery;",
    "#else",
    "    context->Eip = (DWORD)(uintptr_t)shimgen_copy_recovery;",
    "#endif",
    "    return ExceptionContinueExecution;",
    "}",
    "",
    "typedef struct typed_call {",
    "    union {",
    "        @@_call_record header;",
    "        /* Then the values, their kinds and the text; each string may use",
    "         * 4 bytes more than its text: its length and a peeked unit. */",
    "        unsigned char bytes[sizeof(@@_call_record) + @@_RECORD_VALUES_MAX * 9 + @@_RECORD_TEXT_MAX +",
    "                            @@_RECORD_VALUES_MAX * 4];",
    "    } record;",
    "    unsigned value_count;",
    "    size_t text_offset; /* where the text starts in bytes[] */",
    "    size_t text_size;   /* bytes of text written, lengths included */",
    "    size_t text_left;   /* bytes of strings the record may still hold */",
    "    unsigned long long start;",
    "    /* While the original runs: the call this one is inside (on this",
    "     * thread), and a mark that the frame still holds a call. */",
    "    struct typed_call *previous;",
    "    uintptr_t in_flight_mark;",
    "    void *return_address; /* the host's */",
    "} typed_call;",
    "",
    "static void begin_typed_call(typed_call *call, unsigned index, unsigned value_count,",
    "                             unsigned char has_result)",
    "{",
    "    call->record.header.export_index = (unsigned short)index;",
    "    call->record.header.kind = @@_RECORD_TYPED;",
    "    call->record.header.value_count = (unsigned char)value_count;",
    "    call->record.header.has_result = has_result;",
    "    call->record.header.flags = 0;",
    "    call->value_count = value_count;",
    "    call->text_offset = sizeof(@@_call_record) + value_count * 9;",
    "    call->text_size = 0;",
    "    call->text_left = @@_RECORD_TEXT_MAX;",
    "}",
    "",
    "/* Copies a string into the record's text, bounded, never faulting;",
    " * returns its kind with what happened to it. */",
    "static unsigned record_string(typed_call *call, unsigned kind, const void *pointer)",
    "{",
    "    size_t unit = kind == @@_VALUE_WIDE_STRING ? 2 : 1;",
    "    unsigned char *entry = call->record.bytes + call->text_offset + call->text_size;",
    "    size_t most = (call->text_left < SHIMGEN_STRING_MAX ? call->text_left : SHIMGEN_STRING_MAX) / unit;",
    "    size_t copied;",
    "    size_t bytes;",
    "",
    "    if (pointer == NULL)",
    "        return kind;",
    "    /* One unit more than it keeps: whether the string goes on. */",
    "    copied = shimgen_copy_units(entry + 2, pointer, most + 1, unit);",
    "    if ((copied & SHIMGEN_COPY_FAULTED) != 0) {",
    "        copied &= ~SHIMGEN_COPY_FAULTED;",
    "        /* Unreadable before its end; readable through the bound: cut. */",
    "        if (copied < most)",
    "            return kind | @@_VALUE_UNREADABLE;",
    "        kind |= @@_VALUE_CUT;",
    "    } else if (copied > most) {",
    "        kind |= @@_VALUE_CUT;",
    "    }",
    "    if (copied > most)",
    "        copied = most;",
    "    bytes = copied * unit;",
    "    entry[0] = (unsigned char)(bytes & 0xff);",
    "    entry[1] = (unsigned char)(bytes >> 8);",
    "    call->text_size += 2 + bytes;",
    "    call->text_left -= bytes;",
    "    return kind;",
    "}",
    "",
    "/* One value into its slot. kind and size are constants at each call, so",
    " * this folds into a few moves. */",
    "static inline void record_value(typed_call *call, unsigned slot, unsigned kind, const void *value,",
    "                                size_t size)",
    "{",
    "    unsigned long long bits = 0;",
    "",
    "    if (kind == @@_VALUE_SIGNED) {",
    "        if (size == 1) {",
    "            signed char number;",
    "            memcpy(&number, value, 1);",
    "            bits = (unsigned long long)(long long)number;",
    "        } else if (size == 2) {",
    "            short number;",
    "            memcpy(&number, value, 2);",
    "            bits = (unsigned long long)(long long)number;",
    "        } else if (size == 4) {",
    "            int number;",
    "            memcpy(&number, value, 4);",
    "            bits = (unsigned long long)(long long)number;",
    "        } else {",
    "            memcpy(&bits, value, size < sizeof bits ? size : sizeof bits);",
    "        }",
    "    } else if (kind == @@_VALUE_UNSIGNED || kind == @@_VALUE_BOOL) {",
    "        memcpy(&bits, value, size < sizeof bits ? size : sizeof bits);",
    "    } else if (kind == @@_VALUE_REAL) {",
    "        double real;",
    "",
    "        if (size == sizeof(float)) {",
    "            float narrow;",
    "            memcpy(&narrow, value, sizeof narrow);",
    "            real = narrow;",
    "        } else if (size == sizeof(double)) {",
    "            memcpy(&real, value, sizeof real);",
    "        } else {",
    "            long double wide;",
    "            memcpy(&wide, value, sizeof wide);",
    "            real = (double)wide;",
    "        }",
    "        memcpy(&bits, &real, sizeof bits);",
    "    } else if (kind == @@_VALUE_STRING || kind == @@_VALUE_WIDE_STRING) {",
    "        const void *pointer;",
    "",
    "        memcpy(&pointer, value, sizeof pointer);",
    "        bits = (uintptr_t)pointer;",
    "        kind = record_string(call, kind, pointer);",
    "    } else if (size <= sizeof bits) {",
    "        memcpy(&bits, value, size);",
    "    } else {",
    "        kind = @@_VALUE_WIDE;",
    "        bits = size;",
    "    }",
    "    memcpy(call->record.bytes + sizeof(@@_call_record) + slot * 8, &bits, sizeof bits);",
    "    call->record.bytes[sizeof(@@_call_record) + call->value_count * 8 + slot] = (unsigned char)kind;",
    "}",
    "",
    "/* How a value is recorded, decided by the compiler from its type: a",
    " * typedef or an enum is what it stands for. Any other pointer (char *",
    " * included: an out-buffer, whose contents are not yet a string) is an",
    " * address, and so is anything else of up to 8 bytes. */",
    "#define SHIMGEN_KIND_OF(value) _Generic((value), \\",
    "    _Bool: @@_VALUE_BOOL, \\",
    "    char: (CHAR_MIN < 0 ? @@_VALUE_SIGNED : @@_VALUE_UNSIGNED), \\",
    "    signed char: @@_VALUE_SIGNED, short: @@_VALUE_SIGNED, int: @@_VALUE_SIGNED, \\",
    "    long: @@_VALUE_SIGNED, long long: @@_VALUE_SIGNED, \\",
    "    unsigned char: @@_VALUE_UNSIGNED, unsigned short: @@_VALUE_UNSIGNED, \\",
    "    unsigned int: @@_VALUE_UNSIGNED, \\",
    "    unsigned long: @@_VALUE_UNSIGNED, unsigned long long: @@_VALUE_UNSIGNED, \\",
    "    float: @@_VALUE_REAL, double: @@_VALUE_REAL, long double: @@_VALUE_REAL, \\",
    "    const char *: @@_VALUE_STRING, const wchar_t *: @@_VALUE_WIDE_STRING, \\",
    "    default: @@_VALUE_RAW)",
    "/* Through const void *: a parameter may be restrict or volatile itself. */",
    "#define SHIMGEN_RECORD(call, slot, value) \\",
    "    record_value((call), (slot), SHIMGEN_KIND_OF(value), (const void *)&(value), sizeof(value))",
    "",
    "/* Times and posts the record; never waits. Without a worker (pass-through)",
    " * nothing is sent and the call still works. */",
    "static void post_typed_call(typed_call *call, unsigned long long end, DWORD last_error)",
    "{",
    "    call->record.header.thread_id = shim_current_thread_id();",
    "    call->record.header.last_error = last_error;",
    "    call->record.header.text_size = (unsigned short)call->text_size;",
    "    call->record.header.timestamp = shim_front_counter_utc(call->start);",
    "    call->record.header.duration_ns = shim_front_counter_ns(call->start, end);",
    "    call->record.header.return_address = (uintptr_t)call->return_address;",
    "    (void)shim_front_post(call->record.bytes, call->text_offset + call->text_size);",
    "}",
    "",
    "/* ---- Typed calls in progress, for the process exit ---- */",
    "",
    "/* A call during which the process exits (exit() inside the library, a",
    " * fatal error) never returns to its stub. Each thread's calls in progress",
    " * form a chain, innermost first, in a TLS slot; the front's destructor, run",
    " * on the exiting thread, posts that thread's chain unfinished: arguments,",
    " * no result, no duration. The slot is read and written in the TEB itself:",
    " * TlsGetValue would reset the host's last error. */",
    "#define SHIMGEN_IN_FLIGHT_MARK ((uintptr_t)0x5348494d47454e31ull)",
    "static DWORD in_flight_slot = TLS_OUT_OF_INDEXES;",
    "static BOOLEAN(NTAPI *shutdown_in_progress)(void);",
    "",
    "/* Before DllMain, under the loader lock: nothing here loads anything. */",
    "__attribute__((constructor)) static void start_in_flight_chain(void)",
    "{",
    "    HMODULE ntdll = GetModuleHandleW(L\"ntdll.dll\");",
    "    FARPROC found = ntdll != NULL ? GetProcAddress(ntdll, \"RtlDllShutdownInProgress\") : NULL;",
    "    DWORD slot = TlsAlloc();",
    "",
    "    shutdown_in_progress = (BOOLEAN(NTAPI *)(void))(void (*)(void))found;",
    "    /* The TEB holds the first 64 slots; with a later one, no chain. */",
    "    if (slot != TLS_OUT_OF_INDEXES && slot >= 64)",
    "        TlsFree(slot);",
    "    else",
    "        in_flight_slot = slot;",
    "}",
    "",
    "/* The thread's TEB, from its self pointer: mingw-w64's NtCurrentTeb() makes",
    " * GCC 12 at -O2 warn (-Warray-bounds) about its segment read. */",
    "static inline TEB *current_teb(void)",
    "{",
    "    TEB *teb;",
    "",
    "#if defined(__x86_64__)",
    "    __asm__(\"mov %%gs:0x30, %0\" : \"=r\"(teb));",
    "#else",
    "    __asm__(\"mov %%fs:0x18, %0\" : \"=r\"(teb));",
    "#endif",
    "    return teb;",
    "}",
    "",
    "static inline typed_call **in_flight_chain(void)",
    "{",
    "    return (typed_call **)&current_teb()->TlsSlots[in_flight_slot];",
    "}",
    "",
    "static inline void enter_typed_call(typed_call *call, void *return_address)",
    "{",
    "    typed_call **chain;",
    "",
    "    call->return_address = return_address;",
    "    call->previous = NULL;",
    "    call->in_flight_mark = (uintptr_t)call ^ SHIMGEN_IN_FLIGHT_MARK;",
    "    if (in_flight_slot == TLS_OUT_OF_INDEXES)",
    "        return;",
    "    chain = in_flight_chain();",
    "    /* A call in progress around this one is above it on the stack; one that",
    "     * is not was left by an exception or a longjmp through its stub. */",
    "    if ((uintptr_t)*chain > (uintptr_t)call)",
    "        call->previous = *chain;",
    "    *chain = call;",
    "}",
    "",
    "static inline void leave_typed_call(typed_call *call)",
    "{",
    "    if (in_flight_slot != TLS_OUT_OF_INDEXES)",
    "        *in_flight_chain() = call->previous;",
    "    call->in_flight_mark = 0;",
    "}",
    "",
    "/* At process exit, on the exiting thread: its calls in progress, posted",
    " * unfinished. Only frames between here and the stack's base that still",
    " * carry their mark are read, and each record's size was bounded when it",
    " * was built. */",
    "__attribute__((destructor)) static void post_unfinished_calls(void)",
    "{",
    "    const NT_TIB *stack = (const NT_TIB *)current_teb();",
    "    uintptr_t low = (uintptr_t)__builtin_frame_address(0);",
    "    typed_call *call;",
    "",
    "    if (in_flight_slot == TLS_OUT_OF_INDEXES)",
    "        return;",
    "    call = shutdown_in_progress != NULL && shutdown_in_progress() ? *in_flight_chain() : NULL;",
    "    for (unsigned depth = 0; call != NULL && depth < 64; depth++) {",
    "        if ((uintptr_t)call < low || (uintptr_t)call + sizeof *call > (uintptr_t)stack->StackBase ||",
    "            call->in_flight_mark != ((uintptr_t)call ^ SHIMGEN_IN_FLIGHT_MARK) ||",
    "            call->text_offset + call->text_size > sizeof call->record.bytes)",
    "            break;",
    "        call->record.header.flags = @@_RECORD_UNFINISHED;",
    "        post_typed_call(call, call->start, shim_last_error());",
    "        call = call->previous;",
    "    }",
    "    TlsFree(in_flight_slot);",
    "    in_flight_slot = TLS_OUT_OF_INDEXES;",
    "}",
};

bool typed_stub_any(const wrap_plan *plan)
{
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (plan->intercepts[index].has_prototype)
            return true;
    return false;
}

/* The attribute a header's calling convention becomes on i686; "" where
 * the prototype carries its own (--prototype) or x86-64 has only one. */
static const char *convention_attribute(const wrap_plan *plan, const prototype *signature)
{
    static const char *const attributes[] = { "", " __attribute__((cdecl))", " __attribute__((stdcall))",
                                              " __attribute__((fastcall))", " __attribute__((thiscall))" };

    return wrap_plan_is_x64(plan) ? "" : attributes[signature->convention];
}

/* One SHIMGEN_RECORD per argument, by the names in argument_list. */
static void write_argument_records(FILE *out, const prototype *signature)
{
    const char *name = signature->argument_list;

    for (size_t slot = 0; slot < signature->parameter_count; slot++) {
        size_t length;

        while (*name == ' ' || *name == ',')
            name++;
        length = strcspn(name, ", ");
        fprintf(out, "    SHIMGEN_RECORD(&call, %zu, %.*s);\n", slot, (int)length, name);
        name += length;
    }
}

/* A typed stub. Its link name is fixed with an asm label, so that a stdcall
 * or fastcall one on i686 is not decorated (wrapped_f@8) away from the name
 * the .def uses. */
static void write_stub(FILE *out, const wrap_plan *plan, const intercept *stub, size_t index)
{
    const prototype *signature = &stub->signature;
    const char *name = stub->c_name;
    const char *convention = convention_attribute(plan, signature);
    char value_type[PROTOTYPE_TEXT_MAX];
    size_t value_count = signature->parameter_count + (signature->returns_void ? 0 : 1);

    prototype_value_type(signature->return_type, value_type, sizeof value_type);
    fprintf(out, "\n/* %s, ordinal %" PRIu32 ": %s %s(%s), from %s. */\n", stub->display_name,
            stub->target->ordinal, signature->return_type, signature->function_name,
            signature->parameter_list, signature->origin);
    fprintf(out, "typedef %s (%s*%s_function)(%s);\n\n", signature->return_type,
            convention + (convention[0] != '\0'), name, signature->parameter_list);
    fprintf(out, "%s%s wrapped_%s(%s) __asm__(SHIMGEN_LINK_NAME(\"wrapped_%s\"));\n", signature->return_type,
            convention, name, signature->parameter_list, name);
    fprintf(out, "%s%s wrapped_%s(%s)\n{\n", signature->return_type, convention, name,
            signature->parameter_list);
    /* Through void (*)(void): GCC warns on a cast between unrelated function types. */
    fprintf(out, "    %s_function original = (%s_function)(void (*)(void))%s_original_slot;\n", name, name,
            name);
    fputs("    typed_call call;\n", out);
    if (!signature->returns_void)
        fprintf(out, "    %s result;\n", value_type);
    fputs("    unsigned long long end;\n    DWORD last_error;\n\n", out);
    fprintf(out, "    begin_typed_call(&call, %zu, %zu, %d);\n", index, value_count,
            signature->returns_void ? 0 : 1);
    write_argument_records(out, signature);
    /* The return address is the host's. */
    fputs("    enter_typed_call(&call, __builtin_return_address(0));\n"
          "    call.start = shim_front_counter_now();\n",
          out);
    fprintf(out, "    %soriginal(%s);\n", signature->returns_void ? "" : "result = ",
            signature->parameter_count == 0 ? "" : signature->argument_list);
    fputs("    end = shim_front_counter_now();\n"
          "    /* The host sees the original's last error, not the post's. */\n"
          "    last_error = shim_last_error();\n"
          "    leave_typed_call(&call);\n",
          out);
    if (!signature->returns_void)
        fprintf(out, "    SHIMGEN_RECORD(&call, %zu, result);\n", signature->parameter_count);
    fputs("    post_typed_call(&call, end, last_error);\n"
          "    shim_set_last_error(last_error);\n",
          out);
    fputs(signature->returns_void ? "}\n" : "    return result;\n}\n", out);
}

void typed_stub_write_all(FILE *out, const wrap_plan *plan)
{
    if (!typed_stub_any(plan))
        return;
    c_template_write(out, shared_code, sizeof shared_code / sizeof shared_code[0], plan->names.identifier);
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (plan->intercepts[index].has_prototype)
            write_stub(out, plan, &plan->intercepts[index], index);
}
