#!/bin/sh
# Fails if Wine's exception trace (a run under WINEDEBUG=+seh, its standard
# error in LOG) shows an access violation anywhere, and prints it. Wine's
# loader catches one raised in a DllMain (a front's detach at FreeLibrary,
# the worker's hand-over at exit) and the program goes on with its own
# output and exit code (docs/wine-vs-windows.md, section 22): only the trace
# shows it. Used by wrap-gpg-error.sh and wrap-legacy.sh.
# Usage: no-access-violation.sh LOG WHAT
set -eu
log=${1:?usage: no-access-violation.sh LOG WHAT}
what=${2:?usage: no-access-violation.sh LOG WHAT}

if grep -q 'dispatch_exception code=c0000005' "$log"; then
    grep -A3 'dispatch_exception code=c0000005' "$log" | head -20 >&2
    echo "$what: an access violation (Wine's exception trace)" >&2
    exit 1
fi
