// The state schema as an ordered list of migrations; PRAGMA user_version records how many have run.
// Append new migrations at the end; never edit one that has shipped.

export const APPLICATION_ID = 0x50_53_4e_43; // "PSNC": marks a SQLite file as pinsync's own

export const MIGRATIONS: readonly string[] = [
  // 1: runs, their acknowledged/failed batches, and per-list mirror snapshots (hashed records only).
  `
  CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    run_key          TEXT    NOT NULL,
    profile          TEXT    NOT NULL,
    command          TEXT    NOT NULL,
    operation        TEXT    NOT NULL,
    resumable        INTEGER NOT NULL,
    input_name       TEXT,
    ad_account_id    TEXT,
    audience         TEXT,
    audience_id      TEXT,
    audience_name    TEXT,
    customer_list_id TEXT,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 1,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    exit_code        INTEGER,
    report_json      TEXT
  );
  CREATE INDEX runs_by_key ON runs (run_key, id);

  CREATE TABLE batches (
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_line       INTEGER NOT NULL,
    last_line        INTEGER NOT NULL,
    records          INTEGER NOT NULL,
    lines            BLOB,
    state            TEXT    NOT NULL,
    first_attempt_at INTEGER NOT NULL,
    last_attempt_at  INTEGER NOT NULL,
    reason           TEXT,
    PRIMARY KEY (run_id, first_line, last_line)
  ) WITHOUT ROWID;

  CREATE TABLE snapshots (
    list_key         TEXT    PRIMARY KEY,
    generation       INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    run_id           INTEGER,
    taken_at         INTEGER NOT NULL
  );

  CREATE TABLE snapshot_members (
    generation       INTEGER NOT NULL,
    hash             BLOB    NOT NULL,
    PRIMARY KEY (generation, hash)
  ) WITHOUT ROWID;
  `,
  // 2: records_v2 snapshots (API 5.28): each identifier's field (E email, M maid, P phone; NULL for a
  // plain record) and the input line of the user it belonged to, and a fingerprint per user row, so a
  // sync re-sends a row whose identifiers changed and removes a user who left as one row.
  `
  ALTER TABLE snapshot_members ADD COLUMN field TEXT;
  ALTER TABLE snapshot_members ADD COLUMN user_row INTEGER;
  CREATE TABLE snapshot_rows (
    generation       INTEGER NOT NULL,
    fingerprint      BLOB    NOT NULL,
    PRIMARY KEY (generation, fingerprint)
  ) WITHOUT ROWID;
  `,
  // 3: match health: what Pinterest said of a run's list and audience once it had matched the upload
  // (on the next run of the list, or right after with --wait-ready), against the users the run synced.
  `
  CREATE TABLE audience_health (
    run_id           INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    checked_at       INTEGER NOT NULL,
    list_status      TEXT,
    audience_status  TEXT,
    audience_size    INTEGER,
    users_synced     INTEGER,
    warning          TEXT
  );
  `,
  // 4: the audiences each column-driven sync (--audience-column) filled, so that one no row names any
  // more is mirrored to empty. `scope` is the profile, ad account, column (and jobs file and job).
  // And the lock a run's live attempt holds when it shares one (a fan-out's, for all its audiences).
  `
  ALTER TABLE runs ADD COLUMN lock_key TEXT;
  CREATE TABLE segment_audiences (
    scope            TEXT    NOT NULL,
    list_key         TEXT    NOT NULL,
    ad_account_id    TEXT    NOT NULL,
    audience_id      TEXT,
    audience_name    TEXT    NOT NULL,
    PRIMARY KEY (scope, list_key)
  ) WITHOUT ROWID;
  `,
];
