//! The one header resolver: which column of a usage, packs or top-ups file holds
//! the account, the month, the API, the calls… under the names people give them
//! (English or Chinese, as exported by Tencent's console, Excel or WPS).

/// A column a reader looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The Tencent Cloud account (账号).
    Account,
    /// The month, or a date or timestamp within it (月份/日期).
    Month,
    /// The API (接口).
    Api,
    /// The call count (调用量).
    Calls,
    /// The calls in one pack, its size (资源包规格).
    PackSize,
    /// A number of packs (数量).
    Count,
    /// An amount of money (金额).
    Amount,
    /// The price paid for a pack (价格).
    Price,
    /// What a row's packs cost together (实付金额), as an order list gives it.
    Paid,
    /// What kind of transaction a row is (交易类型), where a top-ups file is
    /// an account's whole statement.
    Kind,
    /// The unit of the call counts (用量单位), where a file names it: a call.
    Unit,
    /// When a pack expires (到期时间), where a packs file names it.
    Expiry,
    /// The Tencent Cloud product a row is of (产品名称), where a file of
    /// several products' rows (a bill's details) names it.
    Product,
    /// How a row is paid for (计费模式), where a bill's details name it:
    /// postpaid usage (按量计费), or a prepaid purchase (包年包月).
    Mode,
}

impl Role {
    /// The canonical (English) column name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Account => "account",
            Role::Month => "month",
            Role::Api => "api",
            Role::Calls | Role::PackSize => "calls",
            Role::Count => "count",
            Role::Amount => "amount",
            Role::Price => "price",
            Role::Paid => "paid",
            Role::Kind => "type",
            Role::Unit => "unit",
            Role::Expiry => "expiry",
            Role::Product => "product",
            Role::Mode => "billing_mode",
        }
    }

    /// Header names taken for this role, compared after trimming and ASCII
    /// lower-casing (spaces, `-` and `_` are ignored in English names).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::Account => &[
                "account",
                "accountid",
                "uin",
                "appid",
                "user",
                "customer",
                "账号",
                "账户",
                "帐号",
                "帐户",
                "账号id",
                "账户id",
                "帐号id",
                "账号uin",
                "主账号",
                "主账号id",
                "主账户id",
                "主帐号id",
                "主账号uin",
                "用户id",
                "客户id",
                "用户账号",
                "客户账号",
                "用户",
                "客户",
            ],
            Role::Month => &[
                "month",
                "date",
                "day",
                "period",
                "time",
                "timestamp",
                "unixtime",
                "epoch",
                "datetime",
                "statisticsdate",
                "statdate",
                "billingcycle",
                "billingperiod",
                "usageperiod",
                "月份",
                "日期",
                "时间",
                "时间戳",
                "账期",
                "月",
                "统计日期",
                "统计时间",
                "统计月份",
                "计费月份",
                "账单月份",
                "计费日期",
                "调用日期",
                "调用时间",
                "使用时间",
                "使用日期",
                "使用月份",
                "用量时间",
                "用量日期",
                "消费时间",
                "消费日期",
                "请求时间",
                "请求日期",
                "usagedate",
                "usagetime",
                "usagemonth",
                "billingmonth",
                "billmonth",
                // A purchase's or a top-up's (packs and top-ups files).
                "购买时间",
                "购买日期",
                "购买月份",
                "下单时间",
                "充值时间",
                "充值日期",
                "交易时间",
                "交易日期",
            ],
            Role::Api => &[
                "api",
                "apiname",
                "action",
                "interface",
                "接口",
                "接口名称",
                "接口名",
                "api名称",
                "interfacename",
                "apiaction",
                "actionname",
            ],
            Role::Calls => &[
                "calls",
                "callcount",
                "count_of_calls",
                "requests",
                "usage",
                "调用量",
                "调用次数",
                "次数",
                "用量",
                "请求次数",
                "请求量",
                // The billing console's usage details (用量明细).
                "使用量",
                "使用次数",
                "total_calls",
                // Tencent Cloud API responses' field, and how a call count
                // is put in English beside Chinese (调用次数).
                "totalcount",
                "calltimes",
                "number_of_calls",
                "invocations",
                // As consoles and reports put it in English.
                "call_volume",
                "calls_volume",
                "request_volume",
                "request_count",
                "requests_count",
                "number_of_requests",
                "total_requests",
                "api_calls",
                "总调用量",
                "总调用次数",
                "调用总量",
                "总请求量",
                "总请求次数",
                "月调用量",
                "月调用总量",
                "月接口调用总量",
                // The calls billed, and the successful ones (billed, with some
                // errors): beside the calls made, the file has two counts and
                // is refused, naming both, until one is chosen.
                "计费次数",
                "计费调用量",
                "计费量",
                "成功次数",
                "成功调用量",
                "成功调用次数",
                "successful_calls",
                "billed_calls",
                // Tencent's bill details (账单明细): a component's usage.
                "组件用量",
                "componentusage",
            ],
            Role::PackSize => &[
                "calls",
                "size",
                "pack_size",
                "calls_per_pack",
                "pack_calls",
                "规格",
                "资源包规格",
                "资源包大小",
                "包大小",
                "调用次数",
                "次数",
            ],
            Role::Count => &["count", "quantity", "packs", "数量", "个数"],
            Role::Amount => &["amount", "money", "yuan", "金额", "充值金额"],
            Role::Paid => &[
                "paid",
                "amount_paid",
                "total_paid",
                "实付金额",
                "支付金额",
                "付款金额",
                "实付",
            ],
            Role::Kind => &[
                "type",
                "kind",
                "transaction_type",
                "交易类型",
                "收支类型",
                "业务类型",
                "操作类型",
                "类型",
            ],
            Role::Price => &[
                "price",
                "price_paid",
                "unit_price",
                "价格",
                "单价",
                "售价",
                "成交价",
            ],
            // Not `单位` or `unit` alone: an organisation or a business unit.
            Role::Unit => &[
                "usage_unit",
                "用量单位",
                "使用量单位",
                "计量单位",
                "调用量单位",
                "计费单位",
                "组件用量单位",
                "componentusageunit",
            ],
            Role::Expiry => &[
                "expiry",
                "expires",
                "expiry_date",
                "expiration",
                "expiration_date",
                "valid_until",
                "到期时间",
                "到期日期",
                "到期日",
                "过期时间",
                "过期日期",
                "失效时间",
                "失效日期",
                "有效期至",
            ],
            // (Not `产品` alone: a console export may name its billing item
            // so, which is read as the API.)
            Role::Product => &["productname", "产品名称"],
            Role::Mode => &[
                "billingmode",
                "计费模式",
                "付费模式",
                "计费方式",
                "付费方式",
            ],
        }
    }

    /// Further names of the role's column that name something broader (a
    /// product, a billing item over several APIs), in levels: a level is
    /// taken only where neither an alias nor a name of an earlier level is in
    /// the header, so that a console export's `接口名称` wins over its
    /// `计费项名称` or `产品`.
    fn broad(self) -> &'static [&'static [&'static str]] {
        match self {
            Role::Api => &[&[
                "服务",
                "服务名称",
                "产品",
                "计费项",
                "计费项名称",
                "资源包名称",
                // Tencent's bill details: the component billed.
                "组件名称",
                "componentname",
                "service",
                "servicename",
            ]],
            // Where a file has no month column, the start of the period a row
            // is of: Tencent's bill details (账单明细) date a month's usage
            // by it, and by its deduction time (扣费时间), in the next month.
            Role::Month => &[&[
                "开始使用时间",
                "使用开始时间",
                "开始时间",
                "usagestarttime",
                "starttime",
            ]],
            // An order's amount, where the file says nothing of what was paid.
            Role::Paid => &[&["amount", "金额", "订单金额", "成交金额"]],
            // In Tencent's bill details, the account whose usage a row is (资源
            // 归属者, the owner), and the payer's (a reseller or an organisation
            // pays for its members').
            Role::Account => &[
                &[
                    "owneruin",
                    "owneraccountid",
                    "使用者uin",
                    "使用者账号id",
                    "使用者账号",
                ],
                &[
                    "payeruin",
                    "payeraccountid",
                    "支付者uin",
                    "支付者账号id",
                    "支付者账号",
                ],
            ],
            _ => &[],
        }
    }
}

/// The units a unit cell beside the calls (`用量单位`) may name, each with
/// the suffix that scales a count to calls as [`crate::parse_count`] reads
/// it (`0.9` in `万次` is `0.9万`, 9,000 calls).
const CALL_UNITS: [(&str, &str); 9] = [
    ("", ""),
    ("次", ""),
    ("次数", ""),
    ("call", ""),
    ("calls", ""),
    ("千次", "千"),
    ("万次", "万"),
    ("百万次", "M"),
    ("亿次", "亿"),
];

/// The scale of a unit cell beside the calls, as the suffix its counts take
/// (none for calls, `万` for `万次`); any other unit is refused, since its
/// counts would be billed at a wrong scale.
pub fn unit_suffix(cell: &str) -> Result<&'static str, String> {
    let unit = cell.trim();
    CALL_UNITS
        .iter()
        .find(|(u, _)| u.eq_ignore_ascii_case(unit))
        .map(|&(_, suffix)| suffix)
        .ok_or_else(|| {
            format!(
                "the usage unit is '{unit}'; expected calls (次), or 千次, 万次, 百万次 or 亿次 \
                 (whose counts are read at their scale): a count in another unit would be \
                 billed at the wrong scale (convert it to calls)"
            )
        })
}

/// A calls column named with a multiple of calls as its unit (`调用量(万次)`,
/// `调用次数（千次）`): its place, and the suffix that scales its counts (see
/// [`unit_suffix`]). None when no column, or more than one, is so named.
pub fn scaled_calls_column(header: &[String]) -> Option<(usize, &'static str)> {
    let mut scaled = header.iter().enumerate().filter_map(|(i, h)| {
        let text = half_width(h);
        let (name, unit) = text.trim().strip_suffix(')')?.rsplit_once('(')?;
        let suffix = unit_suffix(unit).ok().filter(|s| !s.is_empty())?;
        let calls = Role::Calls
            .aliases()
            .iter()
            .any(|a| folded(a) == folded(name));
        calls.then_some((i, suffix))
    });
    let one = scaled.next()?;
    scaled.next().is_none().then_some(one)
}

/// A count of calls in the unit of `suffix` (see [`unit_suffix`]): `0.9` in
/// `万次` is 9,000 calls, and `1.23456` is refused, no whole number of calls.
pub fn count_in_unit(cell: &str, suffix: &str, marks: crate::Marks) -> Result<u64, String> {
    // (An empty cell is refused as empty, not as a bare `万`.)
    let cell = cell.trim();
    let scaled = match cell {
        "" => String::new(),
        _ => format!("{cell}{suffix}"),
    };
    marks.count(&scaled).map_err(|e| e.to_string())
}

/// A header name with its full-width characters as ASCII ones.
fn half_width(name: &str) -> String {
    name.chars().map(crate::parse::half_width).collect()
}

/// Units that a header may name after the column's name, in ASCII or
/// full-width parentheses (`调用次数（次）`, `Calls (count)`, `金额(元)`): each
/// is the unit the column is read in. Another unit (`金额(万元)`, `调用量(千次)`)
/// is not taken away, so that such a column is not read as one of these.
const PLAIN_UNITS: [&str; 8] = ["次", "count", "calls", "元", "yuan", "cny", "rmb", "¥"];

/// Parts of a column name that say it names sub-accounts (CAM sub-users, 子账号),
/// whose calls are billed to the main account: no account column of their own.
const SUB_ACCOUNT_STEMS: [&str; 7] = [
    "子账号",
    "子账户",
    "子帐号",
    "子帐户",
    "子用户",
    "subaccount",
    "subuin",
];

/// Parts of a column name that say it names accounts.
const ACCOUNT_STEMS: [&str; 12] = [
    "账号", "账户", "帐号", "帐户", "account", "uin", "客户", "customer", "用户", "user", "租户",
    "tenant",
];

/// Whether a column's name says it counts some of the calls, by their
/// outcome or billing (`成功量`, `失败次数`, `Failed Calls`, `计费调用量`), not
/// a rate or a code (`成功率`, `错误码`).
fn counts_some_calls(name: &str) -> bool {
    // (Not `billable`: ocr-bill's own bills have `billable_calls`, the calls
    // beyond the free quota, and are read back.)
    const KINDS: [&str; 10] = [
        "成功", "失败", "错误", "异常", "计费", "收费", "有效", "success", "fail", "error",
    ];
    const COUNTS: [&str; 5] = ["量", "次", "calls", "count", "requests"];
    // A share, a unit or a code of them is no count (`成功量占比`, `计费量单位`).
    const NOT: [&str; 9] = [
        "率", "占比", "比例", "单位", "码", "rate", "ratio", "unit", "code",
    ];
    let name = folded(name);
    KINDS.iter().any(|k| name.contains(k))
        && COUNTS.iter().any(|c| name.contains(c))
        && !NOT.iter().any(|n| name.contains(n))
}

/// The columns that tell a row of a bill's details that is no OCR usage: its
/// product (`产品名称`) and its billing mode (`计费模式`), each where the file
/// has one that no column `taken` for another role is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotUsage {
    pub product: Option<usize>,
    pub mode: Option<usize>,
}

impl NotUsage {
    pub fn of(header: &[String], taken: &[Option<usize>]) -> NotUsage {
        let column = |role| {
            resolve(header, &[Wanted::optional(role)])
                .ok()
                .and_then(|found| found[0])
                .filter(|p| !taken.contains(&Some(*p)))
        };
        NotUsage {
            product: column(Role::Product),
            mode: column(Role::Mode),
        }
    }

    /// Whether the file has neither column (every row may be usage).
    #[inline]
    pub fn none(self) -> bool {
        self.product.is_none() && self.mode.is_none()
    }
}

/// Whether a billing mode cell (计费模式) says a prepaid purchase: the bill's
/// two modes are 包年包月 (Monthly Subscription, a pack bought) and 按量计费
/// (Pay-As-You-Go, usage). Anything else is taken as usage: a cell such as
/// `资源包` or `预付费资源包` may say calls a pack served, which count toward
/// the month's tier, and leaving them out would bill a lower one.
pub fn is_prepaid_mode(cell: &str) -> bool {
    let cell = cell.trim().to_lowercase();
    cell.contains("包年包月") || cell.contains("subscription")
}

/// Whether a product cell (产品名称) is OCR's, 文字识别, by its Chinese or
/// English name; an empty cell says nothing, and is taken as OCR's.
pub fn is_ocr_product(cell: &str) -> bool {
    let cell = cell.trim();
    cell.is_empty()
        || cell.contains("文字识别")
        || cell.to_ascii_lowercase().contains("ocr")
        || cell.eq_ignore_ascii_case("optical character recognition")
}

/// Whether a column's name says it holds accounts (`账号`, `使用者UIN`,
/// `customer`, sub-accounts too): IDs, which a workbook shows as text.
pub fn names_accounts(name: &str) -> bool {
    let name = folded(name);
    ACCOUNT_STEMS
        .iter()
        .chain(&SUB_ACCOUNT_STEMS)
        .any(|s| name.contains(s))
}

fn folded(name: &str) -> String {
    let mut t = half_width(name).trim().to_lowercase();
    if let Some((head, unit)) = t.strip_suffix(')').and_then(|t| t.rsplit_once('(')) {
        let unit = unit.trim().replace('￥', "¥");
        if !head.trim().is_empty() && PLAIN_UNITS.contains(&unit.as_str()) {
            t = head.trim_end().to_string();
        }
    }
    // Without spaces, `-` or `_`, in a Chinese name too, where a spreadsheet's
    // author places them or not (`调用 次数`, `接口 名称`).
    t.chars()
        .filter(|&c| !(c.is_whitespace() || c == '-' || c == '_'))
        .collect()
}

/// How one role is looked for: by an explicit name, by its aliases, and
/// whether the file must have it.
#[derive(Clone, Debug)]
pub struct Wanted<'a> {
    /// The role.
    pub role: Role,
    /// An explicit column name (a command-line option) instead of the aliases.
    pub named: Option<&'a str>,
    /// The file must have the column.
    pub required: bool,
    /// The file must not have it: the calls when each row is one call
    /// (`--count-rows`), where a calls column would count them twice.
    pub absent: bool,
    /// A command-line option (`--calls-column`, …) can name it.
    pub flag: bool,
}

impl<'a> Wanted<'a> {
    /// A column looked for by the name given on the command line, if one is,
    /// else by its aliases; required if named.
    pub fn named(role: Role, name: Option<&'a str>, required: bool) -> Wanted<'a> {
        Wanted {
            role,
            named: name,
            required: required || name.is_some(),
            absent: false,
            flag: true,
        }
    }

    /// A column looked for by its aliases.
    pub fn required(role: Role) -> Wanted<'static> {
        Wanted {
            role,
            named: None,
            required: true,
            absent: false,
            flag: false,
        }
    }

    /// An optional column looked for by its aliases.
    pub fn optional(role: Role) -> Wanted<'static> {
        Wanted {
            role,
            named: None,
            required: false,
            absent: false,
            flag: false,
        }
    }

    /// A column the file must not have.
    pub fn absent(role: Role) -> Wanted<'static> {
        Wanted {
            absent: true,
            ..Wanted::optional(role)
        }
    }

    /// The calls column of a usage file: required, unless each row is one
    /// call (`--count-rows`), when the file must have none.
    pub fn calls(name: Option<&'a str>, count_rows: bool) -> Wanted<'a> {
        if count_rows {
            Wanted::absent(Role::Calls)
        } else {
            Wanted::named(Role::Calls, name, true)
        }
    }
}

/// Columns listed for an error: their names (each cut to 60 characters), the
/// first 30 of a longer header and how many more there are (a header of
/// thousands of columns, or of a cell of megabytes, stays one readable line).
pub fn listed(header: &[String]) -> String {
    let cut = |h: &String| {
        let h = h.trim();
        match h.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &h[..cut]),
            None => h.to_string(),
        }
    };
    crate::first_of(header.iter().map(cut), 30)
}

/// Finds each wanted column in `header`: its index, `None` for an optional
/// column that is absent. A column is never taken for two roles, and two
/// columns that both fit one role are refused, naming both.
pub fn resolve(header: &[String], wanted: &[Wanted<'_>]) -> Result<Vec<Option<usize>>, String> {
    let names = listed(header);
    let mut found: Vec<Option<usize>> = Vec::with_capacity(wanted.len());
    for w in wanted {
        let hits: Vec<usize> = match w.named {
            Some(name) => (0..header.len())
                .filter(|&i| header[i].trim() == name.trim())
                .collect(),
            None => {
                // The canonical name, alone, wins over other names for the
                // role, and they over the broader ones, level by level.
                let hits_of = |names: &[&str]| -> Vec<usize> {
                    let names: Vec<String> = names.iter().map(|a| folded(a)).collect();
                    (0..header.len())
                        .filter(|&i| names.contains(&folded(&header[i])))
                        .collect()
                };
                let hits = hits_of(w.role.aliases());
                let canonical: Vec<usize> = hits
                    .iter()
                    .copied()
                    .filter(|&i| folded(&header[i]) == w.role.name())
                    .collect();
                if canonical.len() == 1 {
                    canonical
                } else {
                    std::iter::once(hits)
                        .chain(w.role.broad().iter().map(|level| hits_of(level)))
                        .find(|hits| !hits.is_empty())
                        .unwrap_or_default()
                }
            }
        };
        let what = match w.named {
            Some(name) => format!("'{name}'"),
            None => {
                format!(
                    "'{}' column (nor {}",
                    w.role.name(),
                    w.role.aliases()[1..]
                        .iter()
                        .filter(|a| !a.is_ascii())
                        .take(3)
                        .map(|a| format!("'{a}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ) + ", …)"
            }
        };
        let what = match w.named {
            Some(_) => format!("{what} column"),
            None => what,
        };
        match hits.as_slice() {
            [first, ..] if w.absent => {
                return Err(format!(
                    "the header has a {} column '{}', while --count-rows counts each row as \
                     one call; expected one or the other (leave out --count-rows to read the \
                     counts)",
                    w.role.name(),
                    header[*first].trim()
                ))
            }
            [] if w.required => {
                // A column of the role in a unit not read (`调用量(万次)`).
                let scaled = header.iter().find(|h| {
                    let t = half_width(h);
                    let name = t.rsplit_once('(').map_or(t.as_str(), |(name, _)| name);
                    name != t && w.role.aliases().iter().any(|a| folded(a) == folded(name))
                });
                let unit = scaled.map_or(String::new(), |h| {
                    format!(
                        " ('{}' is in a unit other than one call or one yuan: convert it)",
                        h.trim()
                    )
                });
                // A table whose months are columns (a pivot table, as a
                // spreadsheet summarises usage): no month or calls column.
                let months: Vec<&str> = header
                    .iter()
                    .map(|h| h.trim())
                    .filter(|h| crate::Month::names_a_month(h))
                    .collect();
                // Else the counts under a name not taken, or a log with a row
                // for each call, which has no count to read (never taken as one
                // without being asked: counting rows of counts would bill too
                // little).
                let log = if matches!(w.role, Role::Calls | Role::Month)
                    && w.named.is_none()
                    && months.len() >= 2
                {
                    format!(
                        "; the months are columns here ({}): expected a row for each month, \
                         with the month and its calls in two columns (turn the month columns \
                         into rows: Unpivot Columns, 逆透视列, in Excel's or WPS's Power \
                         Query; `ledger`, `plan` and `batch --group-by` read such a table as it \
                         is when each month column names its year, as 2026-01)",
                        crate::first_of(months.iter(), 3)
                    )
                } else if w.role == Role::Calls && w.flag && w.named.is_none() && unit.is_empty() {
                    "; name the column of counts with --calls-column, or, if each row is one \
                     call (a log of calls), pass --count-rows"
                        .to_string()
                } else {
                    String::new()
                };
                return Err(format!(
                    "the header has no {what}{unit}; columns: {names}{log}"
                ));
            }
            [] => found.push(None),
            [one] => found.push(Some(*one)),
            [a, b, ..] if header[*a].trim() == header[*b].trim() => {
                return Err(format!(
                    "the header has {} columns named '{}'; expected one",
                    hits.len(),
                    header[*a].trim()
                ))
            }
            [a, b, ..] => {
                return Err(format!(
                    "the header has two {} columns, '{}' and '{}'; expected one{}",
                    w.role.name(),
                    header[*a],
                    header[*b],
                    match (w.named, w.flag) {
                        (None, true) => {
                            format!(" (name the one to use with --{}-column)", w.role.name())
                        }
                        (None, false) => " (rename or delete the other)".to_string(),
                        (Some(_), _) => String::new(),
                    }
                ))
            }
        }
    }
    // An account column under a name not taken would let rows of several
    // accounts be summed as one's: a column whose name says account is refused
    // until it is named.
    for (w, f) in wanted.iter().zip(&found) {
        if w.role != Role::Account || w.named.is_some() || f.is_some() {
            continue;
        }
        if let Some(i) = (0..header.len())
            .filter(|i| !found.contains(&Some(*i)))
            .find(|&i| {
                let name = folded(&header[i]);
                ACCOUNT_STEMS.iter().any(|s| name.contains(s))
                    && !SUB_ACCOUNT_STEMS.iter().any(|s| name.contains(s))
            })
        {
            return Err(format!(
                "column '{}' looks like an account column, but is not one of its names; \
                 name it with --account-column '{}' so that accounts are billed apart \
                 (or rename it)",
                header[i].trim(),
                header[i].trim()
            ));
        }
    }
    // Beside the calls found by their name, a count of some of them (those
    // that succeeded, failed or were billed): which count the bill is of is
    // the user's to say, since Tencent bills the successful calls and some
    // failed ones, so neither the total nor a part is taken silently.
    for (w, f) in wanted.iter().zip(&found) {
        let (Role::Calls, None, Some(calls)) = (w.role, w.named, f) else {
            continue;
        };
        if let Some(part) = (0..header.len())
            .filter(|i| !found.contains(&Some(*i)))
            .find(|&i| counts_some_calls(&header[i]))
        {
            return Err(format!(
                "the header has the calls column '{}' and '{}', a count of some of the calls: \
                 which is billed is not known (Tencent bills the successful calls and some \
                 failed ones){}",
                header[*calls].trim(),
                header[part].trim(),
                if w.flag {
                    "; name the one to bill with --calls-column"
                } else {
                    ""
                }
            ));
        }
    }
    for (i, a) in found.iter().enumerate() {
        for (j, b) in found.iter().enumerate().skip(i + 1) {
            if a.is_some() && a == b {
                return Err(format!(
                    "column '{}' cannot be both the {} and the {}",
                    header[a.unwrap_or(0)],
                    wanted[i].role.name(),
                    wanted[j].role.name()
                ));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn only_a_purchase_s_billing_mode_is_no_usage() {
        for purchase in ["包年包月", " 包年包月新购 ", "Monthly Subscription"] {
            assert!(is_prepaid_mode(purchase), "{purchase}");
        }
        for usage in [
            "按量计费",
            "Pay-As-You-Go",
            "资源包",
            "预付费资源包",
            "prepaid",
            "",
            "-",
        ] {
            assert!(!is_prepaid_mode(usage), "{usage}");
        }
    }

    #[test]
    fn chinese_and_english_names_resolve() {
        let wanted = [
            Wanted::optional(Role::Account),
            Wanted::required(Role::Month),
            Wanted::required(Role::Api),
            Wanted::required(Role::Calls),
        ];
        let got = resolve(&header(&["账号", "日期", "接口名称", "调用量"]), &wanted).unwrap();
        assert_eq!(got, vec![Some(0), Some(1), Some(2), Some(3)]);
        let got = resolve(&header(&["Calls", " API ", "Month", "note"]), &wanted).unwrap();
        assert_eq!(got, vec![None, Some(2), Some(1), Some(0)]);
        let got = resolve(&header(&["Account_ID", "month", "api", "calls"]), &wanted).unwrap();
        assert_eq!(got[0], Some(0));
        // A console bill's detail: the product, the billing item (as the API,
        // there being no API column), the time used and the usage; its usage
        // details spell the usage 使用量 (and its unit 使用量单位).
        let console = [
            "账号ID",
            "产品名称",
            "计费项名称",
            "使用时间",
            "用量",
            "用量单位",
        ];
        let details = [
            "账号ID",
            "产品名称",
            "计费项",
            "使用量",
            "使用量单位",
            "使用时间",
        ];
        for (names, want) in [(console, [0, 3, 2, 4]), (details, [0, 5, 2, 3])] {
            let got = resolve(&header(&names), &wanted).unwrap();
            assert_eq!(got, want.map(Some).to_vec(), "{names:?}");
        }
        let unit = resolve(&header(&details), &[Wanted::optional(Role::Unit)]).unwrap();
        assert_eq!(unit, vec![Some(4)]);
        // Month and API columns as English reports name them; a service is
        // the API only where no API column is.
        for (month, api) in [
            ("Statistics Date", "API"),
            ("Stat Date", "Interface Name"),
            ("Datetime", "Service Name"),
            ("Billing Cycle", "API Action"),
            ("Usage Period", "Service"),
        ] {
            let got = resolve(&header(&[month, api, "Calls"]), &wanted);
            assert_eq!(
                got,
                Ok(vec![None, Some(0), Some(1), Some(2)]),
                "{month}, {api}"
            );
        }
        let got = resolve(&header(&["Date", "Service", "API", "Calls"]), &wanted);
        assert_eq!(got, Ok(vec![None, Some(0), Some(2), Some(3)]));
        // (An English bill's `Billing Item Name` is no API column: its
        // `Component Name` is, alone.)
        let bill = [
            "Bill Month",
            "Billing Item Name",
            "Component Name",
            "Component Usage",
        ];
        assert_eq!(
            resolve(&header(&bill), &wanted),
            Ok(vec![None, Some(0), Some(2), Some(3)])
        );
        let got = resolve(
            &header(&["Account ID", "Usage Date", "API", "Calls"]),
            &wanted,
        );
        assert_eq!(got.unwrap(), vec![Some(0), Some(1), Some(2), Some(3)]);
        // A log with Unix times under a Chinese name.
        let got = resolve(&header(&["时间戳", "接口", "调用量"]), &wanted).unwrap();
        assert_eq!(got, vec![None, Some(0), Some(1), Some(2)]);
    }

    /// Spaces inside a Chinese column name, and an English one written as two
    /// words, name the same column.
    #[test]
    fn spaced_names_find_their_column() {
        let wanted = [Wanted::required(Role::Api), Wanted::required(Role::Calls)];
        for (api, calls) in [
            ("接口 名称", "调用 次数"),
            ("API 名称", "调用\u{3000}量"),
            ("api", "Call Count"),
            ("api", "call_count"),
            ("接口_名称", "调用-次数"),
            ("Action", "TotalCount"),
            ("api", "Call Times"),
            ("api", "Number of Calls"),
            ("api", "invocations"),
            ("API Name", "Call Volume"),
            ("Action", "Request Count"),
            ("api", "Number of Requests"),
            ("api", "Total Requests"),
            ("api", "API Calls"),
            ("api", "Successful Calls"),
            ("Interface Name", "calls"),
            ("API Action", "calls"),
        ] {
            let got = resolve(&header(&[api, calls]), &wanted);
            assert_eq!(got, Ok(vec![Some(0), Some(1)]), "{api}, {calls}");
        }
    }

    /// A unit of one call or one yuan after a name is the name; another unit
    /// (ten thousand calls, ten thousand yuan) is not, and the column is not
    /// found rather than read at the wrong scale.
    #[test]
    fn a_plain_unit_in_parentheses_is_part_of_no_name() {
        let wanted = [Wanted::required(Role::Api), Wanted::required(Role::Calls)];
        for calls in [
            "调用次数（次）",
            "调用量(次)",
            "调用量 （次）",
            "Calls (count)",
            "requests(calls)",
        ] {
            let got = resolve(&header(&["接口", calls]), &wanted);
            assert_eq!(got, Ok(vec![Some(0), Some(1)]), "{calls}");
        }
        for scaled in ["调用量(万次)", "调用量（千次）", "calls (k)", "(次)"] {
            let err = resolve(&header(&["接口", scaled]), &wanted).unwrap_err();
            assert!(err.contains("no 'calls' column"), "{scaled}: {err}");
            if scaled != "(次)" {
                assert!(
                    err.contains(&format!("'{scaled}' is in a unit other")),
                    "{err}"
                );
            }
        }
        let wanted = [Wanted::required(Role::Amount)];
        for amount in ["金额（元）", "Amount (CNY)", "金额(￥)"] {
            assert_eq!(
                resolve(&header(&[amount]), &wanted),
                Ok(vec![Some(0)]),
                "{amount}"
            );
        }
        assert!(resolve(&header(&["金额(万元)"]), &wanted).is_err());
    }

    /// An account column under another name is refused, not left unread
    /// (rows of its accounts would be summed); named, it is read.
    #[test]
    fn a_column_that_looks_like_accounts_is_refused_until_named() {
        let wanted = [
            Wanted::optional(Role::Account),
            Wanted::required(Role::Api),
            Wanted::required(Role::Calls),
        ];
        for name in ["客户名称", "Customer Name", "user_name", "租户", "UIN号"] {
            let err = resolve(&header(&[name, "api", "calls"]), &wanted).unwrap_err();
            assert!(
                err.contains(&format!("column '{name}' looks like an account column")),
                "{err}"
            );
        }
        let named = [
            Wanted {
                role: Role::Account,
                named: Some("客户名称"),
                required: true,
                absent: false,
                flag: true,
            },
            Wanted::required(Role::Api),
            Wanted::required(Role::Calls),
        ];
        let got = resolve(&header(&["客户名称", "api", "calls"]), &named).unwrap();
        assert_eq!(got, vec![Some(0), Some(1), Some(2)]);
        // Beside an account column, another such column is left alone.
        let got = resolve(&header(&["主账号ID", "使用者UIN", "api", "calls"]), &wanted).unwrap();
        assert_eq!(got, vec![Some(0), Some(2), Some(3)]);
        // Nothing like an account: none.
        let got = resolve(&header(&["note", "api", "calls"]), &wanted).unwrap();
        assert_eq!(got, vec![None, Some(1), Some(2)]);
    }

    #[test]
    fn a_long_header_is_listed_in_part() {
        let names: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
        let listed = listed(&names);
        assert!(listed.starts_with("c0, c1, ") && listed.ends_with("c29 and 970 more"));
        let err = resolve(&names, &[Wanted::required(Role::Api)]).unwrap_err();
        assert!(err.contains(&format!("columns: {listed}")), "{err}");
        assert!(err.len() < 400, "{err}");
        let short = header(&["api", " x "]);
        assert_eq!(super::listed(&short), "api, x");
        let wide = header(&[&"账".repeat(61), &"b".repeat(60)]);
        assert_eq!(
            super::listed(&wide),
            format!("{}…, {}", "账".repeat(60), "b".repeat(60))
        );
    }

    #[test]
    fn missing_and_doubled_columns_are_refused_by_name() {
        let wanted = [Wanted::required(Role::Api), Wanted::required(Role::Calls)];
        let err = resolve(&header(&["api", "x"]), &wanted).unwrap_err();
        assert!(
            err.contains("no 'calls' column") && err.contains("columns: api, x"),
            "{err}"
        );
        let err = resolve(&header(&["api", "次数", "调用量"]), &wanted).unwrap_err();
        assert!(
            err.contains("two calls columns, '次数' and '调用量'"),
            "{err}"
        );
        let err = resolve(&header(&["api", "calls", "calls"]), &wanted).unwrap_err();
        assert!(err.contains("2 columns named 'calls'"), "{err}");
        // The canonical name wins over another name for the same role.
        let got = resolve(&header(&["api", "calls", "调用量"]), &wanted).unwrap();
        assert_eq!(got, vec![Some(0), Some(1)]);
        // Beside the calls, a count of some of them by outcome: neither is
        // taken until one is named; a rate, a code, a billing item's name,
        // ocr-bill's own bill columns are no such count.
        let flagged = [Wanted::required(Role::Api), Wanted::calls(None, false)];
        for (calls, part) in [
            ("调用量", "成功量"),
            ("调用量", "失败次数"),
            ("总调用量", "错误调用量"),
            ("calls", "Failed Calls"),
            ("Calls", "success_count"),
            ("usage", "error requests"),
        ] {
            let err = resolve(&header(&["api", calls, part]), &flagged).unwrap_err();
            assert!(
                err.contains(&format!("the calls column '{calls}' and '{part}'"))
                    && err.contains("--calls-column"),
                "{err}"
            );
            let chosen = [
                Wanted::required(Role::Api),
                Wanted::calls(Some(part), false),
            ];
            let got = resolve(&header(&["api", calls, part]), &chosen).unwrap();
            assert_eq!(got, vec![Some(0), Some(2)]);
        }
        for other in [
            "成功率",
            "成功量占比",
            "计费量单位",
            "error_count_rate",
            "错误码",
            "计费项名称",
            "计费开始时间",
            "有效期至",
            "billable_calls",
            "free_calls",
        ] {
            let got = resolve(&header(&["api", "calls", other]), &flagged).unwrap();
            assert_eq!(got, vec![Some(0), Some(1)], "{other}");
        }
        let named = [Wanted {
            role: Role::Calls,
            named: Some("n"),
            required: true,
            absent: false,
            flag: true,
        }];
        assert_eq!(
            resolve(&header(&["api", "n"]), &named).unwrap(),
            vec![Some(1)]
        );
        // A log of calls: a usage file's missing column's error says how to
        // count rows (a file no option reads says nothing of options), and
        // counting rows refuses a calls column.
        let usage = [Wanted::required(Role::Api), Wanted::calls(None, false)];
        let err = err_of(&["time", "api"], &usage);
        assert!(err.contains("with --calls-column, or"), "{err}");
        assert!(err.contains("pass --count-rows"), "{err}");
        let err = err_of(&["time", "api"], &wanted);
        assert!(!err.contains("--"), "{err}");
        let counted = [Wanted::required(Role::Api), Wanted::absent(Role::Calls)];
        assert_eq!(
            resolve(&header(&["time", "api"]), &counted).unwrap(),
            vec![Some(1), None]
        );
        let err = err_of(&["api", "调用量"], &counted);
        assert!(
            err.contains("calls column '调用量', while --count-rows"),
            "{err}"
        );
    }

    fn err_of(names: &[&str], wanted: &[Wanted<'_>]) -> String {
        resolve(&header(names), wanted).unwrap_err()
    }
}
