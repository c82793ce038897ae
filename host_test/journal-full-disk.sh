#!/bin/sh
# A journal folder on a disk that is full, for real: a small tmpfs mounted
# for the test and filled to within 24 KiB, where a journal of 64 KiB cannot
# be allocated (the runtime writes its zeros before it maps it). A session
# of test_front.dll there runs on a memory journal, says so in its counters
# and on standard error (TWINSHIM_REPORT=stderr, with the Windows error),
# delivers every message it accepted (several laps of its ring), and leaves
# no journal file on the full disk.
#   host_test/journal-full-disk.sh <bin folder>
# Mounting needs root and the CAP_SYS_ADMIN capability (a container may not
# have it): without them the test says so and is skipped (exit 77, which
# ctest reports as skipped). test_journal_recovery.c covers the same
# through the journal's fault point, everywhere. Without the fallback, the
# front would pass through (no session, posts refused) and the child fails.
set -eu

bin=$(cd "${1:?usage: journal-full-disk.sh <bin folder>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
wine_run=$here/../cmake/wine-run
messages=4000
skip=77

windows_path() {
    printf 'Z:%s' "$1" | tr / '\\'
}

fail() {
    printf 'journal-full-disk.sh: %s\n' "$*" >&2
    exit 1
}

work=$bin/journal-full-disk
disk=$work/disk
fixture=$bin/fixtures/journal-full-disk
mkdir -p "$disk"
if mountpoint -q "$disk"; then
    umount "$disk" || fail "an earlier run's $disk is still mounted and cannot be unmounted"
fi
if ! mount -t tmpfs -o size=1m,mode=0777 twinshim-full-disk "$disk" 2> "$work/mount.err"; then
    printf 'journal-full-disk.sh: skipped: cannot mount a tmpfs here (%s); test_journal_recovery covers a full disk through the fault point\n' \
        "$(tr '\n' ' ' < "$work/mount.err")"
    exit "$skip"
fi
trap 'umount "$disk" 2>/dev/null || true' EXIT INT TERM

# Full to within 24 KiB: the folders fit, a journal does not.
dd if=/dev/zero of="$disk/filler" bs=1024 count=1000 2> /dev/null || true
mkdir -p "$disk/journals"
free_kib=$(df -k --output=avail "$disk" | tail -n 1 | tr -d ' ')
[ "$free_kib" -lt 64 ] || fail "the tmpfs still has $free_kib KiB free"

rm -rf "$fixture"
mkdir -p "$fixture"
cp "$bin/test_front.dll" "$bin/test_worker.dll" "$fixture/"
TWINSHIM_JOURNAL_DIR=$(windows_path "$disk/journals/")
TWINSHIM_TEST_CAPACITY_KIB=64
TWINSHIM_REPORT=stderr
export TWINSHIM_JOURNAL_DIR TWINSHIM_TEST_CAPACITY_KIB TWINSHIM_REPORT

status=0
"$wine_run" "$bin/journal_writer_child.exe" on-memory "$(windows_path "$fixture/")" "$messages" \
    > "$work/child.out" 2> "$work/child.err" || status=$?
cat "$work/child.out"
grep 'twinshim' "$work/child.err" || true
[ "$status" -eq 0 ] || fail "journal_writer_child.exe on-memory ended with $status: $(cat "$work/child.err")"
grep -q '^journal: memory' "$work/child.out" || fail "the session did not run on memory"
# ERROR_DISK_FULL (112): the write of the journal's zeros found no room.
grep -q 'the journal could not be made in .*Windows error 112)' "$work/child.err" ||
    fail "no report of a journal that could not be made for want of room"
left=$(find "$disk" -name '*.journal' | wc -l)
[ "$left" -eq 0 ] || fail "$left journal files left on the full disk"
echo "journal-full-disk.sh: on a full disk the session ran on memory and delivered all $messages messages"
