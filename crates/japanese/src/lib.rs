//! Japanese-specific text and date handling for madoguchi.
//!
//! This crate is pure: it performs no I/O, so every rule here can be tested
//! in isolation and reused by the forms, application and server crates.
//!
//! # Originals are never altered
//!
//! Residents' names often contain characters that matter legally and
//! personally: 髙 (はしごだか), 﨑 (たつさき), or an ideographic variation
//! sequence such as `葛\u{E0100}`. No function in this crate rewrites such
//! text unless its documentation explicitly says it returns a normalised
//! value (for example [`kana::normalize_furigana`] or [`search::search_key`]).
//! Normalised values are copies meant for validation or matching; the value
//! the resident typed must be stored as typed.

pub mod digits;
pub mod encoding;
pub mod kana;
pub mod lang;
pub mod local_gov;
pub mod search;
pub mod wareki;
