# Cross-compile for 64-bit Windows with Clang and lld against the mingw-w64
# sysroot of Debian's GCC cross compiler (/usr/x86_64-w64-mingw32). Clang has
# no libgcc of its own for this target: the GCC runtime folder goes on the
# library path (libgcc, libgcc_eh), found by asking the GCC cross compiler.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TWINSHIM_TARGET_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET ${TWINSHIM_TARGET_TRIPLE})
set(CMAKE_RC_COMPILER ${TWINSHIM_TARGET_TRIPLE}-windres)
set(CMAKE_DLLTOOL ${TWINSHIM_TARGET_TRIPLE}-dlltool)
# GNU binutils for mingw read and write the COFF objects Clang emits.
set(CMAKE_AR ${TWINSHIM_TARGET_TRIPLE}-ar CACHE FILEPATH "Archiver")
set(CMAKE_RANLIB ${TWINSHIM_TARGET_TRIPLE}-ranlib CACHE FILEPATH "Archive indexer")

execute_process(COMMAND ${TWINSHIM_TARGET_TRIPLE}-gcc -print-libgcc-file-name
    OUTPUT_VARIABLE twinshim_libgcc OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE twinshim_libgcc_result)
if(NOT twinshim_libgcc_result EQUAL 0 OR NOT EXISTS "${twinshim_libgcc}")
    message(FATAL_ERROR "${TWINSHIM_TARGET_TRIPLE}-gcc -print-libgcc-file-name failed: install mingw-w64")
endif()
get_filename_component(twinshim_gcc_runtime_dir "${twinshim_libgcc}" DIRECTORY)

# lld, through a wrapper that keeps the ordinals of forwarded exports (lld 14
# drops them; see the wrapper).
foreach(kind EXE SHARED MODULE)
    set(CMAKE_${kind}_LINKER_FLAGS_INIT
        "-fuse-ld=lld --ld-path=${CMAKE_CURRENT_LIST_DIR}/ld.lld-forwarders -L${twinshim_gcc_runtime_dir}")
endforeach()

set(CMAKE_FIND_ROOT_PATH /usr/${TWINSHIM_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages such as twinshim's own may live outside the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Windows programs built here run under Wine, in the project's own prefix.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run)
