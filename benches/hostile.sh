#!/usr/bin/env bash
# Hostile inputs, each timed with its peak memory (medians of RUNS): the cases
# that once took seconds to minutes and gigabytes. Targets: under 0.5 s and
# 64 MiB each; case 22 (a quarter of a million accounts, two million rows out)
# is over them, and timed to follow where it stands (docs/performance.md).
# Usage: benches/hostile.sh [RUNS]     (default 5; needs python3 and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
. benches/common.sh

python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
apis = "".join('[[api]]\nkey = "api%d"\nname = "接口%d"\ntiers = "big"\n\n' % (i, i) for i in range(1000))
tiers = ",\n".join('  { upto = %d, price = "0.%04d" }' % ((i + 1) * 1000, 9999 - i % 9999) for i in range(20000))
open(w + "/tiers.toml", "w").write('[tiers]\nbig = [\n%s,\n  { price = "0.01" },\n]\n\n%s' % (tiers, apis))
open(w + "/names.csv", "w").write("api,calls\n" + "".join("api%d,%d\n" % (i, 123456 + i) for i in range(1000)))
open(w + "/packs.csv", "w").write("month,api,calls,count\n" + "2026-01,idcard,1000,100000\n" * 40)
open(w + "/usage.csv", "w").write("month,api,calls\n2026-01,idcard,5\n2027-06,idcard,5\n")
open(w + "/commas.csv", "w").write("api,calls\n" + ",\n" * 500000)
apis = "".join('[[api]]\nkey = "api%d"\nname = "接口%d"\ntiers = "two"\npacks = "one"\n\n' % (i, i) for i in range(1000))
open(w + "/packs1000.toml", "w").write('[tiers]\ntwo = [{ upto = 1000, price = "0.1" }, { price = "0.05" }]\n'
    '[packs]\none = [{ calls = 1000, price = 100 }]\n\n' + apis)
open(w + "/usage1000.csv", "w").write("month,api,calls\n" + "".join(
    "2026-%02d,api%d,%d\n" % (i % 12 + 1, i % 1000, 100 + i % 777) for i in range(300000)))
open(w + "/packs100k.csv", "w").write("month,api,calls\n" + "".join(
    "2026-%02d,api%d,1000\n" % (i * 12 // 100000 + 1, i % 1000) for i in range(100000)))
open(w + "/unknown.csv", "w").write("month,api,calls\n" + "2026-01,idcardx,5\n" * 200000)
open(w + "/unknowns.csv", "w").write("month,api,calls\n" + "".join("2026-01,未知接口%d,5\n" % i for i in range(200000)))
# 100,000 one-row files joined (`cat`), GBK and UTF-8 in turn: each decoded on its own.
open(w + "/joined.csv", "wb").write(b"".join(
    ("account,month,api,calls\n张三%d,2026-%02d,身份证,%d\n" % (i % 50, i % 12 + 1, i % 3000))
    .encode("gbk" if i % 2 else "utf-8") for i in range(100000)))
open(w + "/accounts.csv", "w").write("account,month,api,calls\n" + "".join(
    "acct%05d,2026-%02d,idcard,%d\n" % (i % 20000, i % 12 + 1, 100 + i % 5000) for i in range(200000)))
# 300,000 accounts of a row or two each, at random over the months and APIs.
import random
r = random.Random(22)
keys = ["idcard", "bizcard", "license", "bankcard", "bizlicense", "plate", "general", "handwriting", "vat-invoice"]
open(w + "/many.csv", "w").write("account,month,api,calls\n" + "".join(
    "acct%06d,2026-%02d,%s,%d\n" % (r.randrange(300000), r.randrange(1, 13), keys[i % 9], r.randrange(1, 30000))
    for i in range(500000)))
PY

measure() {   # label, then the command
    local label=$1; shift
    : > "$work/s"; : > "$work/m"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" "$@" > /dev/null 2> "$work/t" || true
        tail -1 "$work/t" | { read -r s m; echo "$s" >> "$work/s"; echo "$m" >> "$work/m"; }
    done
    printf '%-58s %6s s %8s KB\n' "$label" "$(sort -n "$work/s" | sed -n "$(( (runs + 1) / 2 ))p")" \
        "$(sort -n "$work/m" | sed -n "$(( (runs + 1) / 2 ))p")"
}

machine
echo "median of $runs runs: wall time, peak memory"
measure "13 pricing file: 20,000 tiers shared by 1,000 APIs (860 KB)" \
    "$bin" --pricing "$work/tiers.toml" postpaid --api api5 --calls 9000
measure "13 ... and a batch naming each of the 1,000 APIs" \
    "$bin" --pricing "$work/tiers.toml" batch "$work/names.csv"
measure "14 ledger: 40 rows of 100,000 packs, expiring" \
    "$bin" ledger --usage "$work/usage.csv" --packs "$work/packs.csv"
measure "15 curve --max 1.6e9 --negotiated-price 0.04" \
    "$bin" curve --api idcard --max 1600000000 --negotiated-price 0.04
measure "15 curve --max 1.6e9 --points 1000" \
    "$bin" curve --api idcard --max 1600000000 --negotiated-price 0.04 --points 1000
measure "15 curve --max 100M --points 100000 (0.04)" \
    "$bin" curve --api idcard --max 100000000 --negotiated-price 0.04 --points 100000
measure "15 curve --max 100M --points 100000 (0.50, every pack pays)" \
    "$bin" curve --api idcard --max 100000000 --negotiated-price 0.5 --points 100000
measure "16 plan --monthly 1.7e9 --negotiated-price 0.04" \
    "$bin" plan --api idcard --monthly 1700000000 --negotiated-price 0.04
measure "16 quote --calls 18446744073709551615" \
    "$bin" quote --api idcard --calls 18446744073709551615
measure "17 batch --skip-invalid: 500,000 rows of ','" \
    "$bin" batch --skip-invalid "$work/commas.csv"
measure "18 ledger: 200,000 rows of 20,000 accounts" \
    "$bin" ledger "$work/accounts.csv" -f csv
measure "18 plan: the same file" \
    "$bin" plan "$work/accounts.csv" -f csv
measure "18 plan --from 2026-07: 20,000 accounts, some without rows in it" \
    "$bin" plan "$work/accounts.csv" --from 2026-07 -f csv
measure "22 ledger -f csv: 500,000 rows of 242,899 accounts" \
    "$bin" ledger "$work/many.csv" -f csv
measure "22 plan -f csv: the same file" \
    "$bin" plan "$work/many.csv" -f csv
measure "19 ledger -f csv: 1,000 items, 300,000 rows, 100,000 pack rows" \
    "$bin" --pricing "$work/packs1000.toml" ledger "$work/usage1000.csv" --packs "$work/packs100k.csv" -f csv
measure "20 batch --skip-invalid, edition d: 200,000 rows of one unknown API" \
    "$bin" --edition d batch --skip-invalid "$work/unknown.csv"
measure "20 ... 200,000 rows of as many unknown APIs" \
    "$bin" --edition d batch --skip-invalid "$work/unknowns.csv"
measure "21 batch --group-by: 100,000 files joined, GBK and UTF-8 in turn" \
    "$bin" batch --group-by account,month "$work/joined.csv"
