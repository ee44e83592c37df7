//! Packs an account holds, drawn soonest-expiring first, and what it is told of
//! them (站内信/邮件/短信): packs low, used up, expired; calls gone postpaid.

use super::*;

/// Packs an account holds from one purchase (a lot): `count` packs of one
/// size and price, drawn one after the other. Held as counts, so a purchase of
/// 100,000 packs is one value, not 100,000.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldPack {
    /// Number of the lot's first pack, in the order bought (1-based).
    pub id: usize,
    /// Packs in the lot.
    pub count: u64,
    /// Billing item key the packs serve.
    pub api: String,
    /// Calls in one pack.
    pub size: u64,
    /// What one pack cost (the price paid).
    pub price: Money,
    /// A free pack (免费资源包, granted once at activation): drawn before paid
    /// packs, never alerted on.
    pub free: bool,
    /// Packs of the lot not yet started.
    pub untouched: u64,
    /// Calls left in the pack being drawn (0 when none is started).
    pub current: u64,
    /// Last month the packs serve; they expire after it.
    #[serde(skip)]
    pub last_month: Month,
    /// The pack being drawn has had its low alert.
    #[serde(skip)]
    pub alerted_low: bool,
}

impl HeldPack {
    /// `count` full packs, the first numbered `id`, serving through `last_month`.
    pub fn new(
        id: usize,
        count: u64,
        api: &str,
        size: u64,
        price: Money,
        last_month: Month,
    ) -> HeldPack {
        HeldPack {
            id,
            count,
            api: api.to_string(),
            size,
            price,
            free: false,
            untouched: count,
            current: 0,
            last_month,
            alerted_low: false,
        }
    }

    /// One pack of `calls` calls: a pool of pack calls bought together.
    pub fn pool(api: &str, calls: u64) -> HeldPack {
        let mut pool = HeldPack::new(1, 1, api, calls.max(1), Money::ZERO, Month::FIRST);
        pool.refill(calls);
        pool
    }

    /// Sets a pool's calls (see [`HeldPack::pool`]).
    pub fn refill(&mut self, calls: u64) {
        self.size = calls.max(1);
        self.untouched = 0;
        self.current = calls;
        self.alerted_low = false;
    }

    /// Calls left in the lot, or an overflow error.
    pub fn remaining(&self) -> Result<u64, Error> {
        self.untouched
            .checked_mul(self.size)
            .and_then(|c| c.checked_add(self.current))
            .ok_or(Error::Overflow("the calls left in the packs"))
    }

    /// Packs with calls left.
    pub fn usable(&self) -> u64 {
        self.untouched + u64::from(self.current > 0)
    }

    /// Number of the first pack with calls left (the one being drawn, or the
    /// next untouched one).
    pub fn drawn_from(&self) -> usize {
        self.id + (self.count - self.usable()) as usize
    }

    /// Number of the pack being drawn (or last drawn).
    fn drawing(&self) -> usize {
        self.id + (self.count - self.untouched) as usize - 1
    }

    /// Draws up to `need` calls, pack after pack; returns the calls drawn.
    /// Packs used up are reported (a run of them as one event) when `alerts`.
    pub(super) fn draw(&mut self, need: u64, alerts: bool, events: &mut Vec<Event>) -> u64 {
        let mut drawn = 0;
        let mut left = need;
        while left > 0 {
            if self.current == 0 {
                if self.untouched == 0 {
                    break;
                }
                // Whole packs at once: the work is the same for 1 or 10^5.
                let whole = (left / self.size).min(self.untouched);
                if whole > 0 {
                    let first = self.id + (self.count - self.untouched) as usize;
                    self.untouched -= whole;
                    left -= whole * self.size;
                    drawn += whole * self.size;
                    if alerts {
                        events.push(Event::PackUsedUp {
                            api: self.api.clone(),
                            pack: first,
                            through: (whole > 1).then(|| first + whole as usize - 1),
                            size: self.size,
                        });
                    }
                    continue;
                }
                self.untouched -= 1;
                self.current = self.size;
                self.alerted_low = false;
            }
            let take = left.min(self.current);
            self.current -= take;
            left -= take;
            drawn += take;
            if self.current == 0 {
                self.alerted_low = true;
                if alerts {
                    events.push(Event::PackUsedUp {
                        api: self.api.clone(),
                        pack: self.drawing(),
                        through: None,
                        size: self.size,
                    });
                }
            }
        }
        drawn
    }

    /// The low alert of the pack being drawn, once, when its calls left are
    /// below `share` of its size.
    pub(super) fn low_alert(&mut self, share: Decimal, events: &mut Vec<Event>) {
        if self.current > 0
            && !self.alerted_low
            && Decimal::from(self.current) < share * Decimal::from(self.size)
        {
            self.alerted_low = true;
            events.push(Event::PackLow {
                api: self.api.clone(),
                pack: self.drawing(),
                size: self.size,
                remaining: self.current,
            });
        }
    }
}

/// What the account is told during a month (站内信/邮件/短信), in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// A pack's remaining calls fell below the alert share of its size.
    PackLow {
        /// Billing item key.
        api: String,
        /// Pack number.
        pack: usize,
        /// Pack size.
        size: u64,
        /// Calls left.
        remaining: u64,
    },
    /// A pack (or a run of packs, `pack` through `through`) has no calls left.
    PackUsedUp {
        /// Billing item key.
        api: String,
        /// Pack number (the first of a run).
        pack: usize,
        /// The last pack of a run.
        #[serde(skip_serializing_if = "Option::is_none")]
        through: Option<usize>,
        /// Pack size.
        size: u64,
    },
    /// The item's packs ran out this month and its further calls went postpaid.
    SwitchedToPostpaid {
        /// Billing item key.
        api: String,
        /// Calls billed postpaid this month beyond the free quota.
        billable_calls: u64,
    },
    /// A one-time free pack (首次开通赠送) was granted, in the first month of
    /// the ledger.
    FreePackGranted {
        /// Billing item key.
        api: String,
        /// Calls in the pack.
        size: u64,
        /// The last month it serves.
        expires_after: Month,
    },
    /// Packs expired with calls unused (过期作废).
    PackExpired {
        /// Billing item key.
        api: String,
        /// Number of the lot's first pack (0 for a one-time free pack).
        pack: usize,
        /// A one-time free pack.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        free: bool,
        /// Packs in the lot.
        packs: u64,
        /// Pack size.
        size: u64,
        /// Calls that expired unused.
        unused_calls: u64,
        /// What the unused calls had cost, pro rata of the pack price.
        unused_value: Money,
    },
    /// The balance went below zero (欠费).
    Arrears {
        /// The balance after settlement.
        balance: Money,
    },
}

impl Event {
    /// The billing item the event concerns; none for the account's own
    /// (arrears).
    pub fn item(&self) -> Option<&str> {
        match self {
            Event::PackLow { api, .. }
            | Event::PackUsedUp { api, .. }
            | Event::SwitchedToPostpaid { api, .. }
            | Event::FreePackGranted { api, .. }
            | Event::PackExpired { api, .. } => Some(api),
            Event::Arrears { .. } => None,
        }
    }

    /// A one-line description for people.
    ///
    /// ```
    /// use ocr_bill::{Event, Money};
    /// let low = Event::PackLow { api: "idcard".into(), pack: 2, size: 1000, remaining: 1 };
    /// assert_eq!(low.describe(), "idcard: pack #2 (1000 calls) is low: 1 call left");
    /// let over = Event::SwitchedToPostpaid { api: "idcard".into(), billable_calls: 1 };
    /// assert_eq!(over.describe(), "idcard: packs used up, 1 call went postpaid");
    /// let gone = Event::PackExpired {
    ///     api: "idcard".into(), pack: 1, free: false, packs: 1, size: 1000,
    ///     unused_calls: 1, unused_value: Money::ZERO,
    /// };
    /// assert_eq!(gone.describe(), "idcard: pack #1 (1000 calls) expired with 1 call unused (worth 0.00)");
    /// let two = Event::SwitchedToPostpaid { api: "idcard".into(), billable_calls: 2 };
    /// assert_eq!(two.describe(), "idcard: packs used up, 2 calls went postpaid");
    /// ```
    pub fn describe(&self) -> String {
        self.describe_with(&|n| n.to_string())
    }

    /// [`Event::describe`] with each count and amount written by `num` (a
    /// table's thousands separators); pack numbers and months as they are.
    pub fn describe_with(&self, num: &dyn Fn(&str) -> String) -> String {
        let n = |x: &dyn std::fmt::Display| num(&x.to_string());
        match self {
            Event::PackLow {
                api,
                pack,
                size,
                remaining,
            } => format!(
                "{api}: pack #{pack} ({} calls) is low: {} {} left",
                n(size),
                n(remaining),
                plural(*remaining, "call")
            ),
            Event::PackUsedUp {
                api,
                pack,
                through: None,
                size,
            } => format!("{api}: pack #{pack} ({} calls) is used up", n(size)),
            Event::PackUsedUp {
                api,
                pack,
                through: Some(last),
                size,
            } => format!(
                "{api}: packs #{pack}–#{last} ({} packs of {} calls) are used up",
                n(&(last - pack + 1)),
                n(size)
            ),
            Event::SwitchedToPostpaid {
                api,
                billable_calls,
            } => format!(
                "{api}: packs used up, {} {} went postpaid",
                n(billable_calls),
                plural(*billable_calls, "call")
            ),
            Event::FreePackGranted {
                api,
                size,
                expires_after,
            } => format!(
                "{api}: one-time free pack ({} calls) granted, valid through {expires_after}",
                n(size)
            ),
            Event::PackExpired {
                api,
                pack,
                free,
                packs,
                size,
                unused_calls,
                unused_value,
            } => {
                let which = match (free, packs) {
                    (true, _) => format!("the one-time free pack ({} calls)", n(size)),
                    (false, 1) => format!("pack #{pack} ({} calls)", n(size)),
                    (false, count) => {
                        format!("{} packs from #{pack} ({} calls each)", n(count), n(size))
                    }
                };
                format!(
                    "{api}: {which} expired with {} {} unused (worth {})",
                    n(unused_calls),
                    plural(*unused_calls, "call"),
                    n(unused_value)
                )
            }
            Event::Arrears { balance } => format!("arrears (欠费): balance is {}", n(balance)),
        }
    }
}
