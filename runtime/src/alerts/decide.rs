//! Which run ends deserve an alert. Pure: no I/O, no time.

use std::collections::HashSet;

use crate::run::RunStatus;

/// What an alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// A run failed, timed out, was killed for memory or was interrupted.
    Failure,
    /// A run succeeded after a failure alert about the same job.
    Recovery,
}

impl AlertKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertKind::Failure => "failure",
            AlertKind::Recovery => "recovery",
        }
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a run that ended so failed in a way an admin must hear about.
/// A cancelled run was stopped on purpose (shutdown, `replace`, an admin)
/// and a skipped firing did not run, so neither is a failure; nor is a run
/// still going.
pub fn is_alerting(status: RunStatus) -> bool {
    match status {
        RunStatus::Failed
        | RunStatus::TimedOut
        | RunStatus::KilledForMemory
        | RunStatus::Interrupted => true,
        RunStatus::Succeeded | RunStatus::Running | RunStatus::Cancelled | RunStatus::Skipped => {
            false
        }
    }
}

/// The jobs whose latest alert was a failure: their next success is a
/// recovery.
#[derive(Debug, Default)]
pub struct Failing {
    jobs: HashSet<String>,
}

impl Failing {
    /// The alert a run of `job` that ended with `status` deserves, if any,
    /// remembering a failure so that the job's next success is a recovery.
    /// Cancelled and skipped runs change nothing.
    pub fn decide(&mut self, job: &str, status: RunStatus) -> Option<AlertKind> {
        if is_alerting(status) {
            if !self.jobs.contains(job) {
                self.jobs.insert(job.to_string());
            }
            Some(AlertKind::Failure)
        } else if status == RunStatus::Succeeded && self.jobs.remove(job) {
            Some(AlertKind::Recovery)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_timeouts_memory_kills_and_interruptions_alert() {
        let alerting: Vec<RunStatus> = RunStatus::ALL
            .into_iter()
            .filter(|s| is_alerting(*s))
            .collect();
        assert_eq!(
            alerting,
            [
                RunStatus::Failed,
                RunStatus::TimedOut,
                RunStatus::KilledForMemory,
                RunStatus::Interrupted
            ]
        );
        let mut failing = Failing::default();
        for status in [
            RunStatus::Cancelled,
            RunStatus::Skipped,
            RunStatus::Running,
            RunStatus::Succeeded,
        ] {
            assert_eq!(failing.decide("a", status), None, "{status}");
        }
    }

    #[test]
    fn every_failed_run_alerts_and_only_the_first_success_after_recovers() {
        let mut failing = Failing::default();
        assert_eq!(failing.decide("a", RunStatus::Succeeded), None);
        assert_eq!(
            failing.decide("a", RunStatus::Failed),
            Some(AlertKind::Failure)
        );
        assert_eq!(
            failing.decide("a", RunStatus::TimedOut),
            Some(AlertKind::Failure)
        );
        // Neither a cancelled nor a skipped run ends the failure.
        assert_eq!(failing.decide("a", RunStatus::Cancelled), None);
        assert_eq!(failing.decide("a", RunStatus::Skipped), None);
        assert_eq!(
            failing.decide("a", RunStatus::Succeeded),
            Some(AlertKind::Recovery)
        );
        assert_eq!(failing.decide("a", RunStatus::Succeeded), None);
    }

    #[test]
    fn recovery_is_per_job() {
        let mut failing = Failing::default();
        assert_eq!(
            failing.decide("a", RunStatus::KilledForMemory),
            Some(AlertKind::Failure)
        );
        assert_eq!(failing.decide("b", RunStatus::Succeeded), None);
        assert_eq!(
            failing.decide("b", RunStatus::Interrupted),
            Some(AlertKind::Failure)
        );
        assert_eq!(
            failing.decide("a", RunStatus::Succeeded),
            Some(AlertKind::Recovery)
        );
        assert_eq!(
            failing.decide("b", RunStatus::Succeeded),
            Some(AlertKind::Recovery)
        );
    }
}
