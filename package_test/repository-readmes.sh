#!/bin/sh
# Runs the commands of every README.md in the repository as written (see
# run-readme.sh), from the repository root, as a user with a HOME of their
# own and no WINEPREFIX. That user's Wine prefix is this project's, already
# booted (template-project.sh boots a fresh one). Commands that cannot run
# here are listed below with the reason, and the template's README, full of
# tokens, runs once twinshim-new has filled it in (template-project.sh).
# Usage: repository-readmes.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files '*README.md' >"$work/readmes"
else
    (cd "$top" && find . -name README.md -not -path './build/*' -not -path './.cache/*' | sed 's|^\./||') >"$work/readmes"
fi
grep -vx 'templates/plugin/README.md' "$work/readmes" >"$work/run" || true
[ -s "$work/run" ] || { echo "repository-readmes: no README found" >&2; exit 1; }

mkdir -p "$work/home/.cache/twinshim" "$top/.cache/wineprefix"
ln -s "$top/.cache/wineprefix" "$work/home/.cache/twinshim/wineprefix"
set --
while IFS= read -r readme; do
    set -- "$@" "$top/$readme"
done <"$work/run"
env -u WINEPREFIX -u TWINSHIM_WINEPREFIX -u XDG_CACHE_HOME HOME="$work/home" "$here/run-readme.sh" \
    --skip "make test   # build everything, run every test suite under Wine" \
    "this test is part of make test" \
    --skip "shimgen/run-tests.sh            # from the repository root, after the main cross build" \
    "make test runs it" \
    --skip "SHIMGEN_FUZZ_SECONDS=300 shimgen/run-tests.sh   # fuzz longer" \
    "make test runs the same script, fuzzing for 30 s" \
    "$top" "$@"
echo "repository-readmes: the commands of $(wc -l <"$work/run") READMEs ran as written"
