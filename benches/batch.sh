#!/usr/bin/env bash
# Benchmark of `ocr-bill batch`, measured side by side in one run:
#   - wall time against `cut -d, -f4` and against the awk reference
#     (benches/batch-reference.awk under mawk), whose output must be identical;
#   - peak memory without grouping at two input sizes (flat = streaming);
#   - `--group-by account,month` (with a negotiated price for the months that
#     reach the contact-sales tier): time and memory.
# Usage: benches/batch.sh [ROWS] [RUNS]     (default 5000000 rows, 5 runs; medians)
# Needs mawk and GNU time (/usr/bin/time): apt-get install mawk time
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-5000000}
runs=${2:-5}
. benches/common.sh

"$bin" prices -f csv > "$work/prices.csv"
free=$("$bin" prices -f json | sed -n 's/.*"free_calls_per_month": \([0-9]*\).*/\1/p' | head -1)
reference() { mawk -F, -v free="$free" -f benches/batch-reference.awk "$work/prices.csv" "$1"; }
seconds() {   # wall time in ms resolution
    local TIMEFORMAT=%3R
    { time "$@" > /dev/null 2> /dev/null; } 2>&1
}
peak_kb() { /usr/bin/time -f %M "$@" > /dev/null 2> "$work/t" && tail -1 "$work/t"; }
# The median of numbers a line each, and their range: `0.12 (0.10-0.15)`.
spread() { sort -n | mawk '{a[NR] = $1} END {printf "%s (%s-%s)\n", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
median() { spread | cut -d' ' -f1; }
ratio() { mawk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

machine
echo "peers: $(cut --version | head -1), mawk $(mawk -W version 2>&1 | head -1 | cut -d' ' -f2)"

# Two shapes: skewed (counts mostly small and repeated; benches/gen-usage.awk)
# and flat (300,000 accounts, Pareto counts, mostly distinct; benches/gen-flat.awk).
for shape in skewed flat; do
    gen=benches/gen-usage.awk; [ "$shape" = flat ] && gen=benches/gen-flat.awk
    mawk -v n="$rows" -f "$gen" > "$work/usage.csv"
    mawk -v n="$((rows / 10))" -f "$gen" > "$work/small.csv"
    echo
    echo "== $shape: $rows rows, $(du -m "$work/usage.csv" | cut -f1) MB"

    "$bin" batch "$work/usage.csv" > "$work/ocr.csv" 2> /dev/null
    reference "$work/usage.csv" > "$work/awk.csv"
    if cmp -s "$work/ocr.csv" "$work/awk.csv"; then
        echo "output: ocr-bill and the awk reference are byte-identical ($(wc -l < "$work/ocr.csv") lines)"
    else
        echo "output: ocr-bill and the awk reference DIFFER"; exit 1
    fi

    : > "$work/cut"; : > "$work/ocr"; : > "$work/cut1"; : > "$work/ocr1"; : > "$work/group"
    : > "$work/pair"; : > "$work/pair1"
    for _ in $(seq "$runs"); do
        # Each ocr-bill run is paired with the cut run just before it: a phase of
        # a shared machine that slows both moves the pair's ratio less than
        # either median.
        c=$(seconds cut -d, -f4 "$work/usage.csv"); o=$(seconds "$bin" batch "$work/usage.csv")
        echo "$c" >> "$work/cut"; echo "$o" >> "$work/ocr"; echo "$(ratio "$o" "$c")" >> "$work/pair"
        if command -v taskset > /dev/null; then
            c=$(seconds taskset -c 0 cut -d, -f4 "$work/usage.csv")
            o=$(seconds taskset -c 0 "$bin" batch "$work/usage.csv")
            echo "$c" >> "$work/cut1"; echo "$o" >> "$work/ocr1"; echo "$(ratio "$o" "$c")" >> "$work/pair1"
        fi
        seconds "$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv" >> "$work/group"
    done
    awk_s=$(seconds mawk -F, -v free="$free" -f benches/batch-reference.awk "$work/prices.csv" "$work/usage.csv")
    cut_s=$(median < "$work/cut"); ocr_s=$(median < "$work/ocr"); group_s=$(median < "$work/group")
    echo "wall time (median of $runs; awk once):"
    echo "  cut -d, -f4             ${cut_s} s"
    echo "  ocr-bill batch          ${ocr_s} s   ratio to cut $(ratio "$ocr_s" "$cut_s") (target <= 1.00); paired $(spread < "$work/pair")"
    if [ -s "$work/ocr1" ]; then
        cut1=$(median < "$work/cut1"); ocr1=$(median < "$work/ocr1")
        echo "  one core (taskset -c 0): cut ${cut1} s, ocr-bill ${ocr1} s, ratio $(ratio "$ocr1" "$cut1") (target <= 1.50); paired $(spread < "$work/pair1")"
    fi
    echo "  awk reference (mawk)    ${awk_s} s   ocr-bill is $(ratio "$awk_s" "$ocr_s")x faster"
    echo "  batch --group-by account,month  ${group_s} s"
    echo "peak memory:"
    echo "  batch, $((rows / 10)) rows   $(peak_kb "$bin" batch "$work/small.csv") KB"
    echo "  batch, $rows rows  $(peak_kb "$bin" batch "$work/usage.csv") KB (target <= 16384 KB)"
    echo "  batch --group-by account,month, $rows rows  $(peak_kb "$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv") KB"
done
