//! The madoguchi server: router assembly, the job runner, demo data, the postal data and font installers.
//! The binary (`main.rs`) is a thin CLI over this library, which the integration tests also use.

pub mod app;
pub mod demo;
pub mod font_data;
pub mod jobs;
pub mod migrate_to;
pub mod postal_data;
pub mod serve;
