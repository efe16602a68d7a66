//! `versions.toml`: the course's one version table. Kubernetes releases on EKS with their
//! support dates, the prices the course quotes, and every component and image the labs install,
//! each with the day it was verified and its upstream source. Content uses it through variables
//! (`{{versions.NAME}}`, `{{versions.NAME.FIELD}}`, `{{versions.kubernetes}}`, `{{prices.NAME}}`),
//! so bumping a component is one line, and the version a learner reads is the one the checks
//! enforce.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use super::diag::Diagnostic;
use super::toml_src::TomlFile;

pub const FILE: &str = "versions.toml";

/// The prefix of every variable that comes from the table.
pub const PREFIX: &str = "versions.";
pub const PRICE_PREFIX: &str = "prices.";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Versions {
    pub kubernetes: Option<Kubernetes>,
    pub prices: Option<Prices>,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kubernetes {
    /// The version new lab clusters are created with.
    pub lab: String,
    pub releases: Vec<Release>,
    pub verified: Verified,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub version: String,
    pub released: Date,
    pub end_of_standard: Date,
    pub end_of_extended: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Standard,
    Extended,
    Unsupported,
}

impl Support {
    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "standard support",
            Self::Extended => "extended support",
            Self::Unsupported => "no support",
        }
    }
}

impl Release {
    pub fn support_on(&self, day: Date) -> Support {
        if day <= self.end_of_standard {
            Support::Standard
        } else if day <= self.end_of_extended {
            Support::Extended
        } else {
            Support::Unsupported
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    pub region: String,
    /// name -> (USD amount, unit)
    pub items: BTreeMap<String, (f64, String)>,
    pub verified: Verified,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub version: String,
    /// The container image repository, when the component is an image.
    pub repository: Option<String>,
    /// Other fields (a chart version, an older tag): `{{versions.ID.FIELD}}`.
    pub fields: BTreeMap<String, String>,
    /// Its minor version must equal the lab's Kubernetes minor (Cluster Autoscaler).
    pub follows_kubernetes: bool,
    pub verified: Verified,
}

/// When and where an entry was confirmed, and the line that says so (for lint).
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub on: Date,
    pub source: String,
    pub line: usize,
}

/// Verification older than this is reported by lint.
pub const STALE_AFTER_DAYS: i64 = 183;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    kubernetes: Option<RawKubernetes>,
    prices: Option<RawPrices>,
    #[serde(default)]
    components: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKubernetes {
    lab: Spanned<String>,
    source: String,
    verified: Spanned<toml::value::Datetime>,
    releases: Vec<RawRelease>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    version: Spanned<String>,
    released: Spanned<toml::value::Datetime>,
    end_of_standard: Spanned<toml::value::Datetime>,
    end_of_extended: Spanned<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrices {
    region: String,
    source: String,
    verified: Spanned<toml::value::Datetime>,
    items: BTreeMap<String, RawPrice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    usd: f64,
    per: String,
    /// Where this price was read, when not the table's own source.
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
}

/// Unknown keys are the component's own fields (a chart version, a second tag); serde cannot
/// deny unknown fields next to a flattened map.
#[derive(Deserialize)]
struct RawComponent {
    name: String,
    version: Spanned<String>,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    follows: Option<String>,
    source: String,
    verified: Spanned<toml::value::Datetime>,
    #[serde(flatten)]
    fields: BTreeMap<String, toml::Value>,
}

const HINT: &str = "versions.toml has [kubernetes] (lab, source, verified, [[kubernetes.releases]]), [prices] and [components.ID] tables (see README: Authoring, The version table)";

/// Parse `versions.toml`; a pack without one has an empty table.
pub fn parse(src: &TomlFile<'_>, diags: &mut Vec<Diagnostic>) -> Versions {
    let raw: Raw = match src.parse(HINT) {
        Ok(raw) => raw,
        Err(d) => {
            diags.push(d);
            return Versions::default();
        }
    };
    let date = |d: &Spanned<toml::value::Datetime>, what: &str, diags: &mut Vec<Diagnostic>| -> Option<Date> {
        let parsed = d.get_ref().date.and_then(|d| Date::new(d.year as i16, d.month as i8, d.day as i8).ok());
        if parsed.is_none() || d.get_ref().time.is_some() {
            diags.push(src.error(d, format!("{what} must be a date like 2026-12-06")).hint("write a TOML date without quotes or time"));
        }
        parsed
    };
    let kubernetes = raw.kubernetes.and_then(|k| {
        let verified = Verified { on: date(&k.verified, "verified", diags)?, source: k.source, line: src.at(k.verified.span().start).0 };
        let releases: Vec<Release> = k
            .releases
            .iter()
            .filter_map(|r| {
                Some(Release {
                    version: r.version.get_ref().clone(),
                    released: date(&r.released, "released", diags)?,
                    end_of_standard: date(&r.end_of_standard, "end_of_standard", diags)?,
                    end_of_extended: date(&r.end_of_extended, "end_of_extended", diags)?,
                })
            })
            .collect();
        Some(Kubernetes { lab: k.lab.get_ref().clone(), releases, verified })
    });
    let prices = raw.prices.and_then(|p| {
        let verified = Verified { on: date(&p.verified, "verified", diags)?, source: p.source, line: src.at(p.verified.span().start).0 };
        Some(Prices { region: p.region, items: p.items.into_iter().map(|(k, v)| (k, (v.usd, v.per))).collect(), verified })
    });
    let mut components = Vec::new();
    for (id, c) in raw.components {
        let Some(on) = date(&c.verified, "verified", diags) else { continue };
        let mut fields = BTreeMap::new();
        for (name, value) in &c.fields {
            match value.as_str() {
                Some(s) => {
                    fields.insert(name.clone(), s.to_string());
                }
                None => diags.push(
                    src.error(&c.version, format!("component {id}: field {name:?} must be a string"))
                        .hint("extra fields of a component are strings, used as {{versions.ID.FIELD}}"),
                ),
            }
        }
        let follows_kubernetes = match c.follows.as_deref() {
            None => false,
            Some("kubernetes") => true,
            Some(other) => {
                diags.push(src.error(&c.version, format!("component {id}: follows = {other:?} is not known")).hint("the only value is \"kubernetes\""));
                false
            }
        };
        components.push(Component {
            id,
            name: c.name,
            version: c.version.get_ref().clone(),
            repository: c.repository,
            fields,
            follows_kubernetes,
            verified: Verified { on, source: c.source, line: src.at(c.verified.span().start).0 },
        });
    }
    let versions = Versions { kubernetes, prices, components };
    check(&versions, src, diags);
    versions
}

/// Consistency that does not depend on the day: the lab version is a known release, dates are
/// in order, a component that follows Kubernetes has the lab's minor.
fn check(v: &Versions, src: &TomlFile<'_>, diags: &mut Vec<Diagnostic>) {
    let line_of = |needle: &str| src.text.lines().position(|l| l.contains(needle)).map_or(1, |i| i + 1);
    if let Some(k) = &v.kubernetes {
        if k.release(&k.lab).is_none() {
            diags.push(
                Diagnostic::error(src.file, (line_of("lab"), 1), format!("kubernetes.lab = {:?} is not one of the [[kubernetes.releases]]", k.lab))
                    .hint("add the release with its support dates, or name a listed one"),
            );
        }
        for r in &k.releases {
            if !(r.released < r.end_of_standard && r.end_of_standard < r.end_of_extended) {
                diags.push(
                    Diagnostic::error(src.file, (line_of(&format!("\"{}\"", r.version)), 1), format!("release {}: dates out of order", r.version))
                        .hint("released < end_of_standard < end_of_extended"),
                );
            }
        }
        for c in v.components.iter().filter(|c| c.follows_kubernetes) {
            if minor(&c.version) != minor(&k.lab) {
                diags.push(
                    Diagnostic::error(
                        src.file,
                        (line_of(&format!("[components.{}]", c.id)), 1),
                        format!("{} {} must have the lab's Kubernetes minor version {}", c.name, c.version, k.lab),
                    )
                    .hint("use its release for the same Kubernetes minor as kubernetes.lab"),
                );
            }
        }
    }
}

/// `(major, minor)` of "v1.35.2", "1.35" or "1.35.0-eks-abc".
pub fn minor(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((major, minor))
}

impl Kubernetes {
    pub fn release(&self, version: &str) -> Option<&Release> {
        let want = minor(version)?;
        self.releases.iter().find(|r| minor(&r.version) == Some(want))
    }

    /// The release one minor above `version`, when the table has it.
    pub fn next(&self, version: &str) -> Option<&Release> {
        let (major, m) = minor(version)?;
        self.releases.iter().find(|r| minor(&r.version) == Some((major, m + 1)))
    }

    /// The release one minor below `version`, when the table has it.
    pub fn previous(&self, version: &str) -> Option<&Release> {
        let (major, m) = minor(version)?;
        self.releases.iter().find(|r| Some((major, m)) == minor(&r.version).map(|(a, b)| (a, b + 1)))
    }

    /// The oldest release still in standard support on `day`.
    pub fn oldest_standard(&self, day: Date) -> Option<&Release> {
        self.releases.iter().filter(|r| r.support_on(day) == Support::Standard).min_by_key(|r| minor(&r.version))
    }
}

impl Versions {
    pub fn is_empty(&self) -> bool {
        self.kubernetes.is_none() && self.prices.is_none() && self.components.is_empty()
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    pub fn component_by_repository(&self, repository: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.repository.as_deref() == Some(repository))
    }

    /// The variables content uses. Kubernetes: `versions.kubernetes` (the lab version),
    /// `versions.kubernetes.next` / `.previous`, and per release `versions.kubernetes.1.35.end-of-standard`
    /// (also `released`, `end-of-extended`) and `versions.kubernetes.verified` / `.source`, which
    /// the support check reads when the account cannot answer. Components: `versions.ID`,
    /// `versions.ID.image` (repository:version), `versions.ID.repository`, `versions.ID.FIELD`.
    /// Prices: `prices.NAME` (USD, as written).
    pub fn vars(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        if let Some(k) = &self.kubernetes {
            vars.insert("versions.kubernetes".into(), k.lab.clone());
            if let Some(next) = k.next(&k.lab) {
                vars.insert("versions.kubernetes.next".into(), next.version.clone());
            }
            if let Some(previous) = k.previous(&k.lab) {
                vars.insert("versions.kubernetes.previous".into(), previous.version.clone());
            }
            vars.insert("versions.kubernetes.verified".into(), k.verified.on.to_string());
            vars.insert("versions.kubernetes.source".into(), k.verified.source.clone());
            vars.insert("versions.kubernetes.releases".into(), k.releases.iter().map(|r| r.version.as_str()).collect::<Vec<_>>().join(" "));
            for r in &k.releases {
                let at = format!("versions.kubernetes.{}", r.version);
                vars.insert(format!("{at}.released"), r.released.to_string());
                vars.insert(format!("{at}.end-of-standard"), r.end_of_standard.to_string());
                vars.insert(format!("{at}.end-of-extended"), r.end_of_extended.to_string());
            }
        }
        if let Some(p) = &self.prices {
            vars.insert("prices.region".into(), p.region.clone());
            vars.insert("prices.verified".into(), p.verified.on.to_string());
            vars.insert("prices.source".into(), p.verified.source.clone());
            for (name, (usd, _)) in &p.items {
                vars.insert(format!("prices.{name}"), format_usd(*usd));
            }
        }
        for c in &self.components {
            let at = format!("versions.{}", c.id);
            vars.insert(at.clone(), c.version.clone());
            if let Some(repo) = &c.repository {
                vars.insert(format!("{at}.repository"), repo.clone());
                vars.insert(format!("{at}.image"), format!("{repo}:{}", c.version));
            }
            for (k, v) in &c.fields {
                vars.insert(format!("{at}.{k}"), v.clone());
            }
        }
        vars
    }

    /// Every entry's verification, named, for the staleness rule.
    pub fn verifications(&self) -> Vec<(String, &Verified)> {
        let mut out = Vec::new();
        if let Some(k) = &self.kubernetes {
            out.push(("kubernetes".to_string(), &k.verified));
        }
        if let Some(p) = &self.prices {
            out.push(("prices".to_string(), &p.verified));
        }
        out.extend(self.components.iter().map(|c| (format!("components.{}", c.id), &c.verified)));
        out
    }
}

/// Dollars as content writes them: "0.10", "0.005", "32.85".
pub fn format_usd(usd: f64) -> String {
    let two = format!("{usd:.2}");
    if (two.parse::<f64>().unwrap_or(0.0) - usd).abs() < 1e-9 {
        return two;
    }
    let s = format!("{usd:.6}");
    s.trim_end_matches('0').to_string()
}

/// What lint says about the table on `today`: stale verifications, and a lab version that has
/// left (or is about to leave) standard support.
pub fn lint_on(v: &Versions, today: Date, diags: &mut Vec<Diagnostic>) {
    for (name, verified) in v.verifications() {
        let age = days_between(verified.on, today);
        if age > STALE_AFTER_DAYS {
            diags.push(
                Diagnostic::warning(FILE, (verified.line, 1), format!("{name} was verified on {}, {age} days ago", verified.on))
                    .hint(format!("confirm it again upstream ({}) and set verified to the day you did", verified.source)),
            );
        }
    }
    let Some(k) = &v.kubernetes else { return };
    let Some(lab) = k.release(&k.lab) else { return };
    let line = k.verified.line;
    match lab.support_on(today) {
        Support::Standard => {
            let left = days_between(today, lab.end_of_standard);
            if left <= 60 {
                diags.push(
                    Diagnostic::warning(
                        FILE,
                        (line, 1),
                        format!("the lab's Kubernetes {} leaves standard support in {left} days ({})", k.lab, lab.end_of_standard),
                    )
                    .hint("move kubernetes.lab to a newer release before learners' clusters bill extended support"),
                );
            }
        }
        s => diags.push(
            Diagnostic::error(FILE, (line, 1), format!("the lab's Kubernetes {} is in {} since {}", k.lab, s.label(), lab.end_of_standard))
                .hint("new lab clusters must be on a version in standard support: move kubernetes.lab to one"),
        ),
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    // a span between civil dates is in days by default (no months to balance)
    i64::from((to - from).get_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
[kubernetes]
lab = "1.35"
source = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
verified = 2026-12-06

[[kubernetes.releases]]
version = "1.34"
released = 2025-10-02
end_of_standard = 2026-12-02
end_of_extended = 2027-12-02

[[kubernetes.releases]]
version = "1.35"
released = 2026-01-27
end_of_standard = 2027-03-27
end_of_extended = 2028-03-27

[prices]
region = "eu-west-1"
source = "https://aws.amazon.com/eks/pricing/"
verified = 2026-12-06
items.control-plane-standard = { usd = 0.10, per = "cluster-hour" }

[components.cluster-autoscaler]
name = "Cluster Autoscaler"
version = "v1.35.0"
repository = "registry.k8s.io/autoscaling/cluster-autoscaler"
follows = "kubernetes"
source = "https://github.com/kubernetes/autoscaler/releases"
verified = 2026-07-01
chart = "9.50.0"
"#;

    fn parse_text(text: &str) -> (Versions, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let v = parse(&TomlFile { file: FILE, text }, &mut diags);
        (v, diags)
    }

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn vars_name_every_entry() {
        let (v, diags) = parse_text(TABLE);
        assert!(diags.is_empty(), "{diags:?}");
        let vars = v.vars();
        assert_eq!(vars["versions.kubernetes"], "1.35");
        assert!(!vars.contains_key("versions.kubernetes.next"), "1.36 is not in this table");
        assert_eq!(vars["versions.kubernetes.1.34.end-of-standard"], "2026-12-02");
        assert_eq!(vars["versions.cluster-autoscaler.image"], "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0");
        assert_eq!(vars["versions.cluster-autoscaler.chart"], "9.50.0");
        assert_eq!(vars["prices.control-plane-standard"], "0.10");
    }

    #[test]
    fn support_follows_the_calendar() {
        let (v, _) = parse_text(TABLE);
        let k = v.kubernetes.unwrap();
        let r134 = k.release("v1.34.2-eks-1234").unwrap();
        assert_eq!(r134.support_on(day("2026-12-02")), Support::Standard);
        assert_eq!(r134.support_on(day("2026-12-06")), Support::Extended);
        assert_eq!(r134.support_on(day("2027-12-03")), Support::Unsupported);
        assert_eq!(k.oldest_standard(day("2026-12-06")).unwrap().version, "1.35");
        assert_eq!(k.next("1.34").unwrap().version, "1.35");
    }

    #[test]
    fn lint_reports_stale_entries_and_a_lab_version_out_of_standard_support() {
        let (v, _) = parse_text(TABLE);
        let mut diags = Vec::new();
        lint_on(&v, day("2026-12-06"), &mut diags);
        assert!(diags.is_empty(), "nothing stale on the day of verification: {diags:?}");
        lint_on(&v, day("2027-01-10"), &mut diags);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("components.cluster-autoscaler was verified on 2026-07-01, 193 days ago"), "{}", diags[0]);
        diags.clear();
        lint_on(&v, day("2027-03-01"), &mut diags);
        assert!(diags.iter().any(|d| d.message.contains("leaves standard support in 26 days")), "{diags:?}");
        diags.clear();
        lint_on(&v, day("2027-04-01"), &mut diags);
        assert!(diags.iter().any(|d| d.is_error() && d.message.contains("is in extended support since 2027-03-27")), "{diags:?}");
    }

    #[test]
    fn inconsistent_tables_are_errors() {
        let (_, diags) = parse_text(&TABLE.replace("lab = \"1.35\"", "lab = \"1.36\""));
        assert!(diags.iter().any(|d| d.message.contains("kubernetes.lab = \"1.36\" is not one of")), "{diags:?}");
        let (_, diags) = parse_text(&TABLE.replace("v1.35.0", "v1.34.1"));
        assert!(diags.iter().any(|d| d.message.contains("Cluster Autoscaler v1.34.1 must have the lab's Kubernetes minor version 1.35")), "{diags:?}");
        let (_, diags) = parse_text(&TABLE.replace("verified = 2026-07-01", "verified = \"2026-07-01\""));
        assert!(diags.iter().any(|d| d.line > 1), "a type error is located: {diags:?}");
    }

    #[test]
    fn usd_keeps_cents_and_small_prices() {
        assert_eq!(format_usd(0.1), "0.10");
        assert_eq!(format_usd(0.6), "0.60");
        assert_eq!(format_usd(0.005), "0.005");
        assert_eq!(format_usd(32.85), "32.85");
    }
}
