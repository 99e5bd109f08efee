//! Form definitions, validation and conditions — pure, no I/O.
//!
//! A form (申請フォーム) is data: a [`FormDefinition`] JSON document following `docs/form-schema.json`.
//! [`check_definition`] says whether a definition can work; [`validate`] turns what an applicant typed
//! ([`RawInput`]) into stored answers or field errors in the resident's language; [`columns`] gives export columns that stay
//! stable across versions.

pub mod check;
pub mod columns;
mod condition;
pub mod date_parts;
pub mod definition;
pub mod diff;
pub mod edit;
pub mod input;
pub mod limits;
pub mod messages;
pub mod validate;

pub use check::{
    DefinitionError, DefinitionWarning, asks_for_my_number, check_definition, check_warnings,
};
pub use columns::{Column, columns};
pub use definition::{
    AttachmentLimits, Choice, Condition, Contact, FormDefinition, IdentityLevel, LANGUAGES, Part,
    PartKind, PartTexts, Translation,
};
pub use diff::{Change, ChangeKind, diff};
pub use input::{FileRef, RawInput, field_id};
pub use madoguchi_japanese::lang::Lang;
pub use validate::{Answers, FieldError, validate, validate_in};

/// The JSON Schema of form definitions, as published in `docs/form-schema.json`.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(FormDefinition);
    serde_json::to_value(schema).expect("schema serialises")
}

/// Parses and checks a definition in one step, for imports: every problem is listed, in Japanese.
pub fn parse_definition(json: &str) -> Result<FormDefinition, Vec<DefinitionError>> {
    let def = FormDefinition::from_json(json).map_err(|e| {
        vec![DefinitionError {
            path: format!("{}行{}列", e.line(), e.column()),
            message: format!("JSONとして読めないか、形式が定義と合いません: {e}"),
        }]
    })?;
    let errors = check_definition(&def);
    if errors.is_empty() {
        Ok(def)
    } else {
        Err(errors)
    }
}
