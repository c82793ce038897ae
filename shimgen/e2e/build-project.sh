#!/bin/sh
# Configures and builds a project shimgen wrote, with warnings as errors;
# prints the log and fails when either step fails.
# Usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE LOG_DIR
set -eu
project=${1:?usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE LOG_DIR}
toolchain=${2:?usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE LOG_DIR}
logs=${3:?usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE LOG_DIR}

cmake -S "$project" -B "$project/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_C_FLAGS=-Werror \
    > "$logs/configure.log" 2>&1 || { cat "$logs/configure.log"; echo "build-project: configure failed" >&2; exit 1; }
cmake --build "$project/build" > "$logs/build.log" 2>&1 ||
    { cat "$logs/build.log"; echo "build-project: build failed" >&2; exit 1; }
