# Functions that build twinshim front and worker DLLs, in twinshim's own tree
# and in a consumer's project (find_package(twinshim)) alike.
#
#   twinshim_add_worker(<target> SOURCES <plugin sources...> [OUTPUT_NAME <name>])
#     A worker DLL: the worker runtime plus one plugin (SHIM_DEFINE_PLUGIN).
#
#   twinshim_add_front(<target> SOURCES <sources...> [DEF <exports.def>] [OUTPUT_NAME <name>])
#     A front DLL: the front runtime (which supplies DllMain) plus the front's
#     own code, which defines shim_front_configuration; exports come from DEF.
#     Without DEF the linker exports every global of the front's own code,
#     never the runtime's nor shim_front_configuration (GNU ld's
#     --exclude-libs and --exclude-symbols); with a linker that cannot
#     exclude them (lld 14) a front with neither DEF nor a dllexport in its
#     sources gets a warning instead.

include(CheckLinkerFlag)

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

# A DLL with neither a .def nor a dllexport exports every global symbol: the
# runtime's internals too, unless the linker leaves out its archive, and the
# configuration the runtime reads, unless it leaves that out by name.
function(twinshim__keep_runtime_out_of_exports target def sources)
    set(hide "LINKER:--exclude-libs,libtwinshim_front_runtime.a,--exclude-symbols,shim_front_configuration")
    check_linker_flag(C "${hide}" TWINSHIM_LINKER_HIDES_RUNTIME)
    if(TWINSHIM_LINKER_HIDES_RUNTIME)
        target_link_options(${target} PRIVATE "${hide}")
        return()
    endif()
    if(def)
        return()
    endif()
    # A dllexport in the front's own sources turns the automatic exports off.
    foreach(source IN LISTS sources)
        get_filename_component(source "${source}" ABSOLUTE)
        if(EXISTS "${source}")
            file(STRINGS "${source}" marked REGEX "dllexport")
            if(marked)
                return()
            endif()
        endif()
    endforeach()
    message(WARNING "twinshim_add_front(${target}): no DEF file, and this linker cannot keep the "
        "runtime's symbols out of the export table (no --exclude-libs): ${target} will export "
        "twinshim's internal functions. List the front's exports in a .def file and pass it as DEF.")
endfunction()

function(twinshim_add_front target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_NAME;DEF" "SOURCES")
    add_library(${target} SHARED ${ARG_SOURCES} ${ARG_DEF})
    target_link_libraries(${target} PRIVATE twinshim::front_runtime twinshim::headers)
    # A front's code runs inside the host's calls. The SLP vectorizer turns
    # neighbouring constant stores (a record's header fields) into vector and
    # 16-bit constants loaded from .rdata: a page of its own, which a call
    # made now and then finds cold (docs/shimgen.md, "What each export becomes").
    target_compile_options(${target} PRIVATE $<$<C_COMPILER_ID:GNU>:-fno-tree-slp-vectorize>
                                             $<$<C_COMPILER_ID:Clang>:-fno-slp-vectorize>)
    target_link_options(${target} PRIVATE -static-libgcc)
    twinshim__keep_runtime_out_of_exports(${target} "${ARG_DEF}" "${ARG_SOURCES}")
    if(ARG_OUTPUT_NAME)
        set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
    endif()
    set_target_properties(${target} PROPERTIES PREFIX "")
endfunction()
