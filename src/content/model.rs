//! The loaded course: what the engine, the TUI and the CLI read. Plain data, no I/O.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::loc::{Loc, Markdown};

#[derive(Debug, Clone)]
pub struct Pack {
    pub id: String,
    pub title: String,
    pub description: String,
    pub parts: Vec<Part>,
    pub lessons: Vec<Lesson>,
    pub exercises: Vec<Exercise>,
    /// Interview drill cards (`lessons/cards/*.toml`), in file then file order.
    pub cards: Vec<Card>,
    /// Break-fix scenarios (`exercises/scenarios/*.toml`).
    pub scenarios: Vec<Scenario>,
    /// The version table (`versions.toml`); its variables are already in every exercise's vars
    /// and expanded in lessons and cards.
    pub versions: super::versions::Versions,
}

#[derive(Debug, Clone)]
pub struct Part {
    pub title: String,
    pub items: Vec<ItemRef>,
}

/// An entry of the course tree: an index into `Pack::lessons` or `Pack::exercises`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemRef {
    Lesson(usize),
    Exercise(usize),
}

#[derive(Debug, Clone)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub objectives: Vec<String>,
    pub tags: Vec<String>,
    /// Concepts this lesson teaches and the ones it needs taught before it (course order).
    pub concepts: Concepts,
    /// Markdown after the front matter.
    pub body: Markdown,
    pub file: String,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub summary: Markdown,
    pub lessons: Vec<String>,
    pub tags: Vec<String>,
    /// Concepts this lab teaches (by doing, or inline) and the ones it needs taught before it.
    pub concepts: Concepts,
    pub vars: BTreeMap<String, String>,
    pub steps: Vec<Step>,
    /// What the lab costs (`[cost]`), priced by `content::cost::estimate`.
    pub cost: Option<Cost>,
    pub loc: Loc,
}

/// What an item of the course teaches and needs, as short concept ids (`irsa`, `helm`,
/// `pdb`): `kubedojo lint` reports a need that no earlier item teaches. Each id keeps the line
/// it was written on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Concepts {
    pub teaches: Vec<(String, usize)>,
    pub needs: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub instructions: Markdown,
    pub hints: Vec<Markdown>,
    pub solution: Solution,
    pub checks: Vec<CheckSpec>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Default)]
pub struct Solution {
    pub text: Markdown,
    /// Paths relative to the pack's `assets/` folder.
    pub files: Vec<String>,
}

/// A drill card. Its `id` is `topic/local-id`: stable, it keys the learner's review state.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    /// The lesson it belongs to.
    pub topic: String,
    pub kind: CardKind,
    /// 1 basic, 2 working knowledge, 3 senior / interview depth.
    pub difficulty: u8,
    pub tags: Vec<String>,
    pub prompt: Markdown,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub enum CardKind {
    /// Self-graded: the learner compares with the model answer and ticks the key points.
    Open { answer: Markdown, points: Vec<String> },
    /// Auto-graded: exactly one option is correct; each says why.
    Choice { options: Vec<ChoiceOption>, explanation: Option<Markdown> },
    /// Auto-graded: the typed answer, normalised, must equal one of these.
    Recall { answers: Vec<String>, explanation: Option<Markdown> },
    /// Auto-graded: the steps in their correct order (shown shuffled).
    Order { steps: Vec<String>, explanation: Option<Markdown> },
}

impl CardKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Choice { .. } => "choice",
            Self::Recall { .. } => "recall",
            Self::Order { .. } => "order",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChoiceOption {
    pub text: String,
    pub correct: bool,
    pub why: String,
}

/// A break-fix scenario (`exercises/scenarios/<id>.toml`, read by `scenario.rs`): a lab's solved
/// state, a fault injected into it, and the checks that fail while it is broken.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    pub difficulty: u8,
    /// The lab whose solved state the scenario starts from.
    pub lab: String,
    pub lessons: Vec<String>,
    pub symptom: Markdown,
    pub hints: Vec<Markdown>,
    pub fix: Markdown,
    pub debrief: Markdown,
    /// Upstream sources (repo and path, or doc page) for the behaviour the scenario describes.
    pub sources: Vec<String>,
    pub vars: BTreeMap<String, String>,
    /// Lab solution files (under assets/) whose Kubernetes objects are (re)applied before the
    /// working state is checked: the part of the lab's solution kubedojo can apply itself.
    pub setup: Vec<String>,
    pub fault: Vec<FaultAction>,
    pub checks: Vec<ScenarioCheck>,
    pub loc: Loc,
}

impl Scenario {
    /// The debrief as a learner reads it: the text, then where its facts come from.
    pub fn debrief_with_sources(&self) -> String {
        let mut text = self.debrief.text.trim().to_string();
        if !self.sources.is_empty() {
            text.push_str("\n\nSources:\n\n");
            for s in &self.sources {
                text.push_str(&format!("- {s}\n"));
            }
        }
        text
    }
}

/// A check of the scenario and a part of its failure message while the fault is in.
#[derive(Debug, Clone)]
pub struct ScenarioCheck {
    pub spec: CheckSpec,
    pub broken: String,
}

/// One change the fault makes. Parameters may use `{{vars}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FaultAction {
    /// Replace text in an IAM role's trust policy.
    IamTrustReplace { role: String, find: String, replace: String },
    /// Detach a managed policy from an IAM role.
    IamDetachPolicy { role: String, policy: String },
    /// A JSON merge patch on a Kubernetes object; `remove`: dotted paths to delete.
    K8sPatch {
        kind: String,
        #[serde(default)]
        namespace: Option<String>,
        name: String,
        #[serde(default)]
        patch: Option<toml::Table>,
        #[serde(default)]
        remove: Vec<String>,
    },
    /// Create one Kubernetes object from YAML.
    K8sCreate { manifest: String },
    /// Remove a tag key from the cluster's subnets that carry it.
    SubnetUntag { tag: String },
    /// Remove a tag from a node group's Auto Scaling groups.
    AsgUntag { nodegroup: String, key: String },
}

/// A check as the content declares it: a kind from the catalogue and its parameters.
/// Typed and executed by the check engine; here it is data.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    pub kind: String,
    pub params: BTreeMap<String, ParamValue>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Text(String),
    List(Vec<String>),
}

impl CheckSpec {
    /// The spec with `{{vars}}` in its parameters replaced.
    pub fn expand(&self, vars: &BTreeMap<String, String>) -> CheckSpec {
        let x = |t: &str| super::vars::expand(t, vars);
        let params = self
            .params
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    ParamValue::Text(t) => ParamValue::Text(x(t)),
                    ParamValue::List(l) => ParamValue::List(l.iter().map(|t| x(t)).collect()),
                };
                (k.clone(), v)
            })
            .collect();
        CheckSpec { kind: self.kind.clone(), params, loc: self.loc.clone() }
    }
}

impl Pack {
    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }

    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    pub fn card(&self, id: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.id == id)
    }

    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercises.iter().find(|e| e.id == id)
    }

    /// Every item in course order.
    pub fn items(&self) -> impl Iterator<Item = ItemRef> + '_ {
        self.parts.iter().flat_map(|p| p.items.iter().copied())
    }

    pub fn item_id(&self, item: ItemRef) -> &str {
        match item {
            ItemRef::Lesson(i) => &self.lessons[i].id,
            ItemRef::Exercise(i) => &self.exercises[i].id,
        }
    }

    pub fn item_title(&self, item: ItemRef) -> &str {
        match item {
            ItemRef::Lesson(i) => &self.lessons[i].title,
            ItemRef::Exercise(i) => &self.exercises[i].title,
        }
    }

    pub fn find_item(&self, id: &str) -> Option<ItemRef> {
        self.items().find(|&it| self.item_id(it) == id)
    }
}

impl Exercise {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// Replace `{{var}}` with the exercise's variable values; unknown names stay as written.
    pub fn expand(&self, text: &str) -> String {
        super::vars::expand(text, &self.vars)
    }
}

/// What a lab creates that bills (`[cost]` in exercise.toml); `content::cost` prices it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cost {
    /// The step from which something bills (the estimate is shown there).
    pub from: Option<String>,
    /// The lab whose resources this one uses and that keep billing under it.
    pub runs_on: Option<String>,
    pub items: Vec<CostItem>,
    /// The line of `[cost]` in exercise.toml.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostItem {
    pub price: String,
    pub quantity: Quantity,
    /// What it is, for the learner: "six m6i.large nodes (the spot ones at the on-demand price)".
    pub what: String,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// How many of an hourly (or monthly) thing exist while the lab's resources do.
    Count(f64),
    /// How much of a by-use price the lab consumes (GB of logs).
    Amount(f64),
}
