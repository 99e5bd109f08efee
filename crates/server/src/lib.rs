//! The madoguchi server: router assembly, the job runner, demo data and the postal data installer.
//! The binary (`main.rs`) is a thin CLI over this library, which the integration tests also use.

pub mod app;
pub mod demo;
pub mod jobs;
pub mod postal_data;
