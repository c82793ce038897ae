# cmake --install: the public headers, the runtimes prebuilt for this build's
# target (a consumer with the same target links them, so it compiles only its
# own files), the runtime sources (for any other target), the CMake package
# and the toolchain files. A consumer then needs only:
#   find_package(twinshim CONFIG REQUIRED)
#   twinshim_add_worker(...)  twinshim_add_front(...)
include(CMakePackageConfigHelpers)

set(TWINSHIM_INSTALL_CMAKE_DIR lib/cmake/twinshim CACHE STRING "Where the CMake package is installed")
set(TWINSHIM_INSTALL_RUNTIME_DIR share/twinshim/runtime CACHE STRING "Where the runtime sources are installed")
set(TWINSHIM_INSTALL_PREBUILT_DIR lib/twinshim CACHE STRING "Where the prebuilt runtimes are installed, by target")

# The prebuilt runtimes: the same sources, optimised, and never with the
# test-only fault injection, whatever this build's type. Only for a known
# target (twinshim's toolchain files name it).
foreach(kind front worker)
    if(NOT TWINSHIM_TARGET_TRIPLE)
        break()
    endif()
    string(TOUPPER ${kind} upper)
    add_library(twinshim_${kind}_runtime_archive STATIC ${TWINSHIM_${upper}_RUNTIME_SOURCES})
    target_link_libraries(twinshim_${kind}_runtime_archive PRIVATE twinshim_headers)
    target_compile_definitions(twinshim_${kind}_runtime_archive PRIVATE ${TWINSHIM_RUNTIME_DEFINITIONS})
    target_compile_options(twinshim_${kind}_runtime_archive PRIVATE -O2)
    set_target_properties(twinshim_${kind}_runtime_archive PROPERTIES
        OUTPUT_NAME twinshim_${kind}_runtime ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/prebuilt)
    install(TARGETS twinshim_${kind}_runtime_archive
        ARCHIVE DESTINATION ${TWINSHIM_INSTALL_PREBUILT_DIR}/${TWINSHIM_TARGET_TRIPLE})
endforeach()

install(DIRECTORY include/twinshim DESTINATION include)
foreach(file IN LISTS TWINSHIM_FRONT_RUNTIME_SOURCES TWINSHIM_FRONT_RUNTIME_HEADERS
                      TWINSHIM_WORKER_RUNTIME_SOURCES TWINSHIM_WORKER_RUNTIME_HEADERS)
    get_filename_component(folder ${file} DIRECTORY)
    install(FILES ${file} DESTINATION ${TWINSHIM_INSTALL_RUNTIME_DIR}/${folder})
endforeach()

configure_package_config_file(cmake/twinshimConfig.cmake.in
    ${PROJECT_BINARY_DIR}/package/twinshimConfig.cmake
    INSTALL_DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR}
    PATH_VARS TWINSHIM_INSTALL_RUNTIME_DIR TWINSHIM_INSTALL_PREBUILT_DIR)
# Any target may use the package: it links the prebuilt runtimes of its own
# target if they are there, and compiles the installed sources otherwise.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/twinshimConfigVersion.cmake
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
    ${PROJECT_BINARY_DIR}/package/twinshimConfig.cmake
    ${PROJECT_BINARY_DIR}/package/twinshimConfigVersion.cmake
    cmake/TwinshimRuntime.cmake
    cmake/TwinshimFunctions.cmake
    DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR})
# Toolchain files and the Wine runner they name, for consumers who have none.
file(GLOB toolchain_files cmake/toolchain-*.cmake)
install(FILES ${toolchain_files} DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR})
install(PROGRAMS cmake/wine-run cmake/ld.lld-forwarders DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR})
