//! `madoguchi migrate-to <postgres-url>`: copies an installation's SQLite database into a new, empty PostgreSQL
//! database, for a municipality that started small on SQLite and moves to PostgreSQL (issue 16).
//!
//! The steps, all in [`migrate_to`]:
//! 1. the target must be `postgres://` or `postgresql://`, and hold no rows in any table (nothing is ever
//!    overwritten; the rows the migrations themselves insert, [`SEEDED_BY_MIGRATIONS`], do not count);
//! 2. the PostgreSQL migrations are applied with the migrator the application uses ([`Db::connect`]);
//! 3. every table of the source (from `sqlite_master`, without sqlx's `_sqlx_migrations` and `sqlite_*`) is
//!    copied with every row, parents before children (foreign keys read from the PostgreSQL catalog), in one
//!    transaction on the target, each value converted by the target column's type;
//! 4. every sequence behind a serial or identity column is moved past the largest id copied, the row counts
//!    are compared with the source's inside the same transaction, and only then is it committed.
//!
//! Objects (attachments, issued PDFs) stay in the object store, which does not change.

use anyhow::{Context, anyhow, bail};
use futures::TryStreamExt;
use madoguchi_kernel::db::{Db, redact};
use sqlx::postgres::{PgConnection, Postgres};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{Connection, QueryBuilder, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// Tables a migration fills with a fixed row, with a condition matching exactly those rows: such a table counts
/// as empty when it holds only them, and they are replaced by the source's rows.
pub const SEEDED_BY_MIGRATIONS: &[(&str, &str)] =
    &[("od_catalog_version", "id = 1 AND version = 0")];

/// Rows per INSERT statement (fewer for wide tables: PostgreSQL takes at most 65 535 parameters).
const BATCH_ROWS: usize = 500;

/// What was copied for one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub source_rows: i64,
    pub target_rows: i64,
}

/// The result of a migration: the tables in the order they were copied.
#[derive(Debug, Clone)]
pub struct Report {
    pub tables: Vec<TableCopy>,
    /// Tables that exist only in the target (a newer schema); they are left empty.
    pub target_only: Vec<String>,
}

impl Report {
    /// The per-table summary printed by the command.
    pub fn summary(&self) -> String {
        let width = self
            .tables
            .iter()
            .map(|t| t.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = format!(
            "{:<width$}  {:>10}  {:>10}\n",
            "table", "SQLite", "PostgreSQL"
        );
        for t in &self.tables {
            out.push_str(&format!(
                "{:<width$}  {:>10}  {:>10}\n",
                t.table, t.source_rows, t.target_rows
            ));
        }
        let total: i64 = self.tables.iter().map(|t| t.target_rows).sum();
        out.push_str(&format!(
            "{} 表、{} 行を移しました（行数はすべて一致） / {} tables, {} rows copied (all row counts match)\n",
            self.tables.len(),
            total,
            self.tables.len(),
            total
        ));
        if !self.target_only.is_empty() {
            out.push_str(&format!(
                "移行先だけにある表（空のまま）/ tables only in the target (left empty): {}\n",
                self.target_only.join(", ")
            ));
        }
        out.push_str(
            "添付ファイルと交付文書（PDF）はオブジェクトストアにあり、移行では変わりません。storage_url（空なら data_dir/objects）はそのままにしてください。\n\
             Attachments and issued PDFs are in the object store, which this does not change: keep storage_url (empty: data_dir/objects) as it is.\n",
        );
        out
    }
}

/// Copies the SQLite database at `source_url` (`sqlite://…`, the configured `database_url`) into the empty
/// PostgreSQL database at `target_url`. Nothing is written to the target unless every table copies and every
/// row count matches; the source is only read.
pub async fn migrate_to(source_url: &str, target_url: &str) -> anyhow::Result<Report> {
    if !(target_url.starts_with("postgres://") || target_url.starts_with("postgresql://")) {
        bail!(
            "移行先は PostgreSQL の URL（postgres:// または postgresql://）で指定してください: {}\n\
             The target must be a PostgreSQL URL (postgres:// or postgresql://), not {}",
            redact(target_url),
            redact(target_url)
        );
    }
    if !source_url.starts_with("sqlite:") {
        bail!(
            "移行元の database_url が SQLite ではありません（{}）。migrate-to は設定の database_url にある SQLite データベースを読みます。\n\
             The configured database_url is not SQLite ({}): migrate-to reads the SQLite database named by database_url",
            redact(source_url),
            redact(source_url)
        );
    }
    let options = SqliteConnectOptions::from_str(source_url)
        .with_context(|| format!("database_url {source_url}"))?
        .create_if_missing(false);
    let mut src = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| {
            format!(
                "移行元の SQLite データベースを開けません / cannot open the source SQLite database (database_url = {source_url})"
            )
        })?;
    let mut dst = PgConnection::connect(target_url).await.with_context(|| {
        format!(
            "移行先の PostgreSQL に接続できません / cannot connect to the target {}",
            redact(target_url)
        )
    })?;

    // 1. Never overwrite: refuse before the migrations touch a database that holds anything.
    refuse_unless_empty(&mut dst, target_url).await?;
    // 2. The application's own migrator.
    let db = Db::connect(target_url).await.with_context(|| {
        format!(
            "移行先へのマイグレーションに失敗しました / applying the PostgreSQL migrations to {} failed",
            redact(target_url)
        )
    })?;
    db.close().await;

    // 3. The source's tables, read in one transaction (one snapshot, even if something still writes).
    let mut src = src.begin().await?;
    let source_tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'
           AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .fetch_all(&mut *src)
    .await?;
    let target_tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut dst)
    .await?
    .into_iter()
    .collect();
    if let Some(missing) = source_tables.iter().find(|t| !target_tables.contains(*t)) {
        bail!(
            "移行元の表「{missing}」が移行先の PostgreSQL にありません。このバージョンの madoguchi のデータベースではない可能性があります。\n\
             The source table {missing} has no counterpart in the target PostgreSQL database (is the SQLite database from this version of madoguchi?)"
        );
    }
    let order = dependency_order(&mut dst, &source_tables).await?;

    let mut tx = dst.begin().await?;
    // The same check inside the transaction, right before writing (someone may have started the service on it).
    refuse_unless_empty(&mut tx, target_url).await?;
    let mut report = Report {
        tables: Vec::new(),
        target_only: target_tables
            .iter()
            .filter(|t| !source_tables.contains(t))
            .cloned()
            .collect(),
    };
    for table in &order {
        let copied = copy_table(&mut src, &mut tx, table).await?;
        report.tables.push(copied);
    }
    // 4. Sequences continue after the copied ids; counts must match before anything is committed.
    for table in &order {
        reset_sequences(&mut tx, table).await?;
    }
    for t in &mut report.tables {
        t.target_rows = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(&t.table)))
            .fetch_one(&mut *tx)
            .await?;
        if t.target_rows != t.source_rows {
            bail!(
                "表「{}」の行数が一致しません（SQLite {} 行、PostgreSQL {} 行）。何も書き込んでいません。\n\
                 Row counts differ for table {} (SQLite {}, PostgreSQL {}): nothing was committed",
                t.table,
                t.source_rows,
                t.target_rows,
                t.table,
                t.source_rows,
                t.target_rows
            );
        }
    }
    tx.commit().await?;
    src.rollback().await?;
    Ok(report)
}

/// Fails, naming the table, when any table of the target's schema holds a row (other than a migration's own).
async fn refuse_unless_empty(conn: &mut PgConnection, target_url: &str) -> anyhow::Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'
          ORDER BY table_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    for table in tables {
        let seeded = SEEDED_BY_MIGRATIONS
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, condition)| format!(" WHERE NOT ({condition})"))
            .unwrap_or_default();
        let has_rows: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {}{seeded})",
            quote(&table)
        ))
        .fetch_one(&mut *conn)
        .await?;
        if has_rows {
            bail!(
                "移行先のデータベースは空ではありません: 表「{table}」に行があります。上書きはしません。空のデータベースを指定してください（{}）。\n\
                 The target database is not empty: table {table} holds rows. Nothing is overwritten; give an empty database ({})",
                redact(target_url),
                redact(target_url)
            );
        }
    }
    Ok(())
}

/// The tables in an order where every table comes after the tables its foreign keys point to (PostgreSQL's
/// catalog); self-references are left to the rows' own order (by primary key).
async fn dependency_order(
    dst: &mut PgConnection,
    tables: &[String],
) -> anyhow::Result<Vec<String>> {
    let edges: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, parent.relname::text
           FROM pg_constraint c
           JOIN pg_class child ON child.oid = c.conrelid
           JOIN pg_class parent ON parent.oid = c.confrelid
          WHERE c.contype = 'f' AND child.relnamespace = current_schema()::text::regnamespace",
    )
    .fetch_all(&mut *dst)
    .await?;
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in &edges {
        if child != parent
            && parents.contains_key(parent.as_str())
            && let Some(p) = parents.get_mut(child.as_str())
        {
            p.insert(parent.as_str());
        }
    }
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < tables.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(t, ps)| !done.contains(*t) && ps.iter().all(|p| done.contains(p)))
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            let rest: Vec<&str> = parents
                .keys()
                .filter(|t| !done.contains(*t))
                .copied()
                .collect();
            bail!(
                "外部キーが循環していて、表をコピーする順番が決まりません: {}\n\
                 Foreign keys form a cycle among these tables, so no copy order exists: {}",
                rest.join(", "),
                rest.join(", ")
            );
        }
        for t in ready {
            done.insert(t);
            order.push(t.to_string());
        }
    }
    Ok(order)
}

/// A target column's type, as far as the copy needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int8,
    Int4,
    Int2,
    Text,
    Bool,
    Bytes,
    Float8,
    Float4,
}

struct Column {
    name: String,
    kind: Kind,
}

/// One value as SQLite stored it (its storage class, not the declared type).
enum Stored {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One value as it goes to PostgreSQL.
enum Value {
    Null(Kind),
    Int8(i64),
    Int4(i32),
    Int2(i16),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Float8(f64),
    Float4(f32),
}

async fn copy_table(
    src: &mut SqliteConnection,
    dst: &mut PgConnection,
    table: &str,
) -> anyhow::Result<TableCopy> {
    // Source columns and primary key (pk > 0 gives the key's column order).
    let source_columns: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid")
            .bind(table)
            .fetch_all(&mut *src)
            .await?;
    let target_columns: BTreeMap<String, (String, bool)> = sqlx::query_as::<_, (String, String, bool)>(
        "SELECT column_name::text, data_type::text, is_generated = 'ALWAYS'
           FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut *dst)
    .await?
    .into_iter()
    .map(|(name, ty, generated)| (name, (ty, generated)))
    .collect();
    let mut columns = Vec::new();
    for (name, _) in &source_columns {
        let Some((ty, generated)) = target_columns.get(name) else {
            bail!(
                "移行元の列「{table}.{name}」が移行先の PostgreSQL にありません。\n\
                 The source column {table}.{name} has no counterpart in the target PostgreSQL database"
            );
        };
        if *generated {
            continue;
        }
        let kind = match ty.as_str() {
            "bigint" => Kind::Int8,
            "integer" => Kind::Int4,
            "smallint" => Kind::Int2,
            "text" | "character varying" | "character" => Kind::Text,
            "boolean" => Kind::Bool,
            "bytea" => Kind::Bytes,
            "double precision" => Kind::Float8,
            "real" => Kind::Float4,
            other => bail!(
                "列「{table}.{name}」の型 {other} は移行できません（対応: bigint, integer, smallint, text, varchar, boolean, bytea, double precision, real）。\n\
                 Column {table}.{name} has type {other}, which migrate-to does not convert"
            ),
        };
        columns.push(Column {
            name: name.clone(),
            kind,
        });
    }
    let mut key: Vec<(&String, i64)> = source_columns
        .iter()
        .filter(|(_, pk)| *pk > 0)
        .map(|(n, pk)| (n, *pk))
        .collect();
    key.sort_by_key(|(_, pk)| *pk);
    let order_by: Vec<String> = if key.is_empty() {
        source_columns.iter().map(|(n, _)| quote(n)).collect()
    } else {
        key.iter().map(|(n, _)| quote(n)).collect()
    };
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns
            .iter()
            .map(|c| format!("{0}, typeof({0})", quote(&c.name)))
            .collect::<Vec<_>>()
            .join(", "),
        quote(table),
        order_by.join(", ")
    );
    let source_rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quote(table)))
        .fetch_one(&mut *src)
        .await?;

    // Rows the migrations inserted are replaced by the source's.
    if let Some((_, condition)) = SEEDED_BY_MIGRATIONS.iter().find(|(t, _)| *t == table) {
        sqlx::query(&format!("DELETE FROM {} WHERE {condition}", quote(table)))
            .execute(&mut *dst)
            .await?;
    }

    let per_batch = (60_000 / columns.len().max(1)).clamp(1, BATCH_ROWS);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    let mut rows = sqlx::query(&select).fetch(&mut *src);
    let mut row_number = 0i64;
    while let Some(row) = rows.try_next().await? {
        row_number += 1;
        let mut values = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let stored = stored(&row, i * 2, i * 2 + 1)?;
            values.push(convert(stored, c.kind).map_err(|why| {
                anyhow!(
                    "表「{table}」の {row_number} 行目、列「{}」の値を変換できません: {why}\n\
                     Cannot convert the value of {table}.{} in row {row_number}: {why}",
                    c.name,
                    c.name
                )
            })?);
        }
        batch.push(values);
        if batch.len() == per_batch {
            insert(&mut *dst, table, &columns, &mut batch).await?;
        }
    }
    drop(rows);
    if !batch.is_empty() {
        insert(&mut *dst, table, &columns, &mut batch).await?;
    }
    Ok(TableCopy {
        table: table.to_string(),
        source_rows,
        target_rows: row_number,
    })
}

fn stored(row: &SqliteRow, value: usize, storage: usize) -> anyhow::Result<Stored> {
    let class: String = row.try_get(storage)?;
    Ok(match class.as_str() {
        "null" => Stored::Null,
        "integer" => Stored::Integer(row.try_get(value)?),
        "real" => Stored::Real(row.try_get(value)?),
        "text" => Stored::Text(row.try_get(value)?),
        _ => Stored::Blob(row.try_get(value)?),
    })
}

/// Converts one stored SQLite value to the target column's type; the error says why, for the caller to name
/// the table, column and row.
fn convert(stored: Stored, kind: Kind) -> Result<Value, String> {
    let integer = |s: &Stored| -> Result<i64, String> {
        match s {
            Stored::Integer(v) => Ok(*v),
            // SQLite keeps what it was given: an integer written as text stays text in an untyped column.
            Stored::Text(t) => t
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("整数ではありません / not an integer: {t:?}")),
            Stored::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
            Stored::Real(f) => Err(format!("整数ではありません / not an integer: {f}")),
            Stored::Blob(_) => {
                Err("バイナリを整数にはできません / a blob is not an integer".into())
            }
            Stored::Null => unreachable!(),
        }
    };
    if let Stored::Null = stored {
        return Ok(Value::Null(kind));
    }
    Ok(match kind {
        Kind::Int8 => Value::Int8(integer(&stored)?),
        Kind::Int4 => {
            let v = integer(&stored)?;
            Value::Int4(
                i32::try_from(v)
                    .map_err(|_| format!("integer の範囲外 / out of range for integer: {v}"))?,
            )
        }
        Kind::Int2 => {
            let v = integer(&stored)?;
            Value::Int2(
                i16::try_from(v)
                    .map_err(|_| format!("smallint の範囲外 / out of range for smallint: {v}"))?,
            )
        }
        Kind::Text => Value::Text(match stored {
            Stored::Text(t) => t,
            Stored::Integer(v) => v.to_string(),
            Stored::Real(f) => f.to_string(),
            Stored::Blob(b) => String::from_utf8(b).map_err(|_| {
                "UTF-8 の文字列ではありません / a blob that is not UTF-8 text".to_string()
            })?,
            Stored::Null => unreachable!(),
        }),
        // SQLite has no boolean: 0 and 1.
        Kind::Bool => Value::Bool(match stored {
            Stored::Integer(0) => false,
            Stored::Integer(1) => true,
            Stored::Text(t) => match t.trim() {
                "0" | "false" | "f" => false,
                "1" | "true" | "t" => true,
                _ => return Err(format!("真偽値ではありません / not a boolean: {t:?}")),
            },
            Stored::Integer(v) => {
                return Err(format!(
                    "真偽値は 0 か 1 です / a boolean is 0 or 1, not {v}"
                ));
            }
            _ => return Err("真偽値ではありません / not a boolean".into()),
        }),
        Kind::Bytes => Value::Bytes(match stored {
            Stored::Blob(b) => b,
            Stored::Text(t) => t.into_bytes(),
            _ => return Err("バイナリではありません / not binary data".into()),
        }),
        Kind::Float8 | Kind::Float4 => {
            let f = match stored {
                Stored::Real(f) => f,
                Stored::Integer(v) => v as f64,
                Stored::Text(t) => t
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("数値ではありません / not a number: {t:?}"))?,
                _ => return Err("数値ではありません / not a number".into()),
            };
            if kind == Kind::Float4 {
                Value::Float4(f as f32)
            } else {
                Value::Float8(f)
            }
        }
    })
}

async fn insert(
    dst: &mut PgConnection,
    table: &str,
    columns: &[Column],
    batch: &mut Vec<Vec<Value>>,
) -> anyhow::Result<()> {
    let mut q = QueryBuilder::<Postgres>::new(format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE ",
        quote(table),
        columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    q.push_values(batch.drain(..), |mut b, row| {
        for v in row {
            match v {
                Value::Null(Kind::Int8) => b.push_bind(None::<i64>),
                Value::Null(Kind::Int4) => b.push_bind(None::<i32>),
                Value::Null(Kind::Int2) => b.push_bind(None::<i16>),
                Value::Null(Kind::Text) => b.push_bind(None::<String>),
                Value::Null(Kind::Bool) => b.push_bind(None::<bool>),
                Value::Null(Kind::Bytes) => b.push_bind(None::<Vec<u8>>),
                Value::Null(Kind::Float8) => b.push_bind(None::<f64>),
                Value::Null(Kind::Float4) => b.push_bind(None::<f32>),
                Value::Int8(v) => b.push_bind(v),
                Value::Int4(v) => b.push_bind(v),
                Value::Int2(v) => b.push_bind(v),
                Value::Text(v) => b.push_bind(v),
                Value::Bool(v) => b.push_bind(v),
                Value::Bytes(v) => b.push_bind(v),
                Value::Float8(v) => b.push_bind(v),
                Value::Float4(v) => b.push_bind(v),
            };
        }
    });
    q.build().execute(&mut *dst).await.with_context(|| {
        format!("表「{table}」への書き込みに失敗しました / writing rows into table {table} failed")
    })?;
    Ok(())
}

/// Moves every sequence behind a serial or identity column of `table` so the next id follows the largest one.
async fn reset_sequences(dst: &mut PgConnection, table: &str) -> anyhow::Result<()> {
    let sequences: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, pg_get_serial_sequence(quote_ident($1), column_name::text)::text
           FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1
            AND pg_get_serial_sequence(quote_ident($1), column_name::text) IS NOT NULL",
    )
    .bind(table)
    .fetch_all(&mut *dst)
    .await?;
    for (column, sequence) in sequences {
        sqlx::query(&format!(
            "SELECT setval($1::regclass, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)",
            quote(&column),
            quote(table)
        ))
        .bind(&sequence)
        .execute(&mut *dst)
        .await
        .with_context(|| format!("sequence {sequence} of {table}.{column}"))?;
    }
    Ok(())
}

/// A double-quoted SQL identifier.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_booleans_and_text_integers_convert_deliberately() {
        assert!(matches!(
            convert(Stored::Integer(1), Kind::Bool),
            Ok(Value::Bool(true))
        ));
        assert!(matches!(
            convert(Stored::Integer(0), Kind::Bool),
            Ok(Value::Bool(false))
        ));
        assert!(convert(Stored::Integer(2), Kind::Bool).is_err());
        assert!(matches!(
            convert(Stored::Text(" 42".into()), Kind::Int8),
            Ok(Value::Int8(42))
        ));
        assert!(convert(Stored::Text("42a".into()), Kind::Int8).is_err());
        assert!(matches!(
            convert(Stored::Integer(7), Kind::Text),
            Ok(Value::Text(t)) if t == "7"
        ));
        assert!(convert(Stored::Integer(1 << 40), Kind::Int4).is_err());
        assert!(convert(Stored::Blob(vec![0xff]), Kind::Text).is_err());
        assert!(matches!(
            convert(Stored::Null, Kind::Int8),
            Ok(Value::Null(Kind::Int8))
        ));
    }
}
