# Cross-compile for 32-bit Windows (x86) with Debian's mingw-w64 GCC (win32 threads).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86)
set(TWINSHIM_TARGET_TRIPLE i686-w64-mingw32)

set(CMAKE_C_COMPILER ${TWINSHIM_TARGET_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${TWINSHIM_TARGET_TRIPLE}-windres)
set(CMAKE_DLLTOOL ${TWINSHIM_TARGET_TRIPLE}-dlltool)

set(CMAKE_FIND_ROOT_PATH /usr/${TWINSHIM_TARGET_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages such as twinshim's own may live outside the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Windows programs built here run under Wine, in the project's own prefix,
# where Wine can run 32-bit programs. Not on the machines here: wine32:i386
# installs, but their kernel has 32-bit emulation switched off, so Wine's
# 32-bit loader cannot start (README, "32-bit"). The mingw-x86-gcc preset
# builds the tests and CI only inspects the DLLs (scripts/ci-extra-toolchains.sh).
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run)
