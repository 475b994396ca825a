//! What a manifest change grants or takes away: scopes, masquerading,
//! `[canvas.params]`, dry runs, the component pin, limits and environment,
//! so that a reviewer sees the new endpoints rather than a text diff.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::catalog;
use crate::manifest::{Limits, Manifest};
use crate::request::{granting_scope, ParamLimits};
use crate::scope::{Scope, ScopeSet};

/// Every grant-relevant change between two versions of a manifest, in a
/// fixed order: scopes added, scopes removed, then the other fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManifestDiff {
    pub changes: Vec<Change>,
}

impl ManifestDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes grant more, and how many take something away.
    pub fn counts(&self) -> (usize, usize) {
        let count = |d: Direction| self.changes.iter().filter(|c| c.direction() == d).count();
        (count(Direction::Grants), count(Direction::Removes))
    }
}

/// Whether a change lets the job do more, less, or something different.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `+`
    Grants,
    /// `-`
    Removes,
    /// `~`: neither more nor less, but different (other code, other
    /// settings the job reads).
    Changes,
}

/// How an `[env]` variable changed (values are not shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvChange {
    Added,
    Removed,
    Changed,
}

/// One grant-relevant change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ScopeAdded {
        scope: String,
        write: bool,
        /// One of the scopes Canvas defines.
        canvas: bool,
        /// Old scopes that already allow every form of it (it opens no new
        /// endpoint); empty when it opens something new.
        already: Vec<String>,
    },
    ScopeRemoved {
        scope: String,
        write: bool,
        /// New scopes that still allow every form of it.
        still: Vec<String>,
    },
    Masquerade {
        on: bool,
    },
    DryRun {
        on: bool,
    },
    /// A parameter that was free is now restricted to these values.
    ParamRestricted {
        name: String,
        values: Vec<String>,
    },
    /// A parameter that was restricted (to these values) is free.
    ParamUnrestricted {
        name: String,
        was: Vec<String>,
    },
    ParamValuesAdded {
        name: String,
        values: Vec<String>,
    },
    ParamValuesRemoved {
        name: String,
        values: Vec<String>,
    },
    /// `[job] sha256`: which build of the component gets the grants.
    Pin {
        old: Option<String>,
        new: Option<String>,
    },
    Component {
        old: PathBuf,
        new: PathBuf,
    },
    Limit {
        field: &'static str,
        old: String,
        new: String,
        grants: bool,
    },
    Env {
        key: String,
        change: EnvChange,
    },
    Name {
        old: String,
        new: String,
    },
}

impl Change {
    pub fn direction(&self) -> Direction {
        use Direction::*;
        match self {
            Change::ScopeAdded { .. }
            | Change::ParamUnrestricted { .. }
            | Change::ParamValuesAdded { .. } => Grants,
            Change::ScopeRemoved { .. }
            | Change::ParamRestricted { .. }
            | Change::ParamValuesRemoved { .. } => Removes,
            Change::Masquerade { on } => {
                if *on {
                    Grants
                } else {
                    Removes
                }
            }
            Change::DryRun { on } => {
                if *on {
                    Removes
                } else {
                    Grants
                }
            }
            Change::Pin { old, new } => match (old, new) {
                (Some(_), None) => Grants,
                (None, Some(_)) => Removes,
                _ => Changes,
            },
            Change::Limit { grants, .. } => {
                if *grants {
                    Grants
                } else {
                    Removes
                }
            }
            Change::Component { .. } | Change::Env { .. } | Change::Name { .. } => Changes,
        }
    }
}

fn quoted(values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    list.join(", ")
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.direction() {
            Direction::Grants => '+',
            Direction::Removes => '-',
            Direction::Changes => '~',
        };
        write!(f, "{sign} ")?;
        match self {
            Change::ScopeAdded {
                scope,
                write,
                canvas,
                already,
            } => {
                f.write_str(scope)?;
                if *write {
                    f.write_str(" (write)")?;
                }
                if !canvas {
                    f.write_str(" (not a Canvas scope)")?;
                }
                if !already.is_empty() {
                    write!(
                        f,
                        " (no new endpoint: already allowed by {})",
                        already.join(", ")
                    )?;
                }
                Ok(())
            }
            Change::ScopeRemoved {
                scope,
                write,
                still,
            } => {
                f.write_str(scope)?;
                if *write {
                    f.write_str(" (write)")?;
                }
                if !still.is_empty() {
                    write!(f, " (still allowed by {})", still.join(", "))?;
                }
                Ok(())
            }
            Change::Masquerade { on: true } => f.write_str(
                "masquerade = true: requests may carry as_user_id and act as other users",
            ),
            Change::Masquerade { on: false } => {
                f.write_str("masquerade = false: as_user_id is refused")
            }
            Change::DryRun { on: false } => {
                f.write_str("dry_run = false: writes are sent to Canvas")
            }
            Change::DryRun { on: true } => {
                f.write_str("dry_run = true: writes are checked and recorded, not sent")
            }
            Change::ParamRestricted { name, values } => {
                write!(f, "[canvas.params] {name} restricted to {}", quoted(values))
            }
            Change::ParamUnrestricted { name, was } => write!(
                f,
                "[canvas.params] {name} no longer restricted: any value (was {})",
                quoted(was)
            ),
            Change::ParamValuesAdded { name, values } => {
                write!(f, "[canvas.params] {name} also allows {}", quoted(values))
            }
            Change::ParamValuesRemoved { name, values } => {
                write!(
                    f,
                    "[canvas.params] {name} no longer allows {}",
                    quoted(values)
                )
            }
            Change::Pin {
                old: Some(_),
                new: None,
            } => f.write_str("sha256 pin removed: any build of the component gets these grants"),
            Change::Pin { old: None, .. } => {
                f.write_str("sha256 pinned: only that build of the component gets these grants")
            }
            Change::Pin { .. } => {
                f.write_str("sha256 changed: a different build of the component gets these grants")
            }
            Change::Component { old, new } => write!(
                f,
                "component {} -> {}: different code gets these grants",
                old.display(),
                new.display()
            ),
            Change::Limit {
                field, old, new, ..
            } => write!(f, "[limits] {field} {old} -> {new}"),
            Change::Env { key, change } => {
                let what = match change {
                    EnvChange::Added => "added",
                    EnvChange::Removed => "removed",
                    EnvChange::Changed => "changed",
                };
                write!(f, "[env] {key} {what}")
            }
            Change::Name { old, new } => write!(f, "[job] name {old} -> {new}"),
        }
    }
}

/// What changes from `old` to `new` that matters for what the job may do.
pub fn diff(old: &Manifest, new: &Manifest) -> ManifestDiff {
    let mut changes = Vec::new();
    let names =
        |set: &ScopeSet| -> BTreeSet<String> { set.iter().map(|s| s.to_string()).collect() };
    let (old_names, new_names) = (names(&old.scopes), names(&new.scopes));
    for scope in new.scopes.iter() {
        if !old_names.contains(scope.as_str()) {
            changes.push(Change::ScopeAdded {
                scope: scope.to_string(),
                write: scope.is_write(),
                canvas: catalog::is_canvas_scope(scope.as_str()),
                already: covering(&old.scopes, &old.params, scope),
            });
        }
    }
    for scope in old.scopes.iter() {
        if !new_names.contains(scope.as_str()) {
            changes.push(Change::ScopeRemoved {
                scope: scope.to_string(),
                write: scope.is_write(),
                still: covering(&new.scopes, &new.params, scope),
            });
        }
    }
    if old.masquerade != new.masquerade {
        changes.push(Change::Masquerade { on: new.masquerade });
    }
    if old.dry_run != new.dry_run {
        changes.push(Change::DryRun { on: new.dry_run });
    }
    params(old, new, &mut changes);
    if old.sha256 != new.sha256 {
        changes.push(Change::Pin {
            old: old.sha256.clone(),
            new: new.sha256.clone(),
        });
    }
    if old.component != new.component {
        changes.push(Change::Component {
            old: old.component.clone(),
            new: new.component.clone(),
        });
    }
    limits(&old.limits, &new.limits, &mut changes);
    let keys: BTreeSet<&String> = old.env.keys().chain(new.env.keys()).collect();
    for key in keys {
        let change = match (old.env.get(key), new.env.get(key)) {
            (None, Some(_)) => EnvChange::Added,
            (Some(_), None) => EnvChange::Removed,
            (Some(a), Some(b)) if a != b => EnvChange::Changed,
            _ => continue,
        };
        changes.push(Change::Env {
            key: key.clone(),
            change,
        });
    }
    if old.name != new.name {
        changes.push(Change::Name {
            old: old.name.to_string(),
            new: new.name.to_string(),
        });
    }
    ManifestDiff { changes }
}

/// The scopes of `set` that together allow every form of `scope` with
/// arbitrary values (checked with values no literal can equal, so a scope
/// that `[canvas.params]` narrows does not count); empty when some form is
/// not allowed.
fn covering(set: &ScopeSet, params: &ParamLimits, scope: &Scope) -> Vec<String> {
    let mut by = BTreeSet::new();
    for path in scope.example_paths("~1", "~a/~b") {
        for path in [path.clone(), format!("{path}.json")] {
            match granting_scope(set, params, scope.method(), &path) {
                Ok(s) => by.insert(s.to_string()),
                Err(_) => return Vec::new(),
            };
        }
    }
    by.into_iter().collect()
}

fn params(old: &Manifest, new: &Manifest, changes: &mut Vec<Change>) {
    let names: BTreeSet<&String> = old.params.keys().chain(new.params.keys()).collect();
    for name in names {
        match (old.params.get(name), new.params.get(name)) {
            (None, Some(values)) => changes.push(Change::ParamRestricted {
                name: name.clone(),
                values: values.clone(),
            }),
            (Some(was), None) => changes.push(Change::ParamUnrestricted {
                name: name.clone(),
                was: was.clone(),
            }),
            (Some(a), Some(b)) => {
                let added: Vec<String> = b.iter().filter(|v| !a.contains(v)).cloned().collect();
                let removed: Vec<String> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
                if !added.is_empty() {
                    changes.push(Change::ParamValuesAdded {
                        name: name.clone(),
                        values: added,
                    });
                }
                if !removed.is_empty() {
                    changes.push(Change::ParamValuesRemoved {
                        name: name.clone(),
                        values: removed,
                    });
                }
            }
            (None, None) => {}
        }
    }
}

fn limits(old: &Limits, new: &Limits, changes: &mut Vec<Change>) {
    let mut push = |field: &'static str, old: u128, new: u128, show: &dyn Fn(u128) -> String| {
        if old != new {
            changes.push(Change::Limit {
                field,
                old: show(old),
                new: show(new),
                grants: new > old,
            });
        }
    };
    let secs = |d: Duration| d.as_millis();
    let ms = |v: u128| {
        if v.is_multiple_of(1000) {
            format!("{}s", v / 1000)
        } else {
            format!("{v}ms")
        }
    };
    let bytes = |v: u128| format!("{v} bytes");
    let count = |v: u128| v.to_string();
    push("timeout", secs(old.timeout), secs(new.timeout), &ms);
    push("memory", old.memory.into(), new.memory.into(), &bytes);
    push(
        "max_requests",
        old.max_requests.into(),
        new.max_requests.into(),
        &count,
    );
    push(
        "request_timeout",
        secs(old.request_timeout),
        secs(new.request_timeout),
        &ms,
    );
    push(
        "max_response_bytes",
        old.max_response_bytes.into(),
        new.max_response_bytes.into(),
        &bytes,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn manifest(canvas: &str, job: &str) -> Manifest {
        let text = format!(
            "version = 1\n[job]\nname = \"report\"\ncomponent = \"report.wasm\"\n{job}\n[canvas]\n{canvas}\n"
        );
        Manifest::parse(Path::new("jobs/report/job.toml"), &text).unwrap()
    }

    fn lines(d: &ManifestDiff) -> Vec<String> {
        d.changes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn scopes_added_and_removed() {
        let old = manifest(
            "scopes = [\"url:GET|/api/v1/accounts/:account_id/courses\", \"url:GET|/api/v1/courses/:id\"]",
            "",
        );
        let new = manifest(
            "scopes = [\"url:GET|/api/v1/courses/:id\", \"url:PUT|/api/v1/courses/:id\", \"url:GET|/api/v1/nope\"]",
            "",
        );
        let d = diff(&old, &new);
        assert_eq!(
            lines(&d),
            [
                "+ url:PUT|/api/v1/courses/:id (write)",
                "+ url:GET|/api/v1/nope (not a Canvas scope)",
                "- url:GET|/api/v1/accounts/:account_id/courses",
            ]
        );
        assert_eq!(d.counts(), (2, 1));
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn a_scope_the_old_ones_already_cover_opens_no_new_endpoint() {
        let any = "\"url:GET|/api/v1/courses/:course_id/assignments/:id\"";
        let literal = "\"url:GET|/api/v1/courses/:course_id/assignments/gradeable_students\"";
        let old = manifest(&format!("scopes = [{any}]"), "");
        let new = manifest(&format!("scopes = [{any}, {literal}]"), "");
        assert_eq!(
            lines(&diff(&old, &new)),
            ["+ url:GET|/api/v1/courses/:course_id/assignments/gradeable_students (no new endpoint: already allowed by url:GET|/api/v1/courses/:course_id/assignments/:id)"]
        );
        assert_eq!(
            lines(&diff(&new, &old)),
            ["- url:GET|/api/v1/courses/:course_id/assignments/gradeable_students (still allowed by url:GET|/api/v1/courses/:course_id/assignments/:id)"]
        );
        // A renamed parameter; a literal scope does not cover a parameter one.
        let old = manifest("scopes = [\"url:GET|/api/v1/courses/:id\"]", "");
        let new = manifest("scopes = [\"url:GET|/api/v1/courses/:course_id\"]", "");
        assert_eq!(
            lines(&diff(&old, &new))[0],
            "+ url:GET|/api/v1/courses/:course_id (not a Canvas scope) (no new endpoint: already allowed by url:GET|/api/v1/courses/:id)"
        );
        // A scope narrowed by [canvas.params] does not cover a new one that
        // takes the same segment under another, unrestricted name.
        let old = manifest(
            "scopes = [\"url:GET|/api/v1/courses/:id\"]\n[canvas.params]\nid = [\"1\"]",
            "",
        );
        let new = manifest(
            "scopes = [\"url:GET|/api/v1/courses/:id\", \"url:GET|/api/v1/courses/:course_id\"]\n[canvas.params]\nid = [\"1\"]",
            "",
        );
        assert_eq!(
            lines(&diff(&old, &new)),
            ["+ url:GET|/api/v1/courses/:course_id (not a Canvas scope)"]
        );
        let old = manifest("scopes = [\"url:GET|/api/v1/courses/1\"]", "");
        let new = manifest("scopes = [\"url:GET|/api/v1/courses/:id\"]", "");
        assert_eq!(
            lines(&diff(&old, &new)),
            [
                "+ url:GET|/api/v1/courses/:id",
                "- url:GET|/api/v1/courses/1 (still allowed by url:GET|/api/v1/courses/:id)",
            ]
        );
    }

    #[test]
    fn masquerade_dry_run_pin_and_params() {
        let scopes = "scopes = [\"url:GET|/api/v1/accounts/:account_id/courses\", \"url:GET|/api/v1/courses/:course_id/users\"]";
        let pin = format!("sha256 = \"{}\"", "a".repeat(64));
        let old = manifest(
            &format!("{scopes}\n[canvas.params]\naccount_id = [\"1\", \"2\"]\ncourse_id = [\"5\"]"),
            &format!("dry_run = true\n{pin}"),
        );
        let new = manifest(
            &format!("{scopes}\nmasquerade = true\n[canvas.params]\naccount_id = [\"1\", \"3\"]"),
            "",
        );
        assert_eq!(
            lines(&diff(&old, &new)),
            [
                "+ masquerade = true: requests may carry as_user_id and act as other users",
                "+ dry_run = false: writes are sent to Canvas",
                "+ [canvas.params] account_id also allows \"3\"",
                "- [canvas.params] account_id no longer allows \"2\"",
                "+ [canvas.params] course_id no longer restricted: any value (was \"5\")",
                "+ sha256 pin removed: any build of the component gets these grants",
            ]
        );
        assert_eq!(
            lines(&diff(&new, &old)),
            [
                "- masquerade = false: as_user_id is refused",
                "- dry_run = true: writes are checked and recorded, not sent",
                "+ [canvas.params] account_id also allows \"2\"",
                "- [canvas.params] account_id no longer allows \"3\"",
                "- [canvas.params] course_id restricted to \"5\"",
                "- sha256 pinned: only that build of the component gets these grants",
            ]
        );
    }

    #[test]
    fn component_limits_env_and_name() {
        let old = manifest(
            "scopes = []\n[limits]\nmax_requests = 100\n[env]\nA = \"1\"\nB = \"x\"",
            "",
        );
        let text = "version = 1\n[job]\nname = \"report-2\"\ncomponent = \"other.wasm\"\n[canvas]\nscopes = []\n[limits]\nmax_requests = 1000\ntimeout = \"90s\"\nmemory = \"32MiB\"\n[env]\nA = \"2\"\nC = \"y\"\n";
        let new = Manifest::parse(Path::new("jobs/report/job.toml"), text).unwrap();
        assert_eq!(
            lines(&diff(&old, &new)),
            [
                "~ component jobs/report/report.wasm -> jobs/report/other.wasm: different code gets these grants",
                "- [limits] timeout 300s -> 90s",
                "- [limits] memory 67108864 bytes -> 33554432 bytes",
                "+ [limits] max_requests 100 -> 1000",
                "~ [env] A changed",
                "~ [env] B removed",
                "~ [env] C added",
                "~ [job] name report -> report-2",
            ]
        );
    }
}
