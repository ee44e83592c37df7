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
# Ask Cargo where the release binary is.
bin=$(cargo build --release --message-format=json-render-diagnostics 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*ocr-bill\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not build ocr-bill" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mawk -v n="$rows" -f benches/gen-usage.awk > "$work/usage.csv"
mawk -v n="$((rows / 10))" -f benches/gen-usage.awk > "$work/small.csv"
"$bin" prices -f csv > "$work/prices.csv"
free=$("$bin" prices -f json | sed -n 's/.*"free_calls_per_month": \([0-9]*\).*/\1/p' | head -1)
reference() { mawk -F, -v free="$free" -f benches/batch-reference.awk "$work/prices.csv" "$1"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $rows rows, $(du -m "$work/usage.csv" | cut -f1) MB"

"$bin" batch "$work/usage.csv" > "$work/ocr.csv"
reference "$work/usage.csv" > "$work/awk.csv"
if cmp -s "$work/ocr.csv" "$work/awk.csv"; then
    echo "output: ocr-bill and the awk reference are byte-identical ($(wc -l < "$work/ocr.csv") lines)"
else
    echo "output: ocr-bill and the awk reference DIFFER"; exit 1
fi

seconds() {   # wall time in ms resolution
    local TIMEFORMAT=%3R
    { time "$@" > /dev/null 2> /dev/null; } 2>&1
}
peak_kb() { /usr/bin/time -f %M "$@" > /dev/null 2> "$work/t" && tail -1 "$work/t"; }
median() { sort -n | mawk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: > "$work/cut"; : > "$work/ocr"; : > "$work/awk"; : > "$work/group"
for _ in $(seq "$runs"); do
    seconds cut -d, -f4 "$work/usage.csv" >> "$work/cut"
    seconds "$bin" batch "$work/usage.csv" >> "$work/ocr"
    seconds "$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv" >> "$work/group"
done
seconds mawk -F, -v free="$free" -f benches/batch-reference.awk "$work/prices.csv" "$work/usage.csv" >> "$work/awk"
cut_s=$(median < "$work/cut"); ocr_s=$(median < "$work/ocr"); awk_s=$(median < "$work/awk"); group_s=$(median < "$work/group")
echo "wall time (median of $runs; awk once):"
echo "  cut -d, -f4             ${cut_s} s"
echo "  ocr-bill batch          ${ocr_s} s   ratio to cut $(mawk -v a="$ocr_s" -v b="$cut_s" 'BEGIN {printf "%.2f", a / b}') (target <= 1.00)"
echo "  awk reference (mawk)    ${awk_s} s   ocr-bill is $(mawk -v a="$awk_s" -v b="$ocr_s" 'BEGIN {printf "%.1f", a / b}')x faster (target >= 10)"
echo "  batch --group-by account,month  ${group_s} s"
echo "peak memory:"
echo "  batch, $((rows / 10)) rows   $(peak_kb "$bin" batch "$work/small.csv") KB"
echo "  batch, $rows rows  $(peak_kb "$bin" batch "$work/usage.csv") KB (target <= 16384 KB)"
echo "  batch --group-by account,month, $rows rows  $(peak_kb "$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv") KB"
