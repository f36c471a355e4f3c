//! Versioned migrations, from an empty file and from every earlier version.

use withings_sync::schema::{CURRENT_VERSION, ColumnType};
use withings_sync::{SqliteStore, TableDef, Value};

use crate::support::{TempDir, count};

/// Rows a database of each earlier version holds, written with that version's schema, to
/// check a migration keeps them. `SEEDS[v]` is run on a database at version `v` (0: an empty
/// file, nothing to keep). A new version adds the seed of the version before it.
const SEEDS: &[&str] = &[""];

/// What each seed must still read after migrating (`SELECT COUNT(*)` per table).
const KEPT: &[&[(&str, i64)]] = &[&[]];

#[test]
fn every_earlier_version_has_a_seed() {
    assert_eq!(SEEDS.len(), CURRENT_VERSION as usize);
    assert_eq!(KEPT.len(), CURRENT_VERSION as usize);
}

#[test]
fn a_database_of_every_earlier_version_migrates_to_the_current_schema() {
    for from in 0..CURRENT_VERSION {
        let dir = TempDir::new();
        let path = dir.0.join("withings.db");
        SqliteStore::create_at_version(&path, from).unwrap();
        let seed = SEEDS[from as usize];
        if !seed.is_empty() {
            SqliteStore::run_script(&path, seed).unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            CURRENT_VERSION,
            "from v{from}"
        );
        assert_schema_is_described(&store);
        for (table, n) in KEPT[from as usize] {
            assert_eq!(count(&store, table), *n, "{table} from v{from}");
        }
        // Opening again runs nothing more.
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
    }
}

#[test]
fn an_empty_file_gets_the_current_schema() {
    let dir = TempDir::new();
    let path = dir.0.join("withings.db");
    std::fs::write(&path, b"").unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
    assert_schema_is_described(&store);
}

#[test]
fn a_database_of_a_newer_version_is_refused() {
    let dir = TempDir::new();
    let path = dir.0.join("withings.db");
    SqliteStore::create_at_version(&path, CURRENT_VERSION).unwrap();
    SqliteStore::run_script(
        &path,
        &format!("PRAGMA user_version = {}", CURRENT_VERSION + 1),
    )
    .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, withings_sync::Error::NewerSchema { found, .. } if found == CURRENT_VERSION + 1),
        "{err}"
    );
}

/// The migrated tables have exactly the columns the schema description gives: user_id,
/// the data columns in order with their types and NOT NULLs, synced_at.
fn assert_schema_is_described(store: &SqliteStore) {
    for table in TableDef::all() {
        let got = withings_sync::table_columns(store, table.name).unwrap();
        let mut want = vec![("user_id".to_owned(), "TEXT".to_owned(), true)];
        want.extend(table.columns.iter().map(|c| {
            (
                c.name.to_owned(),
                withings_sync::sql_type(c.ty).to_owned(),
                !c.nullable,
            )
        }));
        want.push(("synced_at".to_owned(), "BIGINT".to_owned(), true));
        assert_eq!(got, want, "table {}", table.name);
        assert!(
            table
                .key
                .iter()
                .all(|k| table.columns.iter().any(|c| c.name == *k && !c.nullable)),
            "{}: a key column may be NULL",
            table.name
        );
    }
    let _ = (ColumnType::Int, Value::Null);
}
