#!/bin/sh
# Checks that `shimgen exports` reads every export table in a folder exactly
# as `x86_64-w64-mingw32-objdump -p` does (every file in it: DLLs, drivers, programs): the same ordinals, RVAs, names
# (or none) and forwarder strings. objdump says nothing about data, so the
# data flag is checked by the unit tests instead.
# Usage: compare-objdump.sh SHIMGEN FOLDER [OBJDUMP]
set -eu

shimgen=${1:?usage: compare-objdump.sh SHIMGEN FOLDER [OBJDUMP]}
folder=${2:?usage: compare-objdump.sh SHIMGEN FOLDER [OBJDUMP]}
objdump=${3:-x86_64-w64-mingw32-objdump}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One line per export: "ordinal rva name forwarder", "[NONAME]" and "-" when
# there is none, RVA in hex without leading zeros. Sorted, to diff.
objdump_exports() {
    "$objdump" -p "$1" | awk '
        /^Export Address Table -- Ordinal Base/ { base = $NF; in_table = 1; next }
        /^\[Ordinal\/Name Pointer\] Table/ { in_table = 0; in_names = 1; next }
        in_table && /\+base\[/ {
            line = $0
            sub(/.*\+base\[ */, "", line)
            split(line, field, /[] ]+/)
            ordinal = field[1]; rva = field[2]
            sub(/^0+/, "", rva); if (rva == "") rva = "0"
            forwarder[ordinal] = "-"
            if (line ~ /Forwarder RVA -- /) { f = line; sub(/.*Forwarder RVA -- /, "", f); forwarder[ordinal] = f }
            address[ordinal] = rva; order[++count] = ordinal
            next
        }
        in_names && /^\t\[ *[0-9]+\] / {
            line = $0; sub(/^\t\[ */, "", line)
            index_end = index(line, "]")
            ordinal = substr(line, 1, index_end - 1) + base
            name = substr(line, index_end + 2)
            named[ordinal] = 1
            print ordinal, address[ordinal], name, forwarder[ordinal]
            next
        }
        in_names && !/^\t/ { in_names = 0 }
        END {
            for (i = 1; i <= count; i++)
                if (!(order[i] in named)) print order[i], address[order[i]], "[NONAME]", forwarder[order[i]]
        }' | LC_ALL=C sort
}

shimgen_exports() {
    "$shimgen" exports "$1" | awk 'NR > 2 {
            rva = $2; sub(/^0+/, "", rva); if (rva == "") rva = "0"
            print $1, rva, $4, ($5 == "->" ? $6 : "-")
        }' | LC_ALL=C sort
}

files=0
exports=0
failures=0
for dll in "$folder"/*; do
    [ -f "$dll" ] || continue
    files=$((files + 1))
    objdump_exports "$dll" > "$work/expected"
    if ! shimgen_exports "$dll" > "$work/actual" 2> "$work/error"; then
        echo "MISMATCH $dll: shimgen failed: $(cat "$work/error")"
        failures=$((failures + 1))
        continue
    fi
    if ! diff "$work/expected" "$work/actual" > "$work/diff"; then
        echo "MISMATCH $dll (< objdump, > shimgen):"
        head -n 10 "$work/diff"
        failures=$((failures + 1))
        continue
    fi
    exports=$((exports + $(wc -l < "$work/expected")))
done

echo "objdump comparison: $files PE files in $folder, $exports exports agree, $failures files differ"
[ "$files" -gt 0 ] && [ "$failures" -eq 0 ]
