# The twinshim runtimes, compiled into each front and worker DLL. Used by the
# source tree and by the installed package alike, so the lists live here once.
#
#   twinshim_define_runtimes(SOURCE_ROOT <dir> INCLUDE_DIR <dir>)
#     defines twinshim::headers, twinshim::front_runtime and
#     twinshim::worker_runtime (static libraries, libtwinshim_<kind>_runtime.a,
#     prebuilt or compiled: the linker can then keep their symbols out of a
#     front's exports by the archive's name), once per build.

# front_api.c and front_clock.c first: ld lays the archive's members out in
# this order, so a post's code (shim_front_post, the record clock) lands on
# the page of the front's own code, right after it (a call made now and
# then finds each page cold).
set(TWINSHIM_FRONT_RUNTIME_SOURCES
    frontdll/front_api.c
    frontdll/front_clock.c
    frontdll/front_attach.c
    frontdll/front_detach.c
    frontdll/front_dllmain.c
    frontdll/front_paths.c
    frontdll/front_release.c
    frontdll/front_report.c
    common/fault_injection.c
    common/report.c
    common/status_text.c)
set(TWINSHIM_FRONT_RUNTIME_HEADERS frontdll/front_state.h common/fault_injection.h common/protocol.h
    common/report.h)

set(TWINSHIM_WORKER_RUNTIME_SOURCES
    workerdll/callback_accounting.c
    workerdll/consumers.c
    workerdll/exit_delivery.c
    workerdll/io.c
    workerdll/item_queue.c
    workerdll/journal_file.c
    workerdll/journal_reader.c
    workerdll/journal_recovery.c
    workerdll/loader_lock.c
    workerdll/message_delivery.c
    workerdll/message_post.c
    workerdll/message_ring.c
    workerdll/session_api.c
    workerdll/session_counters.c
    workerdll/session_journal.c
    workerdll/session_objects.c
    workerdll/session_registry.c
    workerdll/session_settings.c
    workerdll/session_signals.c
    workerdll/session_start.c
    workerdll/session_thread.c
    workerdll/submit_gate.c
    workerdll/timers.c
    workerdll/waits.c
    workerdll/work_items.c
    workerdll/worker_entry.c
    common/fault_injection.c
    common/report.c
    common/status_text.c
    common/thread_state.c)
set(TWINSHIM_WORKER_RUNTIME_HEADERS workerdll/session.h workerdll/item_queue.h workerdll/journal_file.h
    workerdll/journal_format.h workerdll/journal_reader.h workerdll/message_ring.h common/fault_injection.h
    common/protocol.h common/report.h common/thread_state.h)

# The runtime's own compile definitions, never its consumers': a front's
# generic Win32 calls (TEXT, A or W) stay what its own build says.
set(TWINSHIM_RUNTIME_DEFINITIONS UNICODE _UNICODE WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0601)

function(twinshim_define_runtimes)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "SOURCE_ROOT;INCLUDE_DIR;PREBUILT_DIR" "")
    if(TARGET twinshim::headers)
        return()
    endif()

    add_library(twinshim_headers INTERFACE)
    add_library(twinshim::headers ALIAS twinshim_headers)
    target_include_directories(twinshim_headers INTERFACE ${ARG_INCLUDE_DIR})

    # An installed package carries the runtimes prebuilt for the toolchain
    # that built it: a consumer with the same target links them and compiles
    # only its own files. TWINSHIM_FROM_SOURCES, or another target, compiles
    # the installed sources instead.
    if(ARG_PREBUILT_DIR AND NOT TWINSHIM_FROM_SOURCES
       AND EXISTS "${ARG_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE}/libtwinshim_front_runtime.a")
        foreach(kind front worker)
            add_library(twinshim::${kind}_runtime STATIC IMPORTED)
            set_target_properties(twinshim::${kind}_runtime PROPERTIES
                IMPORTED_LOCATION "${ARG_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE}/libtwinshim_${kind}_runtime.a"
                INTERFACE_LINK_LIBRARIES twinshim::headers)
        endforeach()
        return()
    endif()

    foreach(kind front worker)
        string(TOUPPER ${kind} upper)
        list(TRANSFORM TWINSHIM_${upper}_RUNTIME_SOURCES PREPEND ${ARG_SOURCE_ROOT}/ OUTPUT_VARIABLE sources)
        add_library(twinshim_${kind}_runtime STATIC ${sources})
        add_library(twinshim::${kind}_runtime ALIAS twinshim_${kind}_runtime)
        target_link_libraries(twinshim_${kind}_runtime PUBLIC twinshim_headers)
        target_compile_definitions(twinshim_${kind}_runtime PRIVATE ${TWINSHIM_RUNTIME_DEFINITIONS})
        set_target_properties(twinshim_${kind}_runtime PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
            OUTPUT_NAME twinshim_${kind}_runtime)
        if(TWINSHIM_FAULT_INJECTION)
            target_compile_definitions(twinshim_${kind}_runtime PRIVATE SHIM_FAULT_INJECTION)
        endif()
    endforeach()
endfunction()
