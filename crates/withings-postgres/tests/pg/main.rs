//! PostgreSQL tests: each starts a throwaway cluster (skipped loudly without the binaries,
//! failing when `CI` is set).

mod db;
