//! `kubedojo cleanup`: read-only. Every AWS resource a lab of the course made that still
//! exists, found by the names its teardown step's `teardown.clean` check lists (with the lab
//! config's values), each with the command that deletes it. Exit codes: 0 nothing is left, 1
//! something is, 3 a lab's resources could not be read (and nothing was found), 2 usage errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::backend::Backend;
use crate::checks::engine::leftovers;
use crate::content::Pack;

#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub exercise: String,
    pub what: String,
    pub delete: String,
    pub bills: bool,
    /// What it bills an hour, priced from the course's table (`None`: no hourly charge, or no
    /// price in the table for it).
    pub usd_per_hour: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub left: Vec<Left>,
    /// Labs whose resources could not be read: the lab and why.
    pub unread: Vec<(String, String)>,
    /// Labs looked at (those with a teardown check).
    pub labs: Vec<String>,
}

impl Report {
    /// A leftover, unless one for the same resource is listed already (the eks-cluster lab names
    /// the load balancers and the KMS key the alb-ingress and production-hardening labs do; a
    /// node group whole, and its extra nodes): the one that bills more an hour stays.
    fn add(&mut self, key: String, left: Left, seen: &mut std::collections::HashMap<String, usize>) {
        match seen.get(&key) {
            Some(&i) => {
                if left.usd_per_hour.unwrap_or(0.0) > self.left[i].usd_per_hour.unwrap_or(0.0) {
                    self.left[i] = left;
                }
            }
            None => {
                seen.insert(key, self.left.len());
                self.left.push(left);
            }
        }
    }

    pub fn exit_code(&self) -> i32 {
        if !self.left.is_empty() {
            1
        } else if !self.unread.is_empty() {
            3
        } else {
            0
        }
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        if self.left.is_empty() && self.unread.is_empty() {
            let _ = writeln!(out, "nothing is left: no resource of {} remains", self.labs.join(", "));
            return out;
        }
        let mut lab = "";
        for l in &self.left {
            if l.exercise != lab {
                let _ = writeln!(out, "{}:", l.exercise);
                lab = &l.exercise;
            }
            let bills = match (l.bills, l.usd_per_hour) {
                (true, Some(usd)) => format!("bills about {}/h", crate::content::cost::usd(usd)),
                (true, None) => "bills by the hour".to_string(),
                (false, _) => "no hourly charge".to_string(),
            };
            let _ = writeln!(out, "  {} ({bills})\n    {}", l.what, l.delete);
        }
        for (ex, why) in &self.unread {
            let _ = writeln!(out, "{ex}: not read: {why}");
        }
        let billing = self.left.iter().filter(|l| l.bills).count();
        let hourly: f64 = self.left.iter().filter_map(|l| l.usd_per_hour).sum();
        let priced = if hourly > 0.0 { format!(", about {}/h in all", crate::content::cost::usd(hourly)) } else { String::new() };
        let _ = writeln!(
            out,
            "{} left{}; delete in the order shown (what a lab's cluster holds goes before the roles it names)",
            self.left.len(),
            if billing > 0 { format!(", {billing} billing by the hour{priced}") } else { String::new() }
        );
        out
    }
}

/// The leftovers of every lab with a teardown check, with the lab's values and `overrides`.
pub async fn run(backend: &Backend, pack: &Pack, overrides: &BTreeMap<String, String>) -> Report {
    let mut report = Report::default();
    // what two labs' teardowns both name is listed once
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for ex in &pack.exercises {
        let mut vars = ex.vars.clone();
        vars.extend(overrides.clone());
        let specs: Vec<_> = ex.steps.iter().flat_map(|s| &s.checks).filter(|c| c.kind == "teardown.clean").map(|c| c.expand(&vars)).collect();
        if specs.is_empty() {
            continue;
        }
        report.labs.push(ex.id.clone());
        for spec in specs {
            match leftovers(backend, &spec, &vars).await {
                Ok(left) => {
                    for l in left {
                        let usd_per_hour = l.rate.as_ref().and_then(|(price, count)| per_hour(pack, price, *count));
                        let key = l.resource.clone().unwrap_or_else(|| l.what.clone());
                        let left = Left { exercise: ex.id.clone(), what: l.what, delete: l.delete, bills: l.bills, usd_per_hour };
                        report.add(key, left, &mut seen);
                    }
                }
                Err(r) => report.unread.push((ex.id.clone(), r.message)),
            }
        }
    }
    report
}

/// USD an hour for `count` of a price of the course's table: by the hour as it is, by the month
/// over its 730 hours; by use (or not in the table) is no hourly price.
fn per_hour(pack: &Pack, price: &str, count: f64) -> Option<f64> {
    let (usd, per) = pack.versions.prices.as_ref()?.items.get(price)?;
    match crate::content::cost::Rate::of(per) {
        crate::content::cost::Rate::Hourly => Some(usd * count),
        crate::content::cost::Rate::Monthly => Some(usd * count / crate::content::cost::HOURS_PER_MONTH),
        crate::content::cost::Rate::ByUse => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> std::sync::Arc<Pack> {
        crate::session::load_pack(crate::content::PackFiles::embedded()).expect("the built-in course loads").0
    }

    #[test]
    fn a_leftover_is_priced_by_the_hour_from_the_course_table() {
        let pack = pack();
        assert_eq!(per_hour(&pack, "control-plane-standard", 1.0), Some(0.10));
        let nodes = per_hour(&pack, "ec2-m6i-large", 2.0).expect("m6i.large is in the table");
        assert!((nodes - 0.214).abs() < 1e-9, "{nodes}");
        let key = per_hour(&pack, "kms-key", 1.0).expect("a monthly price");
        assert!((key - 1.0 / 730.0).abs() < 1e-9, "{key}");
        assert_eq!(per_hour(&pack, "logs-ingestion", 1.0), None, "by use: no hourly price");
        assert_eq!(per_hour(&pack, "ec2-p5-48xlarge", 1.0), None, "not in the table");
    }

    #[test]
    fn a_resource_two_labs_name_is_listed_once_with_the_larger_charge() {
        let left = |exercise: &str, what: &str, usd: Option<f64>| Left {
            exercise: exercise.into(),
            what: what.into(),
            delete: String::new(),
            bills: usd.is_some(),
            usd_per_hour: usd,
        };
        let (mut report, mut seen) = (Report::default(), std::collections::HashMap::new());
        report.add("nodegroup lab/general".into(), left("cluster-autoscaler", "2 extra nodes in node group general", Some(0.214)), &mut seen);
        report.add("load balancer k8s-x".into(), left("alb-ingress", "load balancer k8s-x of lab", Some(0.0252)), &mut seen);
        report.add("nodegroup lab/general".into(), left("eks-cluster", "managed node group general of lab (4 nodes, which bill)", Some(0.428)), &mut seen);
        report.add("load balancer k8s-x".into(), left("eks-cluster", "load balancer k8s-x of lab", Some(0.0252)), &mut seen);
        let listed: Vec<(&str, &str)> = report.left.iter().map(|l| (l.exercise.as_str(), l.what.as_str())).collect();
        assert_eq!(listed, [("eks-cluster", "managed node group general of lab (4 nodes, which bill)"), ("alb-ingress", "load balancer k8s-x of lab")]);
    }

    #[test]
    fn the_report_says_what_each_leftover_bills_and_the_total() {
        let left = |what: &str, bills: bool, usd: Option<f64>| Left {
            exercise: "eks-cluster".into(),
            what: what.into(),
            delete: format!("delete {what}"),
            bills,
            usd_per_hour: usd,
        };
        let report = Report {
            left: vec![
                left("EKS cluster lab", true, Some(0.10)),
                left("NAT gateway nat-1", true, Some(0.048)),
                left("a node group of an instance type the table lacks", true, None),
                left("VPC vpc-1", false, None),
            ],
            unread: vec![],
            labs: vec!["eks-cluster".into()],
        };
        let text = report.human();
        assert!(text.contains("  EKS cluster lab (bills about $0.10/h)\n    delete EKS cluster lab\n"), "{text}");
        assert!(text.contains("NAT gateway nat-1 (bills about $0.048/h)"), "{text}");
        assert!(text.contains("the table lacks (bills by the hour)"), "{text}");
        assert!(text.contains("VPC vpc-1 (no hourly charge)"), "{text}");
        assert!(text.contains("4 left, 3 billing by the hour, about $0.15/h in all;"), "{text}");
    }
}
