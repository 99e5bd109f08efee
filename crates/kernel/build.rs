// `sqlx::migrate!` embeds the migration files at compile time; without this, adding a migration to a cached
// build (the CI target directory is reused) would not rebuild the crate and the new migration would be missing.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
