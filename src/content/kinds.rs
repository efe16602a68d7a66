//! The check kinds a pack may declare, as the linter needs them: each kind's id and its
//! parameters with the kind of value each takes. Content does not know the checks: the caller
//! hands this in (`checks::catalog::known_kinds` fills it from the catalogue).

/// The value a check parameter takes in a pack file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    List,
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
