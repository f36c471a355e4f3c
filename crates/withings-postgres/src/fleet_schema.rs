//! The fleet's own tables (users, tokens, rate limit, jobs, OAuth states): the `fleet`
//! migration track.

/// The migrations of the fleet tables, in order: `MIGRATIONS[v]` takes them from version
/// `v` to `v + 1`. Frozen once released; a change is a new entry.
pub const MIGRATIONS: &[&str] = &[];
