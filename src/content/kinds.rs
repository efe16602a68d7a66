//! The check kinds a pack may declare, as the linter needs them: each kind's id and its
//! parameters with the kind of value each takes. Content does not know the checks: the caller
//! hands this in (`checks::catalog::known_kinds` fills it from the catalogue).

/// The value a check parameter takes in a pack file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    List,
    /// A list whose every entry has this shape (lint says which entry does not).
    Entries(Shape),
}

/// The shape of a list parameter's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Kind NAME` (a cluster-wide object) or `Kind NAMESPACE/NAME`.
    KindObject,
    /// `NAMESPACE/NAME`.
    NamespacedName,
    /// `NAMESPACE/NAME:ROLE`.
    ServiceAccountRole,
}

impl Shape {
    /// The form, as lint names it.
    pub fn form(self) -> &'static str {
        match self {
            Self::KindObject => "`Kind NAME` or `Kind NAMESPACE/NAME`",
            Self::NamespacedName => "NAMESPACE/NAME",
            Self::ServiceAccountRole => "NAMESPACE/NAME:ROLE",
        }
    }

    /// Whether `entry` has this shape (each part non-empty, no stray spaces).
    pub fn fits(self, entry: &str) -> bool {
        let pair = |s: &str| s.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'));
        let word = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
        match self {
            Self::KindObject => entry.split_once(' ').is_some_and(|(kind, id)| word(kind) && word(id) && (!id.contains('/') || pair(id))),
            Self::NamespacedName => word(entry) && pair(entry),
            Self::ServiceAccountRole => word(entry) && entry.split_once(':').is_some_and(|(sa, role)| pair(sa) && !role.is_empty()),
        }
    }
}

/// One check kind: its id and its parameters (name and value kind), in catalogue order.
#[derive(Debug, Clone)]
pub struct KnownKind {
    pub id: &'static str,
    pub params: Vec<(&'static str, ParamKind)>,
}

impl KnownKind {
    /// The kind of value parameter `name` takes, if the kind has it.
    pub fn param(&self, name: &str) -> Option<ParamKind> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }
}

/// The check kinds a pack may declare, in catalogue order. The default knows none, so every
/// check in the pack is an unknown kind.
#[derive(Debug, Clone, Default)]
pub struct CheckKinds {
    pub kinds: Vec<KnownKind>,
}

impl CheckKinds {
    /// The kind with this id.
    pub fn find(&self, id: &str) -> Option<&KnownKind> {
        self.kinds.iter().find(|k| k.id == id)
    }
}
