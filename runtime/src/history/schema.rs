//! Opening the database: connection settings, the checks that keep Warden
//! away from files it does not own, and the forward-only migrations.
//!
//! The schema version lives in `PRAGMA user_version`; `PRAGMA
//! application_id` marks the file as a Warden run history. A database of a
//! newer schema, or one that is not a Warden run history, is refused before
//! anything is written to it (not even the switch to WAL mode).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::HistoryError;

/// `PRAGMA application_id` of a Warden run history: "WRDN".
pub const APPLICATION_ID: i32 = 0x5752_444E;

/// How long a statement waits for another connection's lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest WAL file kept after a checkpoint, in bytes.
const JOURNAL_SIZE_LIMIT: i64 = 64 << 20;

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only:
/// never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: runs, their Canvas requests, and the scheduler's last firing per job.
    r#"
    CREATE TABLE runs (
        run_id       TEXT PRIMARY KEY NOT NULL,
        job          TEXT NOT NULL,
        scheduled_at INTEGER,
        started_at   INTEGER NOT NULL,
        ended_at     INTEGER,
        status       TEXT NOT NULL,
        exit_code    INTEGER,
        error        TEXT,
        requests     INTEGER NOT NULL DEFAULT 0,
        denials      INTEGER NOT NULL DEFAULT 0,
        invalid      INTEGER NOT NULL DEFAULT 0,
        stdout_tail  TEXT NOT NULL DEFAULT '',
        stderr_tail  TEXT NOT NULL DEFAULT '',
        attempt      INTEGER NOT NULL DEFAULT 0,
        "trigger"    TEXT NOT NULL
    );
    CREATE INDEX runs_by_job ON runs (job, started_at, run_id);
    CREATE INDEX runs_by_start ON runs (started_at, run_id);
    CREATE INDEX runs_running ON runs (run_id) WHERE status = 'running';

    CREATE TABLE requests (
        run_id      TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        method      TEXT NOT NULL,
        target      TEXT NOT NULL,
        scope       TEXT,
        status      INTEGER,
        outcome     TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;

    CREATE TABLE fires (
        job       TEXT PRIMARY KEY NOT NULL,
        last_fire INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 2: the governor's hold time per run, the admin activity log, jobs
    // suspended from the dashboard, and an index for filtered run lists.
    r#"
    ALTER TABLE runs ADD COLUMN held_ms INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX runs_by_job_status ON runs (job, status, started_at);

    CREATE TABLE activity (
        id      TEXT PRIMARY KEY NOT NULL,
        at      INTEGER NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        job     TEXT,
        run_id  TEXT,
        outcome TEXT NOT NULL
    );
    CREATE INDEX activity_by_at ON activity (at, id);

    CREATE TABLE suspensions (
        job TEXT PRIMARY KEY NOT NULL,
        at  INTEGER NOT NULL,
        by  TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
];

/// The schema version this Warden writes and the newest it reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Configures a freshly opened connection and brings its schema up to
/// [`SCHEMA_VERSION`].
pub(super) fn prepare(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let open_err = |source| HistoryError::Open {
        path: path.to_path_buf(),
        source,
    };
    // Read-only checks first: nothing below may write to a file we refuse.
    check_ours(conn, path)?;

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(HistoryError::NoWal {
            path: path.to_path_buf(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .and_then(|()| conn.pragma_update(None, "foreign_keys", "ON"))
        .and_then(|()| conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT))
        .map_err(open_err)?;

    migrate(conn, path)
}

/// Configures a connection opened read-only: the same ownership checks as
/// [`prepare`], and the schema must be this Warden's, since a read-only
/// connection cannot migrate.
pub(super) fn prepare_read_only(conn: &Connection, path: &Path) -> Result<(), HistoryError> {
    let version = check_ours(conn, path)?;
    if version < SCHEMA_VERSION {
        return Err(HistoryError::OlderSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Sets the busy timeout and checks, reading only, that the file is a
/// Warden run history (or empty) of a schema this Warden reads. Returns
/// its schema version.
fn check_ours(conn: &Connection, path: &Path) -> Result<i64, HistoryError> {
    let open_err = |source| HistoryError::Open {
        path: path.to_path_buf(),
        source,
    };
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    let version = user_version(conn).map_err(open_err)?;
    check_version(version, path)?;
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(open_err)?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(open_err)?;
    let ours = match version {
        0 => application_id == 0 && objects == 0,
        _ => application_id == APPLICATION_ID,
    };
    if !ours {
        return Err(HistoryError::NotWarden {
            path: path.to_path_buf(),
            detail: if application_id != 0 && application_id != APPLICATION_ID {
                format!("its application id is {application_id:#010x}")
            } else {
                format!("it holds {objects} tables or indexes of something else")
            },
        });
    }
    Ok(version)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

fn check_version(version: i64, path: &Path) -> Result<(), HistoryError> {
    if version < 0 {
        return Err(HistoryError::NotWarden {
            path: path.to_path_buf(),
            detail: format!("its schema version is {version}"),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(HistoryError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies the missing migrations in one transaction, so a crash leaves the
/// old schema or the new one, never a mixture. Another process may have
/// migrated since the checks above; the version is read again under the
/// write lock.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|source| HistoryError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let version = user_version(&tx).map_err(|source| HistoryError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    check_version(version, path)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let migrate_err = |source| HistoryError::Migrate {
        path: path.to_path_buf(),
        from: version,
        to: SCHEMA_VERSION,
        source,
    };
    if version == 0 {
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(migrate_err)?;
    }
    // `version` is within 0..SCHEMA_VERSION here, so the cast is exact.
    for sql in &MIGRATIONS[version as usize..] {
        tx.execute_batch(sql).map_err(migrate_err)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(migrate_err)?;
    tx.commit().map_err(migrate_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::scratch;
    use crate::history::History;

    fn raw(path: &Path) -> Connection {
        Connection::open(path).unwrap()
    }

    #[test]
    fn open_creates_the_file_and_its_folders_in_wal_mode() {
        let dir = scratch("open-creates");
        let path = dir.join("var/lib/warden/warden.db");
        assert!(!path.parent().unwrap().exists());
        let history = History::open(&path).unwrap();
        assert!(path.is_file());
        assert_eq!(history.path(), path.as_path());

        let conn = raw(&path);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);

        // The per-connection settings of the handle itself.
        let conn = history.lock();
        let get =
            |name: &str| -> i64 { conn.pragma_query_value(None, name, |r| r.get(0)).unwrap() };
        assert_eq!(get("foreign_keys"), 1);
        assert_eq!(get("synchronous"), 1, "NORMAL");
        assert_eq!(get("busy_timeout"), 5000);
    }

    #[test]
    fn reopening_runs_no_migration_twice() {
        let dir = scratch("reopen-schema");
        let path = dir.join("warden.db");
        drop(History::open(&path).unwrap());
        drop(History::open(&path).unwrap());
        let conn = raw(&path);
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            ["activity", "fires", "requests", "runs", "suspensions"]
        );
    }

    #[test]
    fn a_schema_1_history_gains_the_activity_log_and_keeps_its_runs() {
        let dir = scratch("schema-1");
        let path = dir.join("warden.db");
        {
            let conn = raw(&path);
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(
                "INSERT INTO runs (run_id, job, started_at, status, \"trigger\")
                 VALUES ('r1', 'sync', 1000, 'succeeded', 'schedule');",
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let history = History::open(&path).unwrap();
        let run = history.run("r1").unwrap().unwrap();
        assert_eq!((run.job.as_str(), run.held_ms), ("sync", 0));
        assert!(history.activity(10).unwrap().is_empty());
        assert!(history.suspensions().unwrap().is_empty());
        drop(history);
        assert_eq!(user_version(&raw(&path)).unwrap(), 2);
    }

    /// Made by a "newer Warden": our application id, a later version, and a
    /// rollback journal (so switching it to WAL would change the header).
    fn newer_database(path: &Path, version: i64) {
        let conn = raw(path);
        conn.execute_batch(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, shiny TEXT);
             INSERT INTO runs VALUES ('r1', 'from the future');",
        )
        .unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    #[test]
    fn a_newer_schema_is_refused_and_the_file_is_left_unchanged() {
        let dir = scratch("newer-schema");
        let path = dir.join("warden.db");
        newer_database(&path, 3);
        let before = std::fs::read(&path).unwrap();

        let error = History::open(&path).expect_err("refused");
        assert!(matches!(
            error,
            HistoryError::NewerSchema {
                found: 3,
                supported: 2,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            format!(
                "run history {} was written by a newer Warden (schema 3; this one reads up to 2); refusing to touch it",
                path.display()
            )
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let conn = raw(&path);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }

    #[test]
    fn a_newer_schema_written_in_wal_mode_is_refused_unchanged() {
        let dir = scratch("newer-schema-wal");
        let path = dir.join("warden.db");
        {
            let history = History::open(&path).unwrap();
            history
                .set_last_fire(
                    "nightly",
                    chrono::DateTime::from_timestamp_millis(1).unwrap(),
                )
                .unwrap();
        }
        raw(&path)
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            History::open(&path),
            Err(HistoryError::NewerSchema { .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_database_of_something_else_is_refused_unchanged() {
        let dir = scratch("not-warden");
        let path = dir.join("other.db");
        raw(&path)
            .execute_batch("CREATE TABLE accounts (id INTEGER PRIMARY KEY);")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let error = History::open(&path).expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!(
                "{} is not a Warden run history (it holds 1 tables or indexes of something else); refusing to touch it",
                path.display()
            )
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);

        let path = dir.join("app.db");
        raw(&path).pragma_update(None, "application_id", 7).unwrap();
        let error = History::open(&path).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("its application id is 0x00000007"),
            "{error}"
        );

        let path = dir.join("negative.db");
        raw(&path).pragma_update(None, "user_version", -1).unwrap();
        let error = History::open(&path).expect_err("refused");
        assert!(
            error.to_string().contains("(its schema version is -1)"),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_unchanged() {
        let dir = scratch("not-sqlite");
        let path = dir.join("warden.db");
        let text = b"this is a text file, not a database\n".repeat(100);
        std::fs::write(&path, &text).unwrap();
        let error = History::open(&path).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("cannot open run history {}: ", path.display())),
            "{message}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), text);
    }

    #[test]
    fn a_folder_that_cannot_be_created_is_named() {
        let dir = scratch("no-folder");
        let blocker = dir.join("file");
        std::fs::write(&blocker, "x").unwrap();
        let path = blocker.join("sub/warden.db");
        let error = History::open(&path).expect_err("refused");
        assert!(
            error.to_string().starts_with(&format!(
                "cannot create the folder of run history {}: ",
                path.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn read_only_opening_needs_no_write_lock_and_writes_nothing() {
        let dir = scratch("read-only-locked");
        let path = dir.join("warden.db");
        let history = History::open(&path).unwrap();
        history
            .record_skipped(
                "j",
                "2026-01-01T00:00:00Z".parse().unwrap(),
                "x",
                "2026-01-01T00:00:00Z".parse().unwrap(),
            )
            .unwrap();
        drop(history);
        // Another process holds the write lock, as `warden serve` does
        // while it writes.
        let mut holder = raw(&path);
        let lock = holder
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let started = std::time::Instant::now();
        let reader = History::open_read_only(&path).unwrap();
        assert_eq!(reader.runs(None, 10).unwrap().len(), 1);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "waited {:?} for the lock",
            started.elapsed()
        );
        // It cannot write.
        assert!(reader
            .set_last_fire("j", "2026-01-01T00:00:00Z".parse().unwrap())
            .is_err());
        drop(lock);
    }

    #[test]
    fn read_only_opening_creates_nothing() {
        let dir = scratch("read-only-missing");
        let path = dir.join("sub/warden.db");
        let error = History::open_read_only(&path).expect_err("no file");
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot open run history {}: ", path.display())),
            "{error}"
        );
        assert!(!dir.join("sub").exists());
    }

    #[test]
    fn read_only_opening_of_an_older_schema_says_how_to_upgrade() {
        let dir = scratch("read-only-older");
        let path = dir.join("warden.db");
        // An empty SQLite file: schema 0, as a Warden that has not
        // migrated it yet would find it.
        raw(&path)
            .execute_batch("PRAGMA user_version = 0;")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let error = History::open_read_only(&path).expect_err("too old");
        assert_eq!(
            error.to_string(),
            format!(
                "run history {} has schema 0, older than this Warden's {SCHEMA_VERSION}; `warden serve` or `warden run` upgrades it (read-only commands never write)",
                path.display()
            )
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // Newer and foreign files are refused as by `open`.
        newer_database(&path, SCHEMA_VERSION + 1);
        assert!(matches!(
            History::open_read_only(&path),
            Err(HistoryError::NewerSchema { .. })
        ));
    }
}
