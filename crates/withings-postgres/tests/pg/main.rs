//! PostgreSQL tests: each starts a throwaway cluster (skipped loudly without the binaries,
//! failing when `CI` is set).

mod cipher;
mod db;
mod limiter;
mod oauth_state;
mod queue;
mod store;
mod tokens;
