# The reference implementation of `ocr-bill batch` (no grouping) in awk, for the
# benchmark: same columns, same numbers, same bytes out. Prices come from
# `ocr-bill prices -f csv`, so no number of the price list is written here.
# Assumes the default conventions (lower < n ≤ upper, tier by total calls) and
# prices with at most two decimals, so every amount is a whole number of fen.
#
#   ocr-bill prices -f csv > prices.csv
#   mawk -F, -v free=1000 -f benches/batch-reference.awk prices.csv usage.csv
function fen(price) {            # "0.15" → 15, exactly
    split(price, p, ".")
    return p[1] * 100 + substr(p[2] "00", 1, 2)
}
function money(f) { return sprintf("%d.%02d", int(f / 100), f % 100) }
function bill(api, calls, t,   free_calls) {
    free_calls = calls < free ? calls : free
    return (calls - free_calls) * pf[api, t]
}
FNR == NR {
    if (FNR > 1 && $3 == "tier") {
        n[$1] = $4
        lo[$1, $4] = $5
        up[$1, $4] = $6
        pr[$1, $4] = $9
        pf[$1, $4] = ($9 == "contact-sales") ? -1 : fen($9)
    }
    next
}
FNR == 1 {
    for (i = 1; i <= NF; i++) { if ($i == "api") ac = i; if ($i == "calls") cc = i }
    print $0 ",free_calls,billable_calls,tier,unit_price,amount,cliff_calls,cliff_amount"
    next
}
{
    api = $ac; calls = $cc + 0
    for (t = 1; t < n[api] && calls > up[api, t]; t++) ;
    free_calls = calls < free ? calls : free
    billable = calls - free_calls
    if (billable == 0) { price = ""; amount = 0 } else { price = pr[api, t]; amount = bill(api, calls, t) }
    cliff = ""
    for (j = t + 1; j <= n[api]; j++) {
        if (pf[api, j] < 0) continue
        at = lo[api, j] + 1
        if (at > calls && bill(api, at, j) < amount) { cliff = at "," money(bill(api, at, j)); break }
    }
    if (cliff == "") cliff = ","
    print $0 "," free_calls "," billable "," t "," price "," money(amount) "," cliff
}
