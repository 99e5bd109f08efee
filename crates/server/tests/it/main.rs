//! The server's integration tests, one test binary: each module was a test file of its own; one binary links once
//! (a test binary with debug info is hundreds of megabytes, and thirty of them filled CI's disk).

#[macro_use]
mod common;

mod backup_restore;
mod experience;
mod experience_form;
mod experience_language;
mod experience_mypage;
mod experience_staff;
mod faq;
mod faq_semantic;
mod flyers;
mod form_builder;
mod form_templates;
mod form_versions;
mod fuzz_multipart;
mod group_commit;
mod harvest;
mod identity;
mod identity_oidc;
mod issuance;
mod kernel;
mod migrate_to;
mod observability;
mod online_procedures;
mod opendata;
mod rolling_upgrade;
mod storage;
mod trust_bad_inputs;
mod trust_frontdoor;
mod trust_identity;
mod trust_idor;
mod trust_jobs;
mod trust_retention;
mod trust_scope_and_output;
mod trust_submissions;
mod two_instances;
