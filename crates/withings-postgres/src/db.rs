//! The connection pool and the schema migrations.

use std::fmt;
use std::str::FromStr;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::{Error, Result, fleet_schema};

/// The advisory lock every process takes to migrate: five processes starting at once run
/// each migration exactly once. ("withings" in ASCII.)
const MIGRATE_LOCK: i64 = 0x7769_7468_696e_6773;

/// The longest a task waits for a free connection of the pool.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// The longest opening a new connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A set of tables migrated on its own, with its version in `schema_versions`.
struct Track {
    name: &'static str,
    scripts: &'static [&'static str],
}

/// The sync tables (the same frozen scripts as the SQLite store) and the fleet's.
fn tracks() -> [Track; 2] {
    [
        Track {
            name: "sync",
            scripts: withings_sync::schema::MIGRATIONS,
        },
        Track {
            name: "fleet",
            scripts: fleet_schema::MIGRATIONS,
        },
    ]
}

/// A pool of connections to one PostgreSQL database. Cheap to clone (clones share the pool).
///
/// Plain TCP or a Unix socket, without TLS: run it on loopback, a socket or a private
/// network (see docs/scaling.md).
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// A pool of at most `max_connections` connections to `url`
    /// (`postgres://user:password@host:port/database`, or the key-value form), checked by
    /// opening one connection.
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed URL, [`Error::Connect`] when the server cannot be
    /// reached or refuses the login.
    pub async fn connect(url: &str, max_connections: usize) -> Result<Self> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| Error::Config(format!("database URL: {e}")))?;
        let shown = describe(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // Fast: a connection the server closed fails on first use and the pool
                // drops it; the statements here are short, so one failed use is cheap.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            // Bounded waits: an exhausted pool or an unreachable server is an error the
            // caller can report and retry, never a task parked forever.
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        let db = Self { pool, shown };
        drop(db.client().await?);
        Ok(db)
    }

    /// A connection from the pool (back to the pool when dropped).
    ///
    /// # Errors
    /// [`Error::Connect`] when no connection can be opened.
    pub async fn client(&self) -> Result<Object> {
        self.pool
            .get()
            .await
            .map_err(|e| Error::Connect(format!("{}: {}", self.shown, Error::from(e))))
    }

    /// Brings every table (the sync store's and the fleet's) to this build's version, in one
    /// transaction under an advisory lock.
    ///
    /// # Errors
    /// [`Error::NewerSchema`] for a database migrated by a newer build; [`Error::Database`].
    pub async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_versions (track TEXT PRIMARY KEY, version INTEGER NOT NULL)",
        )
        .await?;
        for track in tracks() {
            let found: i32 = tx
                .query_opt(
                    "SELECT version FROM schema_versions WHERE track = $1",
                    &[&track.name],
                )
                .await?
                .map_or(Ok(0), |row| row.try_get(0))?;
            let supported = version_of(&track);
            if found > supported {
                return Err(Error::NewerSchema {
                    track: track.name,
                    found,
                    supported,
                });
            }
            let from = usize::try_from(found).unwrap_or_default();
            for script in track.scripts.iter().skip(from) {
                tx.batch_execute(script).await?;
            }
            tx.execute(
                "INSERT INTO schema_versions (track, version) VALUES ($1, $2) \
                 ON CONFLICT (track) DO UPDATE SET version = EXCLUDED.version",
                &[&track.name, &supported],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the database answers and its tables are at this build's versions: the
    /// server's readiness check.
    ///
    /// # Errors
    /// [`Error::Connect`] or [`Error::Database`] when it does not answer;
    /// [`Error::Corrupt`] when a set of tables is not at this build's version.
    pub async fn ready(&self) -> Result<()> {
        let client = self.client().await?;
        for track in tracks() {
            let found: Option<i32> = client
                .query_opt(
                    "SELECT version FROM schema_versions WHERE track = $1",
                    &[&track.name],
                )
                .await?
                .map(|row| row.try_get(0))
                .transpose()?;
            let supported = version_of(&track);
            if found != Some(supported) {
                return Err(Error::Corrupt(format!(
                    "the {} tables are at version {}, this build needs {supported}: run the migration",
                    track.name,
                    found.map_or_else(|| "none".to_owned(), |v| v.to_string())
                )));
            }
        }
        Ok(())
    }
}

fn version_of(track: &Track) -> i32 {
    i32::try_from(track.scripts.len()).unwrap_or(i32::MAX)
}

/// `user@host:port/dbname`, never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map_or_else(String::new, |h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        });
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}
