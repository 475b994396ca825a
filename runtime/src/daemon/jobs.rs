//! The daemon's table of jobs: loading manifests and components, noticing
//! changed files, and keeping the last good version of a job whose new
//! version does not load.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::manifest::Manifest;
use crate::sandbox::{JobComponent, Sandbox};

/// A loaded job: its manifest and its compiled component. Runs hold an
/// `Arc` of it, so a reload never changes a run that is going.
pub struct JobDef {
    pub manifest: Manifest,
    pub component: JobComponent,
    stamp: Stamp,
}

/// What identifies a version of a job's files: modification time and size
/// of the manifest and of the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    manifest: Option<(SystemTime, u64)>,
    component: Option<(SystemTime, u64)>,
}

fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl Stamp {
    fn of(manifest: &Path, component: Option<&Path>) -> Stamp {
        Stamp {
            manifest: file_stamp(manifest),
            component: component.and_then(file_stamp),
        }
    }
}

/// A version of a job's files that did not load.
pub struct Failure {
    /// One line naming the file.
    pub why: String,
    /// The component path, when the manifest parsed.
    component: Option<PathBuf>,
    stamp: Stamp,
}

/// Loads a job from its manifest.
pub fn load(sandbox: &Sandbox, path: &Path) -> Result<JobDef, Failure> {
    // Stamp before reading: a change while loading shows up at the next check.
    let manifest_stamp = file_stamp(path);
    let manifest = Manifest::load(path).map_err(|e| Failure {
        why: e.to_string(),
        component: None,
        stamp: Stamp {
            manifest: manifest_stamp,
            component: None,
        },
    })?;
    let stamp = Stamp {
        manifest: manifest_stamp,
        component: file_stamp(&manifest.component),
    };
    let fail = |why: String| Failure {
        why,
        component: Some(manifest.component.clone()),
        stamp,
    };
    let component = sandbox
        .load_job(&manifest)
        .map_err(|e| fail(e.to_string()))?;
    for warning in manifest.warnings() {
        tracing::warn!("{warning}");
    }
    Ok(JobDef {
        stamp,
        manifest,
        component,
    })
}

/// The result of comparing the table with the files.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Manifest paths loaded for the first time or reloaded.
    pub loaded: Vec<PathBuf>,
    /// Manifest paths that no longer match the config's globs.
    pub removed: Vec<PathBuf>,
    /// Paths whose (new) version failed to load, with why.
    pub failed: Vec<(PathBuf, String)>,
}

/// Every job the daemon knows, by manifest path.
#[derive(Default)]
pub struct Table {
    defs: BTreeMap<PathBuf, Arc<JobDef>>,
    /// Job name → manifest path, to keep names unique.
    names: HashMap<String, PathBuf>,
    /// Versions that failed to load, so that an unchanged broken file is
    /// reported once, not at every check.
    failed: BTreeMap<PathBuf, Failure>,
}

impl Table {
    pub fn get(&self, path: &Path) -> Option<&Arc<JobDef>> {
        self.defs.get(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PathBuf, &Arc<JobDef>)> {
        self.defs.iter()
    }

    /// Brings the table in line with `paths` (the manifests the globs match
    /// now): loads new and changed ones (all of them when `force`), drops
    /// vanished ones. A job whose new version fails keeps its old one.
    pub fn sync(&mut self, sandbox: &Sandbox, paths: &[PathBuf], force: bool) -> Changes {
        let mut changes = Changes::default();
        let wanted: HashSet<&PathBuf> = paths.iter().collect();
        let gone: Vec<PathBuf> = self
            .defs
            .keys()
            .filter(|p| !wanted.contains(p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(def) = self.defs.remove(&path) {
                self.names.remove(def.manifest.name.as_str());
            }
            changes.removed.push(path);
        }
        self.failed.retain(|p, _| wanted.contains(p));

        for path in paths {
            let unchanged = match (self.failed.get(path), self.defs.get(path)) {
                (Some(failed), _) => failed.stamp == Stamp::of(path, failed.component.as_deref()),
                (None, Some(def)) => def.stamp == Stamp::of(path, Some(&def.manifest.component)),
                (None, None) => false,
            };
            if unchanged && !force {
                continue;
            }
            match load(sandbox, path).and_then(|def| self.check_name(path, def)) {
                Ok(def) => {
                    self.failed.remove(path);
                    let name = def.manifest.name.to_string();
                    if let Some(old) = self.defs.insert(path.clone(), Arc::new(def)) {
                        if old.manifest.name.as_str() != name {
                            self.names.remove(old.manifest.name.as_str());
                        }
                    }
                    self.names.insert(name, path.clone());
                    changes.loaded.push(path.clone());
                }
                Err(failure) => {
                    changes.failed.push((path.clone(), failure.why.clone()));
                    self.failed.insert(path.clone(), failure);
                }
            }
        }
        changes
    }

    /// The versions that failed to load, with why (a job listed here may
    /// still run its earlier version).
    pub fn failures(&self) -> Vec<(PathBuf, String)> {
        self.failed
            .iter()
            .map(|(path, f)| (path.clone(), f.why.clone()))
            .collect()
    }

    /// Job names are unique: they key the run history.
    fn check_name(&self, path: &Path, def: JobDef) -> Result<JobDef, Failure> {
        let name = def.manifest.name.as_str();
        match self.names.get(name).filter(|other| other.as_path() != path) {
            Some(other) => Err(Failure {
                why: format!(
                    "{}: job name {name:?} is already used by {}; job names must be unique",
                    path.display(),
                    other.display()
                ),
                component: Some(def.manifest.component.clone()),
                stamp: def.stamp,
            }),
            None => Ok(def),
        }
    }
}
