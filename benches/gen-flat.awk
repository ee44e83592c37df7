# Generates N rows of flat usage CSV: account,month,api,calls (deterministic).
# 300,000 accounts, months at random, the nine seed API keys in turn, and
# counts floor(Pareto(alpha = 1.1) x 700) mod 1,000,001: spread over many values
# (54,132 distinct in 2,000,000 rows; no few of them hold most rows).
#   mawk -v n=5000000 -f benches/gen-flat.awk > flat.csv
BEGIN {
    srand(7)
    split("idcard general bankcard bizcard license bizlicense plate handwriting vat-invoice", apis, " ")
    print "account,month,api,calls"
    for (i = 0; i < n; i++) {
        pareto = (1 - rand()) ^ (-1 / 1.1)
        calls = int(pareto * 700) % 1000001
        printf "acct%06d,2026-%02d,%s,%d\n", int(rand() * 300000), 1 + int(rand() * 12), apis[1 + i % 9], calls
    }
}
