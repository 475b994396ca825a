//! Typed ids for the objects a request path names: a Canvas id, a SIS id
//! (`sis_course_id:MATH 101`) or a special id (`self`).
//!
//! Canvas accepts, wherever a path takes an object's id, the id itself
//! (`/api/v1/courses/42`), a SIS id prefixed with the name of its field
//! (`/api/v1/courses/sis_course_id:A1234`), and for some objects a special
//! id (`/api/v1/users/self`). An id type builds the path segment, with the
//! SIS value percent-encoded as one segment (`MATH 101/2026` becomes
//! `sis_course_id:MATH%20101%2F2026`), and its `Display` is that segment:
//!
//! ```
//! use warden_sdk::{AccountId, CourseId, UserId};
//!
//! assert_eq!(CourseId::id(42).to_string(), "42");
//! assert_eq!(CourseId::sis("MATH 101/2026").to_string(), "sis_course_id:MATH%20101%2F2026");
//! assert_eq!(UserId::login("jdoe@example.edu").to_string(), "sis_login_id:jdoe@example.edu");
//! assert_eq!(AccountId::SELF.to_string(), "self");
//! assert_eq!(CourseId::from(7), CourseId::id(7));
//!
//! // From a manifest's [env] value, in any of the forms Canvas accepts:
//! let course: CourseId = "sis_course_id:BIO 101".parse()?;
//! assert_eq!(format!("/api/v1/courses/{course}"), "/api/v1/courses/sis_course_id:BIO%20101");
//! # Ok::<(), warden_sdk::Error>(())
//! ```
//!
//! The typed helpers ([`crate::canvas::courses`], ...) take
//! `impl Into<CourseId>` (and so on), so a `u64`, an id, a reference to an
//! id, or a reference to the model itself (`&Course`) all work.

use std::fmt;
use std::str::FromStr;

use crate::canvas::encode_segment;
use crate::error::Error;
use crate::models;

/// How an id names its object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// Canvas's own id.
    Id(u64),
    /// `prefix:value`, the value not yet encoded.
    Prefixed(&'static str, String),
    /// A special id such as `self`, sent as is.
    Special(&'static str),
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repr::Id(id) => write!(f, "{id}"),
            Repr::Prefixed(prefix, value) => write!(f, "{prefix}:{}", encode_segment(value)),
            Repr::Special(s) => f.write_str(s),
        }
    }
}

/// Parses the text form of an id: digits, one of `specials`, or
/// `prefix:value` with one of `prefixes`.
fn parse(
    what: &str,
    s: &str,
    prefixes: &[&'static str],
    specials: &[&'static str],
) -> Result<Repr, Error> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map(Repr::Id)
            .map_err(|_| Error::other(format!("{what} id {s:?} is too large")));
    }
    if let Some(special) = specials.iter().find(|sp| **sp == s) {
        return Ok(Repr::Special(special));
    }
    if let Some((prefix, value)) = s.split_once(':') {
        if let Some(prefix) = prefixes.iter().find(|p| **p == prefix) {
            if value.is_empty() {
                return Err(Error::other(format!(
                    "{what} id {s:?} has nothing after {prefix}:"
                )));
            }
            return Ok(Repr::Prefixed(prefix, value.to_string()));
        }
    }
    let mut forms = vec!["a number such as 42".to_string()];
    forms.extend(prefixes.iter().map(|p| format!("{p}:<value>")));
    forms.extend(specials.iter().map(|s| s.to_string()));
    Err(Error::other(format!(
        "{what} id {s:?} is not one of: {}",
        forms.join(", ")
    )))
}

macro_rules! id_type {
    (
        $(#[$doc:meta])*
        $name:ident, $what:literal, $model:ty,
        prefixed { $($(#[$cdoc:meta])* $ctor:ident => $prefix:literal),* $(,)? }
        special { $($(#[$sdoc:meta])* $special:ident => $text:literal),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(Repr);

        impl $name {
            $($(#[$sdoc])* pub const $special: $name = $name(Repr::Special($text));)*

            /// The object with Canvas's id `id`.
            pub const fn id(id: u64) -> $name {
                $name(Repr::Id(id))
            }

            $(
                $(#[$cdoc])*
                pub fn $ctor(value: impl Into<String>) -> $name {
                    $name(Repr::Prefixed($prefix, value.into()))
                }
            )*

            /// Canvas's numeric id, when the object is named by it.
            pub fn as_u64(&self) -> Option<u64> {
                match self.0 {
                    Repr::Id(id) => Some(id),
                    _ => None,
                }
            }

            /// The path segment (the same as `to_string()`).
            pub fn segment(&self) -> String {
                self.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<u64> for $name {
            fn from(id: u64) -> $name {
                $name::id(id)
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> $name {
                id.clone()
            }
        }

        impl From<&$model> for $name {
            fn from(object: &$model) -> $name {
                $name::id(object.id)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// Reads an id as a manifest's `[env]` would give it: `42`,
            /// a prefixed SIS id with the value as is (not percent-encoded),
            /// or a special id. Anything else is an [`Error::Other`] that
            /// lists the accepted forms.
            fn from_str(s: &str) -> Result<$name, Error> {
                parse($what, s, &[$($prefix),*], &[$($text),*]).map($name)
            }
        }
    };
}

id_type! {
    /// A course in a request path: [`CourseId::id`], [`CourseId::sis`]
    /// (`sis_course_id:`), [`CourseId::integration`]
    /// (`sis_integration_id:`), [`CourseId::lti`] (`lti_context_id:`).
    CourseId, "course", models::Course,
    prefixed {
        /// The course whose SIS id is `value` (`sis_course_id:value`).
        sis => "sis_course_id",
        /// The course whose integration id is `value` (`sis_integration_id:value`).
        integration => "sis_integration_id",
        /// The course whose LTI context id is `value` (`lti_context_id:value`).
        lti => "lti_context_id",
    }
    special {}
}

id_type! {
    /// An account in a request path: [`AccountId::id`], [`AccountId::sis`]
    /// (`sis_account_id:`), [`AccountId::lti`] (`lti_context_id:`), or
    /// [`AccountId::SELF`], [`AccountId::DEFAULT`], [`AccountId::SITE_ADMIN`].
    AccountId, "account", models::Account,
    prefixed {
        /// The account whose SIS id is `value` (`sis_account_id:value`).
        sis => "sis_account_id",
        /// The account whose LTI context id is `value` (`lti_context_id:value`).
        lti => "lti_context_id",
    }
    special {
        /// `self`: the root account of the Canvas domain.
        SELF => "self",
        /// `default`: the Default account.
        DEFAULT => "default",
        /// `site_admin`: the Site Admin account.
        SITE_ADMIN => "site_admin",
    }
}

id_type! {
    /// A user in a request path: [`UserId::id`], [`UserId::sis`]
    /// (`sis_user_id:`), [`UserId::login`] (`sis_login_id:`),
    /// [`UserId::integration`] (`sis_integration_id:`), [`UserId::lti`]
    /// (`lti_context_id:`), or [`UserId::SELF`].
    UserId, "user", models::User,
    prefixed {
        /// The user whose SIS id is `value` (`sis_user_id:value`).
        sis => "sis_user_id",
        /// The user whose login id is `value` (`sis_login_id:value`).
        login => "sis_login_id",
        /// The user whose integration id is `value` (`sis_integration_id:value`).
        integration => "sis_integration_id",
        /// The user whose LTI context id is `value` (`lti_context_id:value`).
        lti => "lti_context_id",
    }
    special {
        /// `self`: the user Warden's Canvas token belongs to.
        SELF => "self",
    }
}

id_type! {
    /// A section in a request path: [`SectionId::id`] or
    /// [`SectionId::sis`] (`sis_section_id:`).
    SectionId, "section", models::Section,
    prefixed {
        /// The section whose SIS id is `value` (`sis_section_id:value`).
        sis => "sis_section_id",
    }
    special {}
}

id_type! {
    /// An enrollment term in a request path: [`TermId::id`],
    /// [`TermId::sis`] (`sis_term_id:`), [`TermId::DEFAULT`] or
    /// [`TermId::CURRENT`].
    TermId, "term", models::Term,
    prefixed {
        /// The term whose SIS id is `value` (`sis_term_id:value`).
        sis => "sis_term_id",
    }
    special {
        /// `default`: the default term.
        DEFAULT => "default",
        /// `current`: the one term active now by its dates.
        CURRENT => "current",
    }
}

id_type! {
    /// A group in a request path: [`GroupId::id`], [`GroupId::sis`]
    /// (`sis_group_id:`) or [`GroupId::lti`] (`lti_context_id:`).
    GroupId, "group", models::Group,
    prefixed {
        /// The group whose SIS id is `value` (`sis_group_id:value`).
        sis => "sis_group_id",
        /// The group whose LTI context id is `value` (`lti_context_id:value`).
        lti => "lti_context_id",
    }
    special {}
}

id_type! {
    /// An assignment in a request path: [`AssignmentId::id`] or
    /// [`AssignmentId::lti`] (`lti_context_id:`).
    AssignmentId, "assignment", models::Assignment,
    prefixed {
        /// The assignment whose LTI context id is `value` (`lti_context_id:value`).
        lti => "lti_context_id",
    }
    special {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(CourseId::id(42).to_string(), "42");
        assert_eq!(CourseId::from(42), CourseId::id(42));
        assert_eq!(
            CourseId::sis("MATH 101/2026").to_string(),
            "sis_course_id:MATH%20101%2F2026"
        );
        assert_eq!(
            CourseId::integration("x?y").segment(),
            "sis_integration_id:x%3Fy"
        );
        assert_eq!(CourseId::lti("abc").to_string(), "lti_context_id:abc");
        assert_eq!(AccountId::sis("SCI").to_string(), "sis_account_id:SCI");
        assert_eq!(AccountId::SELF.to_string(), "self");
        assert_eq!(AccountId::DEFAULT.to_string(), "default");
        assert_eq!(AccountId::SITE_ADMIN.to_string(), "site_admin");
        assert_eq!(UserId::sis("S 21").to_string(), "sis_user_id:S%2021");
        assert_eq!(
            UserId::login("jdoe@example.edu").to_string(),
            "sis_login_id:jdoe@example.edu"
        );
        assert_eq!(UserId::SELF.to_string(), "self");
        assert_eq!(SectionId::sis("A#1").to_string(), "sis_section_id:A%231");
        assert_eq!(TermId::CURRENT.to_string(), "current");
        assert_eq!(TermId::sis("F26").to_string(), "sis_term_id:F26");
        assert_eq!(GroupId::sis("g%").to_string(), "sis_group_id:g%25");
        assert_eq!(AssignmentId::from(5).to_string(), "5");
        // the value is one segment: a colon inside it stays, a slash does not
        assert_eq!(CourseId::sis("a:b/c").to_string(), "sis_course_id:a:b%2Fc");
    }

    #[test]
    fn numeric_ids() {
        assert_eq!(CourseId::id(3).as_u64(), Some(3));
        assert_eq!(CourseId::sis("3").as_u64(), None);
        assert_eq!(UserId::SELF.as_u64(), None);
        assert_ne!(CourseId::sis("3"), CourseId::id(3));
    }

    #[test]
    fn from_models_and_references() {
        let course: models::Course = serde_json::from_str(r#"{"id": 9}"#).unwrap();
        assert_eq!(CourseId::from(&course), CourseId::id(9));
        let user: models::User = serde_json::from_str(r#"{"id": 4}"#).unwrap();
        assert_eq!(UserId::from(&user).to_string(), "4");
        let id = SectionId::sis("x");
        assert_eq!(SectionId::from(&id), id);
    }

    #[test]
    fn parsing_the_forms_canvas_accepts() {
        assert_eq!(" 42 ".parse::<CourseId>().unwrap(), CourseId::id(42));
        assert_eq!(
            "sis_course_id:MATH 101/2026".parse::<CourseId>().unwrap(),
            CourseId::sis("MATH 101/2026")
        );
        assert_eq!(
            "sis_integration_id:i-1".parse::<CourseId>().unwrap(),
            CourseId::integration("i-1")
        );
        assert_eq!("self".parse::<AccountId>().unwrap(), AccountId::SELF);
        assert_eq!(
            "site_admin".parse::<AccountId>().unwrap(),
            AccountId::SITE_ADMIN
        );
        assert_eq!(
            "sis_login_id:a@b".parse::<UserId>().unwrap(),
            UserId::login("a@b")
        );
        assert_eq!("current".parse::<TermId>().unwrap(), TermId::CURRENT);
        // a value may itself contain a colon
        assert_eq!(
            "sis_user_id:a:b".parse::<UserId>().unwrap(),
            UserId::sis("a:b")
        );
    }

    #[test]
    fn parse_errors_name_the_accepted_forms() {
        let e = "abc".parse::<CourseId>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "course id \"abc\" is not one of: a number such as 42, sis_course_id:<value>, sis_integration_id:<value>, lti_context_id:<value>"
        );
        let e = "self".parse::<CourseId>().unwrap_err();
        assert!(e.to_string().starts_with("course id \"self\""), "{e}");
        let e = "sis_user_id:1".parse::<AccountId>().unwrap_err();
        assert!(e.to_string().contains("sis_account_id:<value>"), "{e}");
        assert!(e.to_string().ends_with("self, default, site_admin"), "{e}");
        let e = "sis_course_id:".parse::<CourseId>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "course id \"sis_course_id:\" has nothing after sis_course_id:"
        );
        let e = "".parse::<SectionId>().unwrap_err();
        assert!(
            e.to_string().starts_with("section id \"\" is not one of"),
            "{e}"
        );
        let e = "99999999999999999999999".parse::<UserId>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "user id \"99999999999999999999999\" is too large"
        );
        let e = "Self".parse::<UserId>().unwrap_err();
        assert!(matches!(e, Error::Other(_)));
    }
}
