//! The fleet's own tables (users, tokens, rate limit, jobs, OAuth states): the `fleet`
//! migration track.
//!
//! Every time column is unix seconds of the database clock, except `fleet_rate.slot_us`
//! (microseconds: the limiter spaces requests more finely than a second).

/// The migrations of the fleet tables, in order: `MIGRATIONS[v]` takes them from version
/// `v` to `v + 1`. Frozen once released; a change is a new entry.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1.
///
/// - `fleet_jobs_queued_key`: at most one *queued* job per (user, kind, appli), so a burst
///   of notifications merges into one job (`INSERT … ON CONFLICT … DO UPDATE`). `appli` is
///   folded with `COALESCE` because a unique index treats NULLs as distinct.
/// - `fleet_jobs_due`: what `claim` scans — queued jobs by due time, running ones by lease.
/// - `fleet_rate_slot`: the limiter reads the n-th latest booking.
const V1: &str = r"
CREATE TABLE fleet_users (
    userid TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('active', 'reauthorize', 'unlinked')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    status_reason TEXT,
    last_catchup_at BIGINT
);

CREATE TABLE fleet_tokens (
    userid TEXT PRIMARY KEY REFERENCES fleet_users (userid) ON DELETE CASCADE,
    access_token BYTEA NOT NULL,
    refresh_token BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    scope TEXT,
    key_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    refresh_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE fleet_rate (
    slot_us BIGINT NOT NULL
);
CREATE INDEX fleet_rate_slot ON fleet_rate (slot_us);

CREATE TABLE fleet_jobs (
    id BIGSERIAL PRIMARY KEY,
    userid TEXT NOT NULL,
    kind TEXT NOT NULL,
    appli INTEGER,
    start_at BIGINT,
    end_at BIGINT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'parked', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    lease_until BIGINT,
    worker TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    merged INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX fleet_jobs_queued_key ON fleet_jobs (userid, kind, (COALESCE(appli, -1)))
    WHERE state = 'queued';
CREATE INDEX fleet_jobs_due ON fleet_jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX fleet_jobs_lease ON fleet_jobs (lease_until) WHERE state = 'running';
CREATE INDEX fleet_jobs_user ON fleet_jobs (userid, state);

CREATE TABLE fleet_oauth_states (
    state TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    return_to TEXT
);
";

/// Version 2:
/// - `fleet_alive`: when each kind of process was last seen alive, so a server starting
///   after an outage knows its callback was unreachable and has the subscriptions checked
///   (Withings drops them after repeated failed deliveries, API notes §8);
/// - `fleet_users.last_ran_at`: when the user's last job ended (unix seconds, exact: a
///   cooldown of zero must not wait for the next whole second), for the queue's per-user
///   cooldown (Withings refuses the same request within 10 s with 601).
const V2: &str = r"
CREATE TABLE fleet_alive (
    name TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
ALTER TABLE fleet_users ADD COLUMN last_ran_at DOUBLE PRECISION;
";
