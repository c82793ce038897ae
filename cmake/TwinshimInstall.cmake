# cmake --install: the public headers, the runtime sources (compiled into each
# consumer's DLLs by its own toolchain), the CMake package and the toolchain
# files. A consumer then needs only:
#   find_package(twinshim CONFIG REQUIRED)
#   twinshim_add_worker(...)  twinshim_add_front(...)
include(CMakePackageConfigHelpers)

set(TWINSHIM_INSTALL_CMAKE_DIR lib/cmake/twinshim CACHE STRING "Where the CMake package is installed")
set(TWINSHIM_INSTALL_RUNTIME_DIR share/twinshim/runtime CACHE STRING "Where the runtime sources are installed")

install(DIRECTORY include/twinshim DESTINATION include)
foreach(file IN LISTS TWINSHIM_FRONT_RUNTIME_SOURCES TWINSHIM_FRONT_RUNTIME_HEADERS
                      TWINSHIM_WORKER_RUNTIME_SOURCES TWINSHIM_WORKER_RUNTIME_HEADERS)
    get_filename_component(folder ${file} DIRECTORY)
    install(FILES ${file} DESTINATION ${TWINSHIM_INSTALL_RUNTIME_DIR}/${folder})
endforeach()

configure_package_config_file(cmake/twinshimConfig.cmake.in
    ${PROJECT_BINARY_DIR}/package/twinshimConfig.cmake
    INSTALL_DESTINATION ${TWINSHIM_INSTALL_CMAKE_DIR}
    PATH_VARS TWINSHIM_INSTALL_RUNTIME_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/twinshimConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
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
