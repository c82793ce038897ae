#!/bin/sh
# Runs the commands of README files as written. A command is a line of a
# fenced code block marked `sh`; each README's blocks run in order, as one
# script (`sh -eux`: the first command that fails stops it), from FOLDER,
# where the README's commands start. The caller sets the environment (HOME...).
#
# Usage: run-readme.sh [--skip LINE REASON]... FOLDER README...
#   --skip: the line with exactly this text is not run, for REASON (say why
#   it runs elsewhere). A skip that matches no line fails: it is stale.
set -eu

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/skips"
while [ $# -gt 0 ] && [ "$1" = --skip ]; do
    [ $# -ge 3 ] || { echo "run-readme.sh: --skip needs a line and a reason" >&2; exit 2; }
    printf '%s\t%s\n' "$2" "$3" >>"$work/skips"
    shift 3
done
[ $# -ge 2 ] || { echo "usage: run-readme.sh [--skip LINE REASON]... FOLDER README..." >&2; exit 2; }
folder=$1
shift

: >"$work/skipped"
for readme in "$@"; do
    readme=$(cd "$(dirname "$readme")" && pwd)/$(basename "$readme")
    awk -v skips="$work/skips" -v skipped="$work/skipped" '
        BEGIN {
            while ((getline entry < skips) > 0) {
                split(entry, field, "\t")
                reason[field[1]] = field[2]
            }
        }
        /^```sh[ \t]*$/ { inside = 1; next }
        inside && /^```/ { inside = 0; next }
        !inside { next }
        { lines++ }
        $0 in reason {
            print $0 >> skipped
            printf "run-readme: not run here: %s (%s)\n", $0, reason[$0] > "/dev/stderr"
            next
        }
        { print }
        END { exit lines == 0 }
    ' "$readme" >"$work/script.sh" || {
        echo "run-readme.sh: $readme has no command (no sh block)" >&2
        exit 1
    }
    echo "== run-readme: $readme, from $folder"
    if ! (cd "$folder" && sh -eux "$work/script.sh"); then
        echo "run-readme.sh: a command of $readme failed (above)" >&2
        exit 1
    fi
done

# Every skip must have matched a line: a README that changed must change its skip too.
while IFS="$(printf '\t')" read -r line reason; do
    if ! grep -Fxq -- "$line" "$work/skipped"; then
        echo "run-readme.sh: the skip \"$line\" ($reason) matches no README line" >&2
        exit 1
    fi
done <"$work/skips"
