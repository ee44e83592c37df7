#!/usr/bin/env bash
# Writes src/hot-text.ld: the functions a start of the common one-shot commands
# runs, gathered in one stretch of the program's code (issue #14, start-up).
#
# The kernel maps a program's code as it is first touched, 64 KB around each
# touch. A `postpaid` run touches a few hundred functions spread over 4 MB of
# code: about 37 page faults, each a few microseconds on a VM. build.rs hands
# the linker this script on Linux release builds (GNU ld and LLD both read it):
# its output section `.text.first`, placed before `.text`, takes these
# functions in the order listed, so that the code a start runs lies within
# about 2 MB (with every instance of a generic function a pattern names).
#
# The names come from callgrind (each function a run executed, mangled). What
# ties a name to one build is a wildcard: the crate hashes (which differ from
# one machine, directory and compiler to another), LTO's suffixes for local
# copies, and the back-references whose offsets a hash's length moves. So the
# script holds across builds and edits; a function renamed or gone since is
# merely left where the linker puts it, and `cargo bench --bench startup`
# prints how much code the section holds. Run again after changing what the
# commands below run at their start.
#
# Usage: benches/hot-text.sh        (needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "benches/hot-text.sh needs valgrind" >&2; exit 1; }
. benches/common.sh

# The one-shot commands that shell loops and scripts run, in every format; then
# the commands over a file, on a small one (a day's usage), whose functions come
# after: the first commands' stay together at the front.
printf 'account,month,api,calls\na,2026-01,idcard,9000\na,2026-02,general,20000\n' > "$work/day.csv"
runs=(
    "--version"
    "postpaid --api idcard --calls 9000"
    "postpaid --api idcard --calls 9000 -f json"
    "postpaid --api idcard --calls 9000 -f csv"
    "prepaid --api idcard --calls 2500 --packs 1000"
    "prepaid --api idcard --calls 2500 --packs 1000 -f json"
    "quote --api idcard --calls 7000"
    "quote --api idcard --calls 7000 -f json"
    "batch $work/day.csv"
    "batch --group-by account,month $work/day.csv"
    "ledger $work/day.csv"
    "ledger -f csv $work/day.csv"
    "plan $work/day.csv"
)
i=0
for args in "${runs[@]}"; do
    # (Word splitting of $args is the point: each is a command line.)
    # shellcheck disable=SC2086
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" \
        "$bin" $args > /dev/null 2>&1
    i=$((i + 1))
done

# Each function named once, in the order first met; Rust's mangled names only
# (callgrind marks a recursive call's own record with a suffix, `'2`).
for f in "$work"/cg.*; do grep -oE '^c?fn=\([0-9]+\) .*' "$f"; done \
    | sed -E 's/^c?fn=\([0-9]+\) //' \
    | grep -E '^(_R|_ZN)' \
    | sed -E "s/'[0-9]+\$//" \
    | sed -E 's/Cs[0-9A-Za-z]+_/Cs*_/g; /^_R/s/B[0-9A-Za-z]*_/B*_/g; s/17h[0-9a-f]{16}E$/17h*E/; s/\.(llvm\.)?[0-9]+$/*/' \
    | awk '!seen[$0]++' > "$work/names"

{
    echo "/* Written by benches/hot-text.sh: the functions a start of ocr-bill's one-shot"
    echo "   commands runs, put together before the rest of the code (build.rs passes"
    echo "   this script to the linker on Linux release builds). $(wc -l < "$work/names") names. */"
    echo "SECTIONS"
    echo "{"
    echo "  .text.first :"
    echo "  {"
    awk '{printf "    *(.text.%s .text.unlikely.%s)\n", $0, $0}' "$work/names"
    echo "  }"
    echo "}"
    echo "INSERT BEFORE .text;"
} > src/hot-text.ld
echo "src/hot-text.ld: $(wc -l < "$work/names") functions"
