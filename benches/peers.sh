#!/usr/bin/env bash
# `ocr-bill batch --group-by account,month` against DuckDB and polars doing the
# same job on the same file: sum each (account, month, API)'s calls, pick the
# tier the total reaches, bill the calls beyond the free quota at its price
# (0.04 where the list says contact sales), write CSV. Wall time and peak
# memory, medians of RUNS, measured in one run.
# The peers are installed by this script into a virtual environment under
# target/ (pip install duckdb polars); without them it says so and stops.
# Usage: benches/peers.sh [ROWS] [RUNS]     (default 5000000 rows, 3 runs)
# Needs python3 (venv, pip), mawk and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-5000000}
runs=${2:-3}
. benches/common.sh
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import duckdb, polars' 2> /dev/null; then
    if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q duckdb polars; } > /dev/null 2>&1; then
        echo "peers: could not install duckdb and polars with pip; skipped"
        exit 0
    fi
fi
py="$venv/bin/python"

mawk -v n="$rows" -f benches/gen-flat.awk > "$work/usage.csv"
"$bin" prices -f csv > "$work/prices.csv"
free=$("$bin" prices -f json | sed -n 's/.*"free_calls_per_month": \([0-9]*\).*/\1/p' | head -1)

cat > "$work/bill_duckdb.py" <<PY
import duckdb, sys
duckdb.sql("""
COPY (
  WITH g AS (
    SELECT account, month, api, sum(calls) AS calls, count(*) AS rows
    FROM read_csv('$work/usage.csv', header = true,
                  columns = {'account': 'VARCHAR', 'month': 'VARCHAR', 'api': 'VARCHAR', 'calls': 'UBIGINT'})
    GROUP BY ALL),
  t AS (
    SELECT api, tier, CAST(lower AS UBIGINT) AS lower, TRY_CAST(upper AS UBIGINT) AS upper,
           CASE WHEN price = 'contact-sales' THEN 0.04 ELSE CAST(price AS DECIMAL(18, 4)) END AS price
    FROM read_csv('$work/prices.csv', header = true, all_varchar = true) WHERE kind = 'tier')
  SELECT g.account, g.month, g.api, g.calls, g.rows,
         least(g.calls, $free) AS free_calls, g.calls - least(g.calls, $free) AS billable_calls,
         t.tier, t.price AS unit_price, round((g.calls - least(g.calls, $free)) * t.price, 2) AS amount
  FROM g JOIN t ON g.api = t.api AND g.calls > t.lower AND (t.upper IS NULL OR g.calls <= t.upper)
) TO '$work/duck.csv' (HEADER)
""")
PY

cat > "$work/bill_polars.py" <<PY
import polars as pl
usage = pl.scan_csv("$work/usage.csv", schema={"account": pl.Utf8, "month": pl.Utf8, "api": pl.Utf8, "calls": pl.UInt64})
tiers = (pl.scan_csv("$work/prices.csv", infer_schema=False)
         .filter(pl.col("kind") == "tier")
         .select("api", "tier",
                 pl.col("lower").cast(pl.UInt64),
                 pl.col("upper").cast(pl.UInt64, strict=False),
                 pl.when(pl.col("price") == "contact-sales").then(pl.lit("0.04"))
                   .otherwise(pl.col("price")).cast(pl.Decimal(18, 4)).alias("unit_price")))
g = usage.group_by("account", "month", "api", maintain_order=True).agg(
    pl.col("calls").sum(), pl.len().alias("rows"))
billed = (g.join(tiers, on="api")
          .filter((pl.col("calls") > pl.col("lower")) & (pl.col("upper").is_null() | (pl.col("calls") <= pl.col("upper"))))
          .with_columns(pl.min_horizontal("calls", pl.lit($free, pl.UInt64)).alias("free_calls"))
          .with_columns((pl.col("calls") - pl.col("free_calls")).alias("billable_calls"))
          .with_columns((pl.col("billable_calls").cast(pl.Decimal(38, 0)) * pl.col("unit_price")).round(2).alias("amount"))
          .select("account", "month", "api", "calls", "rows", "free_calls", "billable_calls", "tier", "unit_price", "amount"))
billed.sink_csv("$work/polars.csv")
PY

measure() {   # prints "seconds peak_kb" medians
    local s=() m=()
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" "$@" > /dev/null 2> "$work/t"
        read -r a b < <(tail -1 "$work/t")
        s+=("$a"); m+=("$b")
    done
    printf '%s %s\n' "$(printf '%s\n' "${s[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" \
        "$(printf '%s\n' "${m[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")"
}

machine
echo "peers: duckdb $("$py" -c 'import duckdb; print(duckdb.__version__)'), polars $("$py" -c 'import polars; print(polars.__version__)'), $("$py" --version)"
echo "input: flat shape (benches/gen-flat.awk), $rows rows, $(du -m "$work/usage.csv" | cut -f1) MB"
"$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv" -o "$work/ocr.csv" 2> /dev/null
"$py" "$work/bill_duckdb.py"; "$py" "$work/bill_polars.py"
# The same bills: compare the sums of the amount columns and the group counts.
sums() { mawk -F, -v col="$2" 'NR > 1 {n++; s += $col} END {printf "%d groups, amounts %.2f", n, s}' "$1"; }
echo "ocr-bill: $(sums "$work/ocr.csv" 10)"
echo "duckdb:   $(sums "$work/duck.csv" 10)"
echo "polars:   $(sums "$work/polars.csv" 10)"
read -r o_s o_m < <(measure "$bin" batch --negotiated-price 0.04 --group-by account,month "$work/usage.csv" -o "$work/ocr.csv")
read -r d_s d_m < <(measure "$py" "$work/bill_duckdb.py")
read -r p_s p_m < <(measure "$py" "$work/bill_polars.py")
ratio() { mawk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "median of $runs: wall time, peak memory"
echo "  ocr-bill batch --group-by account,month  ${o_s} s  ${o_m} KB"
echo "  duckdb (SQL)                             ${d_s} s  ${d_m} KB   ocr-bill/duckdb: time $(ratio "$o_s" "$d_s") (target <= 1.00), memory $(ratio "$o_m" "$d_m") (target <= 0.50)"
echo "  polars (lazy, maintain_order)            ${p_s} s  ${p_m} KB   ocr-bill/polars: time $(ratio "$o_s" "$p_s"), memory $(ratio "$o_m" "$p_m")"
