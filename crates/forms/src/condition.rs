//! Evaluating `show_if` conditions against what the applicant entered.
//!
//! Conditions are evaluated on the raw input (what the applicant picked), the same values a browser sees when
//! it shows or hides a part; a part that is itself hidden counts as empty.

use crate::definition::{Condition, Part, PartKind};
use crate::input::RawInput;
use std::collections::HashSet;

/// The parts visible to a condition: the current list (a form, or one group item) and its enclosing scope.
pub(crate) struct Scope<'a> {
    input: &'a RawInput,
    prefix: String,
    parts: &'a [Part],
    hidden: HashSet<String>,
    outer: Option<&'a Scope<'a>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(
        input: &'a RawInput,
        prefix: &str,
        parts: &'a [Part],
        outer: Option<&'a Scope<'a>>,
    ) -> Self {
        Self {
            input,
            prefix: prefix.to_string(),
            parts,
            hidden: HashSet::new(),
            outer,
        }
    }

    pub(crate) fn hide(&mut self, key: &str) {
        self.hidden.insert(key.to_string());
    }

    /// Whether the condition holds.
    pub(crate) fn holds(&self, cond: &Condition) -> bool {
        match cond {
            Condition::All { all } => all.iter().all(|c| self.holds(c)),
            Condition::Any { any } => any.iter().any(|c| self.holds(c)),
            Condition::Not { not } => !self.holds(not),
            Condition::In { part, values } => self
                .values_of(part)
                .iter()
                .any(|v| values.iter().any(|w| w == v)),
            Condition::Filled { part, filled } => self.is_filled(part) == *filled,
        }
    }

    fn lookup(&self, key: &str) -> Option<(&Self, &'a Part)> {
        match self.parts.iter().find(|p| p.key == key) {
            Some(p) => Some((self, p)),
            None => self.outer.and_then(|o| o.lookup(key)),
        }
    }

    fn values_of(&self, key: &str) -> Vec<String> {
        let Some((scope, part)) = self.lookup(key) else {
            return Vec::new();
        };
        if scope.hidden.contains(key) {
            return Vec::new();
        }
        let field = format!("{}{key}", scope.prefix);
        let field = match part.kind {
            PartKind::Applicant => format!("{field}.kind"),
            _ => field,
        };
        scope
            .input
            .values(&field)
            .iter()
            .map(|v| v.trim().to_string())
            .collect()
    }

    fn is_filled(&self, key: &str) -> bool {
        let Some((scope, _)) = self.lookup(key) else {
            return false;
        };
        !scope.hidden.contains(key) && scope.input.is_filled(&format!("{}{key}", scope.prefix))
    }
}
