//! What a lab costs, declared in its `[cost]` table and priced from the version table's
//! `[prices]`: what bills by the hour while it exists, what bills once by use (log GB), and the
//! lab it runs on (the cluster of `eks-cluster` keeps billing under every later lab).
//!
//! ```toml
//! [cost]
//! from = "create-cluster"   # the first step that creates something that bills
//! runs_on = "eks-cluster"   # optional: another lab's resources this one uses
//! items = [
//!   { price = "ec2-m6i-large", count = 6, what = "six nodes" },          # an hourly price
//!   { price = "logs-ingestion", amount = 0.2, what = "0.2 GB of logs" },  # a price by use
//! ]
//! ```
//!
//! A price's unit (`per` in versions.toml) says how it counts: `…hour` is per hour; `month` and
//! `GB-month` are per hour over the 730 hours AWS's pricing counts in a month; anything else
//! (`GB processed`, `GB ingested`, `million requests`) is by use, once for the lab.

use serde::Deserialize;

use super::diag::Diagnostic;
use super::model::{Cost, CostItem, Exercise, Pack, Quantity};
use super::versions::Prices;

/// Hours in a month as AWS's price pages and calculator count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCost {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    runs_on: Option<String>,
    #[serde(default)]
    items: Vec<toml::Spanned<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    price: String,
    #[serde(default)]
    count: Option<f64>,
    #[serde(default)]
    amount: Option<f64>,
    what: String,
}

impl RawCost {
    pub(super) fn into_cost(self, src: &super::toml_src::TomlFile<'_>, line: usize, diags: &mut Vec<Diagnostic>) -> Cost {
        let mut items = Vec::new();
        for item in self.items {
            let at = src.at(item.span().start);
            let raw = item.into_inner();
            let quantity = match (raw.count, raw.amount) {
                (Some(c), None) if c > 0.0 => Quantity::Count(c),
                (None, Some(a)) if a > 0.0 => Quantity::Amount(a),
                _ => {
                    diags.push(
                        Diagnostic::error(src.file, at, format!("cost item {:?} needs one positive count or amount", raw.price))
                            .hint("count = N for a price by the hour or month (nodes, gateways), amount = X for a price by use (GB of logs)"),
                    );
                    continue;
                }
            };
            items.push(CostItem { price: raw.price, quantity, what: raw.what, line: at.0 });
        }
        Cost { from: self.from, runs_on: self.runs_on, items, line }
    }
}

/// How a price counts, from its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Hourly,
    /// Per month (or GB-month): an hour is a 730th of it.
    Monthly,
    /// By use: once for the lab.
    ByUse,
}

impl Rate {
    pub fn of(per: &str) -> Self {
        if per.ends_with("hour") {
            Self::Hourly
        } else if per == "month" || per.ends_with("-month") {
            Self::Monthly
        } else {
            Self::ByUse
        }
    }
}

/// A lab's estimate, in USD.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// What the lab's own resources bill per hour while they exist.
    pub hourly: f64,
    /// What it consumes by use, once.
    pub once: f64,
    /// Each item: its text and its USD per hour (or once).
    pub lines: Vec<(String, f64, Rate)>,
    /// The lab it runs on, with that lab's own hourly (and what that one runs on, and so on).
    pub base: Option<(String, f64)>,
    pub minutes: u32,
    pub region: String,
    pub verified: String,
    /// Whether EC2 nodes are counted (the lab's or those of the lab it runs on): each at its
    /// on-demand price, which Spot nodes undercut.
    pub nodes: bool,
}

impl Estimate {
    /// Per hour with what it runs on.
    pub fn hourly_total(&self) -> f64 {
        self.hourly + self.base.as_ref().map_or(0.0, |b| b.1)
    }

    /// For the lab's stated minutes: its resources and the ones it runs on, plus its use.
    pub fn for_the_lab(&self) -> f64 {
        self.hourly_total() * f64::from(self.minutes) / 60.0 + self.once
    }

    /// The cost in one line: "$0.83/h" for a lab of its own, "+$0.23/h" on top of the lab it
    /// runs on, "+$0.03 once" for one that only consumes, "+$0/h" for one that adds nothing.
    pub fn short(&self) -> String {
        let plus = if self.base.is_some() { "+" } else { "" };
        if self.hourly > 0.0 {
            format!("{plus}{}/h", usd(self.hourly))
        } else if self.once > 0.0 {
            format!("{plus}{} once", usd(self.once))
        } else {
            format!("{plus}$0/h")
        }
    }

    /// The callout the TUI shows before the first step that bills.
    pub fn markdown(&self, pack: &Pack) -> String {
        let mut md = format!("> **What this lab costs** ({} on-demand prices, read {}; versions.toml)\n>\n", self.region, self.verified);
        if self.lines.is_empty() {
            md.push_str("> It creates nothing that bills.\n");
        }
        for (what, usd_amount, rate) in &self.lines {
            let unit = if *rate == Rate::ByUse { " once" } else { "/h" };
            md.push_str(&format!("> - {what}: {}{unit}\n", usd(*usd_amount)));
        }
        if let Some((lab, hourly)) = &self.base {
            let title = pack.exercise(lab).map_or(lab.as_str(), |e| e.title.as_str());
            md.push_str(&format!("> - it runs on what the lab “{title}” made, which bills {}/h while it exists\n", usd(*hourly)));
        }
        md.push_str(&format!(
            ">\n> About **{}/h** while it all exists, **{}** for the lab's {} minutes.{} Tax, data transfer and the free tier are not counted. `kubedojo cleanup` lists whatever is still there.\n\n",
            usd(self.hourly_total()),
            usd(self.for_the_lab()),
            self.minutes,
            if self.nodes { " Nodes are counted at the on-demand price: Spot nodes cost less." } else { "" }
        ));
        md
    }
}

/// The estimate of a lab, when it declares a cost and the course has prices. Prices it names
/// that the table lacks are left out (lint reports them).
pub fn estimate(pack: &Pack, ex: &Exercise) -> Option<Estimate> {
    let cost = ex.cost.as_ref()?;
    let prices = pack.versions.prices.as_ref()?;
    let (hourly, once, lines) = own(prices, cost);
    let base = cost.runs_on.as_ref().map(|lab| (lab.clone(), base_hourly(pack, prices, lab, 0)));
    let nodes = counts_nodes(pack, cost, 0);
    Some(Estimate { hourly, once, lines, base, minutes: ex.minutes, region: prices.region.clone(), verified: prices.verified.on.to_string(), nodes })
}

/// Whether a lab or one it runs on counts EC2 instances (the prices named `ec2-...`).
fn counts_nodes(pack: &Pack, cost: &Cost, depth: usize) -> bool {
    cost.items.iter().any(|i| i.price.starts_with("ec2-"))
        || (depth < 8 && cost.runs_on.as_ref().and_then(|lab| pack.exercise(lab)?.cost.as_ref()).is_some_and(|below| counts_nodes(pack, below, depth + 1)))
}

fn own(prices: &Prices, cost: &Cost) -> (f64, f64, Vec<(String, f64, Rate)>) {
    let (mut hourly, mut once, mut lines) = (0.0, 0.0, Vec::new());
    for item in &cost.items {
        let Some((price, per)) = prices.items.get(&item.price) else { continue };
        let rate = Rate::of(per);
        let amount = match (rate, item.quantity) {
            (Rate::Hourly, Quantity::Count(n)) => n * price,
            (Rate::Monthly, Quantity::Count(n)) => n * price / HOURS_PER_MONTH,
            (Rate::ByUse, Quantity::Amount(a)) => a * price,
            _ => continue,
        };
        if rate == Rate::ByUse {
            once += amount;
        } else {
            hourly += amount;
        }
        lines.push((item.what.clone(), amount, rate));
    }
    (hourly, once, lines)
}

/// What a lab and everything under it bill per hour (a chain, cut at a cycle lint reports).
fn base_hourly(pack: &Pack, prices: &Prices, lab: &str, depth: usize) -> f64 {
    let Some(cost) = pack.exercise(lab).and_then(|e| e.cost.as_ref()) else { return 0.0 };
    let below = match &cost.runs_on {
        Some(next) if depth < 8 => base_hourly(pack, prices, next, depth + 1),
        _ => 0.0,
    };
    own(prices, cost).0 + below
}

/// USD with cents, or a tenth of a cent below ten cents: $0.89, $0.048, $12.40.
pub fn usd(x: f64) -> String {
    if x > 0.0 && x < 0.10 { format!("${x:.3}") } else { format!("${x:.2}") }
}

/// Lint: every lab declares its cost, every price it names is in the table with a matching
/// unit, `from` is one of its steps and `runs_on` another lab.
pub fn check(pack: &Pack, diags: &mut Vec<Diagnostic>) {
    let Some(prices) = pack.versions.prices.as_ref() else { return };
    for ex in &pack.exercises {
        let file = ex.loc.file.as_str();
        let Some(cost) = &ex.cost else {
            diags.push(
                Diagnostic::warning(file, (ex.loc.line, ex.loc.col), format!("lab {:?} does not say what it costs", ex.id))
                    .hint("add a [cost] table: from = STEP, items = [{ price = NAME, count = N, what = \"...\" }] (see README: Authoring, Cost)"),
            );
            continue;
        };
        if let Some(from) = &cost.from
            && !ex.steps.iter().any(|s| &s.id == from)
        {
            diags.push(
                Diagnostic::error(file, (cost.line, 1), format!("[cost] from = {from:?} is not a step of lab {:?}", ex.id))
                    .hint("name the first step that creates something that bills"),
            );
        }
        if let Some(lab) = &cost.runs_on
            && (lab == &ex.id || pack.exercise(lab).is_none())
        {
            diags.push(
                Diagnostic::error(file, (cost.line, 1), format!("[cost] runs_on = {lab:?} is not another lab of the course"))
                    .hint("name the lab whose cluster this one uses"),
            );
        }
        for item in &cost.items {
            let Some((_, per)) = prices.items.get(&item.price) else {
                let known: Vec<&str> = prices.items.keys().map(String::as_str).collect();
                diags.push(
                    Diagnostic::error(file, (item.line, 1), format!("cost item names price {:?}, which versions.toml's [prices] does not list", item.price))
                        .hint(format!("add it there with its source, or use one of: {}", known.join(", "))),
                );
                continue;
            };
            let by_use = Rate::of(per) == Rate::ByUse;
            if by_use != matches!(item.quantity, Quantity::Amount(_)) {
                let want = if by_use { "an amount (it is priced by use)" } else { "a count (it is priced by the hour or month)" };
                diags.push(Diagnostic::error(file, (item.line, 1), format!("price {:?} is per {per}: give it {want}", item.price)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CheckKinds, PackFiles, load};
    use super::*;

    const PRICES: &str = "[prices]\nregion = \"eu-west-1\"\nsource = \"s\"\nverified = 2026-12-06\nitems.node = { usd = 0.1, per = \"hour\" }\nitems.ec2-node = { usd = 0.1, per = \"hour\" }\nitems.key = { usd = 1.0, per = \"month\" }\nitems.disk = { usd = 0.073, per = \"GB-month\" }\nitems.logs = { usd = 0.5, per = \"GB ingested\" }\n";

    fn pack(base_cost: &str, lab_cost: &str) -> (Pack, Vec<String>) {
        let lab = |id: &str, cost: &str| {
            format!("id = \"{id}\"\ntitle = \"Lab {id}\"\nminutes = 90\n{cost}\n[[steps]]\nid = \"s\"\ntitle = \"S\"\ninstructions = \"x\"\n")
        };
        let files = PackFiles::from_memory([
            ("course.toml", "id = \"p\"\ntitle = \"P\"\n[[parts]]\ntitle = \"A\"\nitems = [\"base\", \"lab\"]\n".to_string()),
            ("versions.toml", PRICES.to_string()),
            ("exercises/base/exercise.toml", lab("base", base_cost)),
            ("exercises/lab/exercise.toml", lab("lab", lab_cost)),
        ]);
        let loaded = load(&files, &CheckKinds::default());
        let diags = loaded
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("cost") || d.message.contains("price"))
            .map(|d| format!("{}:{}: {}", d.file, d.line, d.message))
            .collect();
        (loaded.pack, diags)
    }

    #[test]
    fn an_estimate_adds_hourly_monthly_and_by_use_items_and_the_lab_it_runs_on() {
        let base = "[cost]\nfrom = \"s\"\nitems = [\n  { price = \"node\", count = 2, what = \"two nodes\" },\n  { price = \"disk\", count = 100, what = \"100 GB\" },\n]\n";
        let lab = "[cost]\nruns_on = \"base\"\nitems = [\n  { price = \"key\", count = 1, what = \"a key\" },\n  { price = \"logs\", amount = 0.2, what = \"0.2 GB of logs\" },\n]\n";
        let (pack, diags) = pack(base, lab);
        assert!(diags.is_empty(), "{diags:?}");
        let b = estimate(&pack, pack.exercise("base").unwrap()).expect("an estimate");
        assert!((b.hourly - (0.2 + 100.0 * 0.073 / 730.0)).abs() < 1e-9, "{}", b.hourly);
        assert_eq!(b.short(), "$0.21/h");
        let e = estimate(&pack, pack.exercise("lab").unwrap()).expect("an estimate");
        assert!((e.hourly - 1.0 / 730.0).abs() < 1e-9);
        assert!((e.once - 0.1).abs() < 1e-9);
        assert!((e.hourly_total() - (b.hourly + e.hourly)).abs() < 1e-9, "the base lab keeps billing under this one");
        // 90 minutes of both labs' hourly items, and the logs once
        assert!((e.for_the_lab() - (e.hourly_total() * 1.5 + 0.1)).abs() < 1e-9);
        assert_eq!(e.short(), "+$0.001/h");
        let md = e.markdown(&pack);
        assert!(md.contains("a key: $0.001/h") && md.contains("0.2 GB of logs: $0.10 once"), "{md}");
        assert!(md.contains("it runs on what the lab “Lab base” made, which bills $0.21/h"), "{md}");
        assert!(md.contains("About **$0.21/h** while it all exists, **$0.42** for the lab's 90 minutes"), "{md}");
        assert!(!md.contains("Spot"), "no EC2 price is counted, so nothing is said of Spot: {md}");
    }

    /// An EC2 price (named `ec2-...`) counted by the lab or by one it runs on: the callout says
    /// Spot nodes cost less than the on-demand price counted.
    #[test]
    fn spot_is_mentioned_only_where_nodes_are_counted() {
        let base = "[cost]\nfrom = \"s\"\nitems = [{ price = \"ec2-node\", count = 2, what = \"two nodes\" }]\n";
        let (pack, diags) = pack(base, "[cost]\nruns_on = \"base\"\nitems = []\n");
        assert!(diags.is_empty(), "{diags:?}");
        for lab in ["base", "lab"] {
            let md = estimate(&pack, pack.exercise(lab).unwrap()).expect("an estimate").markdown(&pack);
            assert!(md.contains("Nodes are counted at the on-demand price: Spot nodes cost less."), "{lab}: {md}");
        }
    }

    #[test]
    fn lint_names_unknown_prices_wrong_quantities_steps_and_labs() {
        let (_, diags) = pack(
            "[cost]\nfrom = \"nope\"\nruns_on = \"nowhere\"\nitems = [\n  { price = \"gpu\", count = 1, what = \"x\" },\n  { price = \"logs\", count = 1, what = \"y\" },\n  { price = \"node\", what = \"z\" },\n]\n",
            "",
        );
        assert_eq!(
            diags,
            [
                "exercises/base/exercise.toml:4: [cost] from = \"nope\" is not a step of lab \"base\"",
                "exercises/base/exercise.toml:4: [cost] runs_on = \"nowhere\" is not another lab of the course",
                "exercises/base/exercise.toml:8: cost item names price \"gpu\", which versions.toml's [prices] does not list",
                "exercises/base/exercise.toml:9: price \"logs\" is per GB ingested: give it an amount (it is priced by use)",
                "exercises/base/exercise.toml:10: cost item \"node\" needs one positive count or amount",
                "exercises/lab/exercise.toml:1: lab \"lab\" does not say what it costs",
            ]
        );
    }

    #[test]
    fn rates_follow_the_unit() {
        assert_eq!(Rate::of("hour"), Rate::Hourly);
        assert_eq!(Rate::of("cluster-hour"), Rate::Hourly);
        assert_eq!(Rate::of("LCU-hour"), Rate::Hourly);
        assert_eq!(Rate::of("month"), Rate::Monthly);
        assert_eq!(Rate::of("GB-month"), Rate::Monthly);
        assert_eq!(Rate::of("GB processed"), Rate::ByUse);
        assert_eq!(Rate::of("GB ingested"), Rate::ByUse);
    }

    #[test]
    fn usd_keeps_small_prices_readable() {
        assert_eq!(usd(0.893), "$0.89");
        assert_eq!(usd(0.048), "$0.048");
        assert_eq!(usd(12.4), "$12.40");
        assert_eq!(usd(0.0), "$0.00");
    }
}
