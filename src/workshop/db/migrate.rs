//! The schema's migrations, embedded in the binary and run at startup (sqlx's migrator: a
//! table of applied versions with checksums, a lock so replicas starting together run each
//! migration once).

use std::borrow::Cow;

use anyhow::Context as _;
use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// (version, description, SQL), in order.
const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "workshops", include_str!("migrations/0001_workshops.sql")), (2, "unique learner names", include_str!("migrations/0002_unique_learner_names.sql"))];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS.iter().map(|(v, d, sql)| Migration::new(*v, Cow::Borrowed(*d), MigrationType::Simple, Cow::Borrowed(*sql), false)).collect())
        })
    }
}

async fn migrator() -> anyhow::Result<Migrator> {
    Migrator::new(Embedded).await.context("loading the embedded migrations")
}

pub async fn run_sqlite(pool: &sqlx::SqlitePool) -> anyhow::Result<()> {
    migrator().await?.run(pool).await.context("migrating the SQLite database")
}

pub async fn run_postgres(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    migrator().await?.run(pool).await.context("migrating the PostgreSQL database")
}
