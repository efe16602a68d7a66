//! Reading columns the same way from SQLite and PostgreSQL rows.

use anyhow::Context as _;
use sqlx::Row as _;

pub trait RowExt {
    fn s(&self, column: &str) -> anyhow::Result<String>;
    fn os(&self, column: &str) -> anyhow::Result<Option<String>>;
    fn i(&self, column: &str) -> anyhow::Result<i64>;
    fn oi(&self, column: &str) -> anyhow::Result<Option<i64>>;
}

macro_rules! row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn s(&self, column: &str) -> anyhow::Result<String> {
                self.try_get(column).with_context(|| format!("reading column {column}"))
            }
            fn os(&self, column: &str) -> anyhow::Result<Option<String>> {
                self.try_get(column).with_context(|| format!("reading column {column}"))
            }
            fn i(&self, column: &str) -> anyhow::Result<i64> {
                self.try_get(column).with_context(|| format!("reading column {column}"))
            }
            fn oi(&self, column: &str) -> anyhow::Result<Option<i64>> {
                self.try_get(column).with_context(|| format!("reading column {column}"))
            }
        }
    };
}

row_ext!(sqlx::sqlite::SqliteRow);
row_ext!(sqlx::postgres::PgRow);
