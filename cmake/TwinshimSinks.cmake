# The sink library (sinks/, include/twinshim/sink.h): records to a JSON Lines
# file or to rsyslog over RELP. A worker links it beside the worker runtime,
# whose I/O and timer handles it uses:
#   target_link_libraries(my_worker PRIVATE twinshim::sinks)
# Used by the source tree and by the installed package alike.
#
#   twinshim_define_sinks(SOURCE_ROOT <dir> [PREBUILT_DIR <dir>])
#     defines twinshim::sinks, once per build (after twinshim_define_runtimes).
#   twinshim_install_sinks(RUNTIME_DIR <dir> PREBUILT_DIR <dir>)
#     installs its sources, and its archive prebuilt for this build's target.

set(TWINSHIM_SINKS_SOURCES
    sinks/decimal.c
    sinks/file_sink.c
    sinks/relp_connection.c
    sinks/relp_frame.c
    sinks/relp_response.c
    sinks/relp_retry.c
    sinks/relp_sink.c
    sinks/relp_window.c
    sinks/sink.c
    sinks/sink_report.c
    sinks/sink_target.c
    sinks/syslog_message.c)
set(TWINSHIM_SINKS_HEADERS
    sinks/decimal.h
    sinks/relp_connection.h
    sinks/relp_frame.h
    sinks/relp_response.h
    sinks/relp_retry.h
    sinks/relp_window.h
    sinks/sink_internal.h
    sinks/sink_report.h
    sinks/syslog_message.h)

function(twinshim_define_sinks)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "SOURCE_ROOT;PREBUILT_DIR" "")
    if(TARGET twinshim::sinks)
        return()
    endif()
    # Its references to the runtime (handles, reports) come after it on the
    # link line, and Winsock after both.
    if(ARG_PREBUILT_DIR AND NOT TWINSHIM_FROM_SOURCES
       AND EXISTS "${ARG_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE}/libtwinshim_sinks.a")
        add_library(twinshim::sinks STATIC IMPORTED)
        set_target_properties(twinshim::sinks PROPERTIES
            IMPORTED_LOCATION "${ARG_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE}/libtwinshim_sinks.a"
            INTERFACE_LINK_LIBRARIES "twinshim::worker_runtime;twinshim::headers;ws2_32")
        return()
    endif()
    list(TRANSFORM TWINSHIM_SINKS_SOURCES PREPEND ${ARG_SOURCE_ROOT}/ OUTPUT_VARIABLE sources)
    add_library(twinshim_sinks OBJECT ${sources})
    add_library(twinshim::sinks ALIAS twinshim_sinks)
    target_link_libraries(twinshim_sinks PUBLIC twinshim_headers ws2_32)
    target_compile_definitions(twinshim_sinks PRIVATE ${TWINSHIM_RUNTIME_DEFINITIONS})
    set_target_properties(twinshim_sinks PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
    if(TWINSHIM_FAULT_INJECTION)
        target_compile_definitions(twinshim_sinks PRIVATE SHIM_FAULT_INJECTION)
    endif()
endfunction()

function(twinshim_install_sinks)
    cmake_parse_arguments(PARSE_ARGV 0 ARG "" "RUNTIME_DIR;PREBUILT_DIR" "")
    foreach(file IN LISTS TWINSHIM_SINKS_SOURCES TWINSHIM_SINKS_HEADERS)
        get_filename_component(folder ${file} DIRECTORY)
        install(FILES ${file} DESTINATION ${ARG_RUNTIME_DIR}/${folder})
    endforeach()
    install(FILES cmake/TwinshimSinks.cmake DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR})
    # Prebuilt like the runtimes: optimised, never with fault injection.
    if(NOT TWINSHIM_TARGET_TRIPLE)
        return()
    endif()
    add_library(twinshim_sinks_archive STATIC ${TWINSHIM_SINKS_SOURCES})
    target_link_libraries(twinshim_sinks_archive PRIVATE twinshim_headers)
    target_compile_definitions(twinshim_sinks_archive PRIVATE ${TWINSHIM_RUNTIME_DEFINITIONS})
    target_compile_options(twinshim_sinks_archive PRIVATE -O2)
    set_target_properties(twinshim_sinks_archive PROPERTIES
        OUTPUT_NAME twinshim_sinks ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/prebuilt)
    install(TARGETS twinshim_sinks_archive ARCHIVE DESTINATION ${ARG_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE})
endfunction()
