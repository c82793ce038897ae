# Cross-compile for 64-bit Windows with Debian's mingw-w64 GCC (win32 threads).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TWINSHIM_TARGET_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${TWINSHIM_TARGET_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${TWINSHIM_TARGET_TRIPLE}-windres)
set(CMAKE_DLLTOOL ${TWINSHIM_TARGET_TRIPLE}-dlltool)

set(CMAKE_FIND_ROOT_PATH /usr/${TWINSHIM_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages such as twinshim's own may live outside the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Windows programs built here run under Wine, in the project's own prefix.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run)
