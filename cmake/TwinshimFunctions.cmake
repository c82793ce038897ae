# Functions that build twinshim front and worker DLLs, in twinshim's own tree
# and in a consumer's project (find_package(twinshim)) alike.
#
#   twinshim_add_worker(<target> SOURCES <plugin sources...> [OUTPUT_NAME <name>])
#     A worker DLL: the worker runtime plus one plugin (SHIM_DEFINE_PLUGIN).
#
#   twinshim_add_front(<target> SOURCES <sources...> [DEF <exports.def>] [OUTPUT_NAME <name>])
#     A front DLL: the front runtime (which supplies DllMain) plus the front's
#     own code, which defines shim_front_configuration; exports come from DEF.

function(twinshim_add_worker target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_NAME" "SOURCES")
    add_library(${target} SHARED ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE twinshim::worker_runtime twinshim::headers)
    # No libgcc DLL to ship beside the worker.
    target_link_options(${target} PRIVATE -static-libgcc)
    if(ARG_OUTPUT_NAME)
        set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
    endif()
    set_target_properties(${target} PROPERTIES PREFIX "")
endfunction()

function(twinshim_add_front target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_NAME;DEF" "SOURCES")
    add_library(${target} SHARED ${ARG_SOURCES} ${ARG_DEF})
    target_link_libraries(${target} PRIVATE twinshim::front_runtime twinshim::headers)
    target_link_options(${target} PRIVATE -static-libgcc)
    if(ARG_OUTPUT_NAME)
        set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
    endif()
    set_target_properties(${target} PROPERTIES PREFIX "")
endfunction()
