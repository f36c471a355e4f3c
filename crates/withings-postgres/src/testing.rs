//! A throwaway PostgreSQL cluster for tests: every PostgreSQL test in the workspace uses it.
//!
//! [`TestCluster::start`] runs `initdb` into a fresh temporary folder, starts the server on
//! a free loopback port with `pg_ctl`, and [`Drop`] stops it and removes the folder. As root
//! (CI runs as root, and PostgreSQL refuses to run as root) both run as the `postgres` user
//! through `runuser`. The binaries are looked up in `$WITHINGS_PG_BIN`, then in
//! `/usr/lib/postgresql/<newest>/bin` (Debian's `postgresql` package), then on `PATH`.
//!
//! Without the binaries, a test is skipped with a loud message naming the package to install
//! — unless `CI` is set: then missing binaries fail the run, so CI never passes by skipping.
//!
//! ```no_run
//! # async fn t() -> withings_postgres::Result<()> {
//! let Some(pg) = withings_postgres::testing::TestCluster::start() else { return Ok(()) };
//! let url = pg.database("t1")?;
//! let db = withings_postgres::Database::connect(&url, 4).await?;
//! db.migrate().await?;
//! # Ok(()) }
//! # let _ = t;
//! ```
#![allow(
    clippy::print_stderr,
    reason = "a skipped test must say so loudly, on the test's stderr"
)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Error, Result};

/// The package that provides the binaries on Debian and Ubuntu.
const PACKAGE: &str = "postgresql";

/// A running throwaway cluster; stopped and deleted when dropped.
#[derive(Debug)]
pub struct TestCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl TestCluster {
    /// Starts a cluster, or `None` (after a loud message on stderr) when the PostgreSQL
    /// binaries are not installed and `CI` is not set.
    ///
    /// # Panics
    /// When the binaries are missing and `CI` is set, or the cluster cannot start: a test
    /// that needs PostgreSQL then fails with the reason.
    #[must_use]
    #[allow(clippy::panic, reason = "a test helper: failing the test is the point")]
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "CI is set but the PostgreSQL server binaries (initdb, pg_ctl) are not installed: \
                     apt-get install {PACKAGE}, or set WITHINGS_PG_BIN to their folder"
                );
            }
            eprintln!(
                "\n*** SKIPPED: this test needs PostgreSQL's initdb and pg_ctl. Install the `{PACKAGE}` \
                 package (apt-get install {PACKAGE}) or set WITHINGS_PG_BIN. ***\n"
            );
            return None;
        };
        match Self::start_with(bin) {
            Ok(c) => Some(c),
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts a cluster with the binaries in `bin`.
    ///
    /// # Errors
    /// [`Error::Cluster`] naming the step that failed and its output.
    pub fn start_with(bin: PathBuf) -> Result<Self> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "withings-pg-{}-{n}-{:08x}",
            std::process::id(),
            random_u32()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Cluster(format!("cannot create {}: {e}", dir.display())))?;
        let as_postgres = is_root();
        // From here on, Drop cleans up whatever was made.
        let mut cluster = Self {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        if as_postgres {
            run(
                Command::new("chown").arg("postgres:").arg(&cluster.dir),
                "chown",
            )?;
        }
        let data = cluster.dir.join("data");
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        // A free port: bind port 0, read it, let it go; a rare race is retried.
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            match cluster.pg_start(port) {
                Ok(()) => {
                    cluster.port = port;
                    return Ok(cluster);
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(Error::Cluster(last))
    }

    /// Starts the server of the initialised cluster on `port`.
    fn pg_start(&self, port: u16) -> Result<()> {
        let data = self.dir.join("data");
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .map_err(|e| {
            Error::Cluster(format!(
                "{e}\nserver log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ))
        })
    }

    /// Stops the server (fast shutdown: open connections are cut), keeping its data: for
    /// tests of what happens while the database is unavailable. [`resume`](Self::resume)
    /// starts it again on the same port.
    ///
    /// # Errors
    /// [`Error::Cluster`] when `pg_ctl stop` fails.
    pub fn pause(&self) -> Result<()> {
        let data = self.dir.join("data");
        self.pg(
            "pg_ctl",
            &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"],
        )
    }

    /// Starts the server again after [`pause`](Self::pause), on the same port.
    ///
    /// # Errors
    /// [`Error::Cluster`] when it does not start (the port was taken meanwhile, say).
    pub fn resume(&self) -> Result<()> {
        self.pg_start(self.port)
    }

    /// The port the server listens on (127.0.0.1).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the `postgres` database, as the superuser `postgres`.
    #[must_use]
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// Creates the database `name` and returns its URL.
    ///
    /// # Errors
    /// [`Error::Cluster`] when `createdb` fails (e.g. the name is taken).
    pub fn database(&self, name: &str) -> Result<String> {
        let port = self.port.to_string();
        run(
            Command::new(self.bin.join("createdb")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                name,
            ]),
            "createdb",
        )?;
        Ok(self.url_of(name))
    }

    fn url_of(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs a server binary, as `postgres` when we are root.
    fn pg(&self, program: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).current_dir(&self.dir);
        run(&mut cmd, program)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.dir.join("data");
            let _ = self.pg(
                "pg_ctl",
                &[
                    "-D",
                    &data.to_string_lossy(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
#[must_use]
pub fn find_bin() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("WITHINGS_PG_BIN").map(PathBuf::from) {
        return has(&d).then_some(d);
    }
    // Debian: /usr/lib/postgresql/<major>/bin, newest first.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    if let Some((_, d)) = versions.into_iter().find(|(_, d)| has(d)) {
        return Some(d);
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has(d))
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out: Output = cmd
        .output()
        .map_err(|e| Error::Cluster(format!("cannot run {what}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::Cluster(format!(
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Cluster(format!("no free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Cluster(format!("no free port: {e}")))
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Only a folder name: a failure leaves zeros and the counter still tells them apart.
    let _ = getrandom::getrandom(&mut b);
    u32::from_le_bytes(b)
}
