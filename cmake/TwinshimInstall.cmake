# cmake --install: the public headers, the runtimes prebuilt for this build's
# target (a consumer with the same target links them, so it compiles only its
# own files), the runtime sources (for any other target), the CMake package,
# the toolchain files and wine-run, cmocka for the targets it was built for,
# and twinshim-new with its plugin template. A consumer then needs only:
#   find_package(twinshim CONFIG REQUIRED)
#   twinshim_add_worker(...)  twinshim_add_front(...)
include(CMakePackageConfigHelpers)

set(TWINSHIM_INSTALL_CMAKE_DIR lib/cmake/twinshim CACHE STRING "Where the CMake package is installed")
set(TWINSHIM_INSTALL_RUNTIME_DIR share/twinshim/runtime CACHE STRING "Where the runtime sources are installed")
set(TWINSHIM_INSTALL_PREBUILT_DIR lib/twinshim CACHE STRING "Where the prebuilt runtimes (and cmocka) are installed, by target")
set(TWINSHIM_INSTALL_TEMPLATE_DIR share/twinshim/templates CACHE STRING "Where the project templates are installed")
set(TWINSHIM_INSTALL_BIN_DIR bin CACHE STRING "Where twinshim-new is installed")

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
twinshim_install_sinks(RUNTIME_DIR ${TWINSHIM_INSTALL_RUNTIME_DIR} PREBUILT_DIR ${TWINSHIM_INSTALL_PREBUILT_DIR})
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

# The plugin template, and the command that makes a project from it. The
# command finds the template and the package from its own folder.
install(DIRECTORY templates/plugin DESTINATION ${TWINSHIM_INSTALL_TEMPLATE_DIR}
    PATTERN build EXCLUDE PATTERN dist EXCLUDE
    PATTERN ci.sh PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# Only these three are filled in (configure_file would also empty the
# template token @PREFIX@ that the script replaces).
file(RELATIVE_PATH bin_to_prefix /prefix/${TWINSHIM_INSTALL_BIN_DIR} /prefix)
file(READ templates/twinshim-new.in script)
string(REPLACE "@TWINSHIM_BIN_TO_PREFIX@" "${bin_to_prefix}" script "${script}")
string(REPLACE "@TWINSHIM_INSTALL_TEMPLATE_DIR@" "${TWINSHIM_INSTALL_TEMPLATE_DIR}" script "${script}")
string(REPLACE "@TWINSHIM_INSTALL_CMAKE_DIR@" "${TWINSHIM_INSTALL_CMAKE_DIR}" script "${script}")
file(WRITE ${PROJECT_BINARY_DIR}/package/twinshim-new "${script}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS templates/twinshim-new.in)
install(PROGRAMS ${PROJECT_BINARY_DIR}/package/twinshim-new DESTINATION ${TWINSHIM_INSTALL_BIN_DIR})

# cmocka as scripts/build-cmocka.sh cross-built it, for every target it was
# built for when the install runs: a project made from the template builds
# its host test with the package alone (twinshim::cmocka, in the package's
# configuration). cmocka is Apache-2.0 licensed.
install(CODE "
    file(GLOB cmocka_targets LIST_DIRECTORIES true \"${PROJECT_SOURCE_DIR}/.cache/deps/*\")
    foreach(built IN LISTS cmocka_targets)
        get_filename_component(triple \"\${built}\" NAME)
        if(EXISTS \"\${built}/include/cmocka.h\" AND EXISTS \"\${built}/bin/cmocka.dll\")
            file(INSTALL \"\${built}/include/cmocka.h\" \"\${built}/include/cmocka_pbc.h\"
                DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${TWINSHIM_INSTALL_PREBUILT_DIR}/\${triple}/cmocka/include\")
            file(INSTALL \"\${built}/lib/libcmocka.dll.a\"
                DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${TWINSHIM_INSTALL_PREBUILT_DIR}/\${triple}/cmocka/lib\")
            file(INSTALL \"\${built}/bin/cmocka.dll\"
                DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${TWINSHIM_INSTALL_PREBUILT_DIR}/\${triple}/cmocka/bin\")
        endif()
    endforeach()")
