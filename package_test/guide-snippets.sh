#!/bin/sh
# Compiles the C snippets of docs/plugin-guide.md and README.md as shown:
# every fenced block marked `c` is a file of its own, compiled with GCC and
# with Clang under the project's warning flags (-std=c11 -Wall -Wextra
# -Werror) against include/, and linked into a DLL with the runtime it needs
# (a worker's with SHIM_DEFINE_PLUGIN, a front's with shim_front_configuration).
# The first snippet of each, the worker a reader copies, sets on_exit_message.
# Usage: guide-snippets.sh <target triple> <folder of the built runtime archives>
set -eu

triple=${1:?usage: guide-snippets.sh <target triple> <folder of libtwinshim_*_runtime.a>}
archives=$(cd "${2:?usage: guide-snippets.sh <target triple> <folder of libtwinshim_*_runtime.a>}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Under the project's warning flags; the compiler (and its target) first.
compile() {
    "$@" -std=c11 -Wall -Wextra -Werror -I"$top/include" -c
}

# One file per block: <work>/<document>-<n>.c, the fence's indentation removed.
for document in docs/plugin-guide.md README.md; do
    awk -v out="$work/$(basename "$document" .md)" '
        match($0, /^ *```c *$/) { inside = 1; indent = index($0, "`") - 1; file = out "-" ++blocks ".c"; next }
        inside && $0 ~ /^ *```/ { inside = 0; close(file); next }
        inside { line = $0; sub("^ {0," indent "}", "", line); print line > file }
        END { if (blocks == 0) { print FILENAME ": no c block" > "/dev/stderr"; exit 1 } }
    ' "$top/$document"
done

# The first worker a reader copies hands what is queued at process exit on.
for first in "$work/README-1.c" "$work/plugin-guide-1.c"; do
    grep -q '\.on_exit_message *=' "$first" || {
        echo "guide-snippets: $(basename "$first"), the first snippet of its document, sets no on_exit_message" >&2
        exit 1
    }
done

failed=0
for snippet in "$work"/*.c; do
    name=$(basename "$snippet")
    if ! compile "$triple-gcc" "$snippet" -o "$snippet.o"; then
        echo "guide-snippets: $name does not compile with GCC:" >&2
        cat -n "$snippet" >&2
        failed=1
        continue
    fi
    if command -v clang >/dev/null 2>&1 && ! compile clang --target="$triple" "$snippet" -o "$snippet.clang.o"; then
        echo "guide-snippets: $name does not compile with Clang" >&2
        failed=1
    fi
    runtime=""
    if grep -q 'SHIM_DEFINE_PLUGIN' "$snippet"; then
        runtime=$archives/libtwinshim_worker_runtime.a
    elif grep -q 'shim_front_configuration' "$snippet"; then
        runtime=$archives/libtwinshim_front_runtime.a
    fi
    if [ -n "$runtime" ] && ! "$triple-gcc" -shared -static-libgcc -Wl,--fatal-warnings -o "$snippet.dll" \
        "$snippet.o" "$runtime"; then
        echo "guide-snippets: $name does not link with $(basename "$runtime")" >&2
        failed=1
    fi
    echo "guide-snippets: $name${runtime:+, linked with $(basename "$runtime")}"
done
[ "$failed" -eq 0 ] || exit 1
echo "guide-snippets: $(find "$work" -name '*.c' | wc -l) snippets compile with GCC and Clang, -Wall -Wextra -Werror"
