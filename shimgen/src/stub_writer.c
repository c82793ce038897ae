#include <inttypes.h>

#include "c_literal.h"
#include "stub_writer.h"
#include "typed_stub_writer.h"

/* The saved-register area of an observing stub, as <name>_front.c reads it
 * (observed_frame there): x86-64 saves rcx, rdx, r8, r9, rax, the slot
 * address, xmm0-xmm3, and finds the return address 136 bytes above; i686
 * pushes edx, ecx, eax above the stub's own return address and index. */
#define X64_FRAME_SIZE 168

/* i686 C names carry a leading underscore; x86-64 ones do not. */
static const char *symbol_prefix(const wrap_plan *plan)
{
    return wrap_plan_is_x64(plan) ? "" : "_";
}

static void write_function_header(FILE *out, const char *prefix, const char *name, bool global)
{
    if (global)
        fprintf(out, "    \".globl %s%s\\n\"\n", prefix, name);
    fprintf(out, "    \".def %s%s; .scl %d; .type 32; .endef\\n\"\n", prefix, name, global ? 2 : 3);
    fprintf(out, "    \"%s%s:\\n\"\n", prefix, name);
}

static void write_jump_stub(FILE *out, const wrap_plan *plan, const pe_export *entry)
{
    const char *prefix = symbol_prefix(plan);
    char name[64];

    snprintf(name, sizeof name, "shimgen_jump_%" PRIu32, entry->ordinal);
    fprintf(out, "    /* ordinal %" PRIu32 "%s%s */\n", entry->ordinal, entry->name != NULL ? ", " : "",
            entry->name != NULL ? entry->name : "");
    write_function_header(out, prefix, name, true);
    if (wrap_plan_is_x64(plan))
        fprintf(out, "    \"    jmp *%s_slot(%%rip)\\n\"\n", name);
    else
        fprintf(out, "    \"    jmp *_%s_slot\\n\"\n", name);
}

static void write_observing_stub(FILE *out, const wrap_plan *plan, const intercept *stub, size_t index)
{
    const char *prefix = symbol_prefix(plan);
    char name[PE_EXPORT_NAME_MAX + 64];

    snprintf(name, sizeof name, "wrapped_%s", stub->c_name);
    fprintf(out, "    /* %s, ordinal %" PRIu32 ": observed */\n", stub->display_name, stub->target->ordinal);
    write_function_header(out, prefix, name, true);
    if (wrap_plan_is_x64(plan)) {
        fprintf(out,
                "    \"    mov $%zu, %%r10d\\n\"\n"
                "    \"    lea %s_original_slot(%%rip), %%r11\\n\"\n"
                "    \"    jmp shimgen_observe_common\\n\"\n",
                index, stub->c_name);
    } else {
        fprintf(out,
                "    \"    push $%zu\\n\"\n"
                "    \"    call _shimgen_observe_common\\n\"\n"
                "    /* lea, not add: the flags stay the caller's too. */\n"
                "    \"    lea 4(%%esp), %%esp\\n\"\n"
                "    \"    jmp *_%s_original_slot\\n\"\n",
                index, stub->c_name);
    }
}

/* x86-64, entered from a stub with r10d = the export's index and r11 = its
 * slot's address (both scratch in the Win64 ABI). The stack is 8 modulo 16
 * on entry; 168 bytes bring it to 0 modulo 16 for the call, with the callee's
 * 32 bytes of shadow space at the bottom. xmm0-xmm3 may hold arguments and
 * are volatile, so they are saved too. */
static void write_observe_common_x64(FILE *out, const wrap_plan *plan)
{
    fputs("    /* r10d: the export's index, r11: its slot. Saves what may hold arguments,\n"
          "     * calls the C side with the stack 16-byte aligned and 32 bytes of shadow\n"
          "     * space, restores everything and jumps to the original as if called. */\n",
          out);
    fprintf(out,
            "    \".def shimgen_observe_common; .scl 3; .type 32; .endef\\n\"\n"
            "    \".seh_proc shimgen_observe_common\\n\"\n"
            "    \"shimgen_observe_common:\\n\"\n"
            "    \"    sub $%d, %%rsp\\n\"\n"
            "    \"    .seh_stackalloc %d\\n\"\n"
            "    \"    .seh_endprologue\\n\"\n"
            "    \"    mov %%rcx, 32(%%rsp)\\n\"\n"
            "    \"    mov %%rdx, 40(%%rsp)\\n\"\n"
            "    \"    mov %%r8, 48(%%rsp)\\n\"\n"
            "    \"    mov %%r9, 56(%%rsp)\\n\"\n"
            "    \"    mov %%rax, 64(%%rsp)\\n\"\n"
            "    \"    mov %%r11, 72(%%rsp)\\n\"\n"
            "    \"    movups %%xmm0, 80(%%rsp)\\n\"\n"
            "    \"    movups %%xmm1, 96(%%rsp)\\n\"\n"
            "    \"    movups %%xmm2, 112(%%rsp)\\n\"\n"
            "    \"    movups %%xmm3, 128(%%rsp)\\n\"\n"
            "    \"    mov %%r10d, %%ecx\\n\"\n"
            "    \"    lea 32(%%rsp), %%rdx\\n\"\n"
            "    \"    call %s_observe_call\\n\"\n"
            "    \"    movups 128(%%rsp), %%xmm3\\n\"\n"
            "    \"    movups 112(%%rsp), %%xmm2\\n\"\n"
            "    \"    movups 96(%%rsp), %%xmm1\\n\"\n"
            "    \"    movups 80(%%rsp), %%xmm0\\n\"\n"
            "    \"    mov 72(%%rsp), %%r11\\n\"\n"
            "    \"    mov 64(%%rsp), %%rax\\n\"\n"
            "    \"    mov 56(%%rsp), %%r9\\n\"\n"
            "    \"    mov 48(%%rsp), %%r8\\n\"\n"
            "    \"    mov 40(%%rsp), %%rdx\\n\"\n"
            "    \"    mov 32(%%rsp), %%rcx\\n\"\n"
            "    \"    add $%d, %%rsp\\n\"\n"
            "    \"    jmp *(%%r11)\\n\"\n"
            "    \".seh_endproc\\n\"\n",
            X64_FRAME_SIZE, X64_FRAME_SIZE, plan->names.identifier, X64_FRAME_SIZE);
}

/* i686, called by a stub that pushed the export's index: saves eax, ecx and
 * edx (fastcall and thiscall pass arguments in ecx and edx), hands the C side
 * a pointer to them, restores them and returns to the stub, which drops the
 * index and jumps. The caller's arguments are never touched. */
static void write_observe_common_i686(FILE *out, const wrap_plan *plan)
{
    fputs("    /* [esp+4]: the export's index, [esp+8]: the host's return address. */\n", out);
    write_function_header(out, "_", "shimgen_observe_common", false);
    fprintf(out,
            "    \"    push %%eax\\n\"\n"
            "    \"    push %%ecx\\n\"\n"
            "    \"    push %%edx\\n\"\n"
            "    \"    mov %%esp, %%eax\\n\"\n"
            "    \"    push %%eax\\n\"\n"
            "    \"    call _%s_observe_call\\n\"\n"
            "    \"    lea 4(%%esp), %%esp\\n\"\n"
            "    \"    pop %%edx\\n\"\n"
            "    \"    pop %%ecx\\n\"\n"
            "    \"    pop %%eax\\n\"\n"
            "    \"    ret\\n\"\n",
            plan->names.identifier);
}

/* shimgen_copy_units(target, source, most, unit) for the typed stubs: a
 * byte or UTF-16 unit at a time, up to and with the terminating zero. A
 * faulting read resumes at shimgen_copy_recovery through the function's own
 * handler (shimgen_copy_fault_handler in the front's C source): x86-64
 * names it in the function's unwind information, i686 registers it on the
 * thread's exception chain for the copy's duration. Either way nothing is
 * registered for the process: no handler outlives the front, and the host's
 * own handlers see every other exception as before. */
static const char *const copy_units_x64[] = {
    "    /* rcx: target, rdx: source, r8: most, r9: unit (1 or 2). A leaf: the",
    "     * stack is untouched, so the recovery label returns from the fault. */",
    "    \".globl shimgen_copy_units\\n\"",
    "    \".def shimgen_copy_units; .scl 2; .type 32; .endef\\n\"",
    "    \".seh_proc shimgen_copy_units\\n\"",
    "    \"shimgen_copy_units:\\n\"",
    "    \"    .seh_endprologue\\n\"",
    "    \"    .seh_handler shimgen_copy_fault_handler, @except\\n\"",
    "    \"    xor %eax, %eax\\n\"",
    "    \"    cmp $2, %r9\\n\"",
    "    \"    je 3f\\n\"",
    "    \"1:  cmp %r8, %rax\\n\"",
    "    \"    jae 5f\\n\"",
    "    \"    movzbl (%rdx,%rax), %r10d\\n\"",
    "    \"    mov %r10b, (%rcx,%rax)\\n\"",
    "    \"    test %r10d, %r10d\\n\"",
    "    \"    jz 5f\\n\"",
    "    \"    inc %rax\\n\"",
    "    \"    jmp 1b\\n\"",
    "    \"3:  cmp %r8, %rax\\n\"",
    "    \"    jae 5f\\n\"",
    "    \"    movzwl (%rdx,%rax,2), %r10d\\n\"",
    "    \"    mov %r10w, (%rcx,%rax,2)\\n\"",
    "    \"    test %r10d, %r10d\\n\"",
    "    \"    jz 5f\\n\"",
    "    \"    inc %rax\\n\"",
    "    \"    jmp 3b\\n\"",
    "    \"    .globl shimgen_copy_recovery\\n\"",
    "    \"shimgen_copy_recovery:\\n\"",
    "    \"    bts $63, %rax\\n\"",
    "    \"5:  ret\\n\"",
    "    \".seh_endproc\\n\"",
};

static const char *const copy_units_i686[] = {
    "    /* cdecl: [ebp+8] target, [ebp+12] source, [ebp+16] most, [ebp+20] unit.",
    "     * The registration record (previous, handler) stays at esp throughout,",
    "     * so the recovery label unlinks it as the normal exit does. */",
    "    \".globl _shimgen_copy_units\\n\"",
    "    \".def _shimgen_copy_units; .scl 2; .type 32; .endef\\n\"",
    "    \"_shimgen_copy_units:\\n\"",
    "    \"    push %ebp\\n\"",
    "    \"    mov %esp, %ebp\\n\"",
    "    \"    push %ebx\\n\"",
    "    \"    push %esi\\n\"",
    "    \"    push %edi\\n\"",
    "    \"    push $_shimgen_copy_fault_handler\\n\"",
    "    \"    push %fs:0\\n\"",
    "    \"    mov %esp, %fs:0\\n\"",
    "    \"    mov 8(%ebp), %edi\\n\"",
    "    \"    mov 12(%ebp), %esi\\n\"",
    "    \"    mov 16(%ebp), %ecx\\n\"",
    "    \"    xor %eax, %eax\\n\"",
    "    \"    cmpl $2, 20(%ebp)\\n\"",
    "    \"    je 3f\\n\"",
    "    \"1:  cmp %ecx, %eax\\n\"",
    "    \"    jae 5f\\n\"",
    "    \"    movzbl (%esi,%eax), %ebx\\n\"",
    "    \"    mov %bl, (%edi,%eax)\\n\"",
    "    \"    test %ebx, %ebx\\n\"",
    "    \"    jz 5f\\n\"",
    "    \"    inc %eax\\n\"",
    "    \"    jmp 1b\\n\"",
    "    \"3:  cmp %ecx, %eax\\n\"",
    "    \"    jae 5f\\n\"",
    "    \"    movzwl (%esi,%eax,2), %ebx\\n\"",
    "    \"    mov %bx, (%edi,%eax,2)\\n\"",
    "    \"    test %ebx, %ebx\\n\"",
    "    \"    jz 5f\\n\"",
    "    \"    inc %eax\\n\"",
    "    \"    jmp 3b\\n\"",
    "    \"    .globl _shimgen_copy_recovery\\n\"",
    "    \"_shimgen_copy_recovery:\\n\"",
    "    \"    or $0x80000000, %eax\\n\"",
    "    \"5:  mov (%esp), %edx\\n\"",
    "    \"    mov %edx, %fs:0\\n\"",
    "    \"    add $8, %esp\\n\"",
    "    \"    pop %edi\\n\"",
    "    \"    pop %esi\\n\"",
    "    \"    pop %ebx\\n\"",
    "    \"    pop %ebp\\n\"",
    "    \"    ret\\n\"",
};

void stub_write_source(FILE *out, const wrap_plan *plan)
{
    bool x64 = wrap_plan_is_x64(plan);
    bool observes = false;

    fprintf(out,
            "/* Generated by shimgen from\n"
            " * %s:\n"
            " * the stubs of the front %s that C cannot express, in %s assembly.\n"
            " * A jump stub jumps through its slot to the original; an observing stub\n"
            " * posts a record of the call first, then jumps the same way with every\n"
            " * register and the stack as the caller left them. The slots are in\n"
            " * %s; the runtime fills them at attach. */\n"
            "#if !defined(%s)\n"
            "#error \"these stubs are %s code: build the project with the %s toolchain\"\n"
            "#endif\n\n"
            "__asm__(\n"
            "    \".text\\n\"\n",
            plan->input_path, plan->names.front_file, x64 ? "x86-64" : "i686", plan->front_source_file,
            x64 ? "__x86_64__" : "__i386__", x64 ? "x86-64" : "i686",
            x64 ? "x86_64-w64-mingw32" : "i686-w64-mingw32");
    for (size_t index = 0; index < plan->table->count; index++)
        if (wrap_plan_first_jump_of_ordinal(plan, index))
            write_jump_stub(out, plan, &plan->table->entries[index]);
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (!plan->intercepts[index].has_prototype) {
            write_observing_stub(out, plan, &plan->intercepts[index], index);
            observes = true;
        }
    if (observes && x64)
        write_observe_common_x64(out, plan);
    else if (observes)
        write_observe_common_i686(out, plan);
    if (typed_stub_any(plan) && x64)
        c_template_write(out, copy_units_x64, sizeof copy_units_x64 / sizeof copy_units_x64[0], "");
    else if (typed_stub_any(plan))
        c_template_write(out, copy_units_i686, sizeof copy_units_i686 / sizeof copy_units_i686[0], "");
    /* An empty statement keeps the translation unit valid when nothing jumps. */
    fputs(");\n", out);
}
