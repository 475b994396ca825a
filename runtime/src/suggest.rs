//! "Did you mean …?": the closest of some known names to one that is not
//! known, for error messages (time zones, cron nicknames, scopes, crate
//! names). Pure.

/// The form names are compared in: lower case, without `_`, `-`, spaces
/// and dots, so that `America/NewYork`, `america/new_york` and
/// `America/New-York` are the same name.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate closest to `wanted`, when one is close enough to be what
/// was meant: the same name but for case and separators, else at most a
/// few edits away (a swap of two neighbours is one edit; about one in five
/// characters, at least one, at most three). Ties go to the first candidate.
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let folded = fold(wanted);
    if folded.is_empty() {
        return None;
    }
    let allowed = (folded.chars().count() / 5).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = strsim::osa_distance(&folded, &fold(candidate));
        if distance == 0 {
            return Some(candidate);
        }
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean "x"?` for [`closest`], or nothing.
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    closest(wanted, candidates)
        .map(|c| format!("; did you mean {c:?}?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_case_do_not_count() {
        let zones = ["America/New_York", "America/Newport", "Europe/Amsterdam"];
        assert_eq!(closest("America/NewYork", zones), Some("America/New_York"));
        assert_eq!(closest("america/new-york", zones), Some("America/New_York"));
    }

    #[test]
    fn a_few_edits_are_forgiven_and_more_are_not() {
        let names = ["enrollments", "sections", "assignments"];
        assert_eq!(closest("enrolments", names), Some("enrollments"));
        assert_eq!(closest("sectoins", names), Some("sections"));
        assert_eq!(closest("grades", names), None);
        assert_eq!(closest("dialy", ["daily", "hourly"]), Some("daily"));
        assert_eq!(closest("", names), None);
        assert_eq!(
            did_you_mean("enrolments", names),
            "; did you mean \"enrollments\"?"
        );
        assert_eq!(did_you_mean("zzz", names), "");
    }
}
