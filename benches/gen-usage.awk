# Generates N rows of usage CSV: account,month,api,calls (deterministic).
# Call counts are skewed like real daily usage: mostly small, a long tail up to
# 1,000,000. API mix is skewed towards idcard and general.
#   mawk -v n=5000000 -f benches/gen-usage.awk > usage.csv
BEGIN {
    srand(42)
    split("idcard idcard idcard idcard general general general bankcard bizcard license bizlicense plate handwriting vat-invoice", apis, " ")
    napis = 14
    print "account,month,api,calls"
    for (i = 0; i < n; i++) {
        r = rand()
        calls = int(10 ^ (6 * r * r * r))
        if (calls > 1000000) calls = 1000000
        printf "acct-%05d,2026-%02d,%s,%d\n", int(rand() * 20000), 1 + int(rand() * 12), apis[1 + int(rand() * napis)], calls
    }
}
