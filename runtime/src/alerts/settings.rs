//! `[alerts]` in `warden.toml`: the webhooks, and how alerts are retried.
//!
//! ```toml
//! [alerts]
//! webhooks = [
//!   "https://hooks.slack.com/services/T000/B000/XXXX",   # a URL, or a table:
//!   { url_file = "/run/secrets/teams-webhook", format = "teams", name = "teams" },
//!   { url = "https://hc-ping.com/<ping-key>/warden-{job}/fail", recovery_url = "https://hc-ping.com/<ping-key>/warden-{job}" },
//! ]
//! webhook_files = ["/run/secrets/slack-webhook"]   # each holds one URL; the same as { url_file = … }
//! recovery = false     # also alert when a job succeeds after a failure alert
//! timeout = "10s"      # per attempt
//! retries = 5          # attempts after the first, on no answer, 429 or 5xx
//! ```
//!
//! A webhook table: `url` or `url_file` (one of them), `recovery_url` or
//! `recovery_url_file` (recovery alerts go there instead of `url`; turns
//! `recovery` on for this webhook), `recovery` (this webhook's own
//! setting), `name` (shown in logs and the activity log instead of
//! `https://host/…`), `format` (`generic`, the default, or `teams`).

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::endpoint::{UrlSource, WebhookFileError, WebhookUrl};
use crate::diag::FileError;
use crate::units::DurationSpec;

/// Most `retries` allowed: with a doubling backoff from 1 s (each wait at
/// most a minute), ten retries keep one alert for about five minutes.
pub const MAX_RETRIES: u32 = 10;

/// Parsed, validated `[alerts]`.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    pub webhooks: Vec<Webhook>,
    /// `[alerts] recovery`: the default of every webhook's `recovery`.
    pub recovery: bool,
    /// One attempt: connecting, sending, and the answer's status line.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The first wait before a retry; doubled for each next one.
    pub backoff: Duration,
    /// Alerts waiting for one webhook; when full, the oldest is dropped.
    pub queue: usize,
}

impl AlertSettings {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_RETRIES: u32 = 5;
    pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
    pub const DEFAULT_QUEUE: usize = 1000;

    /// Settings with the defaults for these webhooks.
    pub fn new(webhooks: Vec<Webhook>) -> AlertSettings {
        AlertSettings {
            webhooks,
            recovery: false,
            timeout: Self::DEFAULT_TIMEOUT,
            retries: Self::DEFAULT_RETRIES,
            backoff: Self::DEFAULT_BACKOFF,
            queue: Self::DEFAULT_QUEUE,
        }
    }

    /// Reads and validates every webhook file now (they are read again at
    /// every alert), for `warden serve` and `warden check` to fail early.
    pub fn check_files(&self) -> Result<(), WebhookFileError> {
        for webhook in &self.webhooks {
            webhook.url.resolve()?;
            if let Some(recovery) = &webhook.recovery_url {
                recovery.resolve()?;
            }
        }
        Ok(())
    }
}

/// One webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Shown instead of the URL's label.
    pub name: Option<String>,
    /// Where failure alerts go (and recovery alerts without `recovery_url`).
    pub url: UrlSource,
    pub recovery_url: Option<UrlSource>,
    /// Whether this webhook gets recovery alerts.
    pub recovery: bool,
    pub format: Format,
}

impl Webhook {
    /// A webhook posting generic alerts to `url`, without recoveries.
    pub fn new(url: WebhookUrl) -> Webhook {
        Webhook {
            name: None,
            url: UrlSource::Inline(url),
            recovery_url: None,
            recovery: false,
            format: Format::Generic,
        }
    }
}

/// The shape of the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The alert's fields and a `text` summary (Slack, Mattermost, Google
    /// Chat, healthchecks.io, anything that takes JSON).
    #[default]
    Generic,
    /// The generic fields plus an Adaptive Card message, as a Microsoft
    /// Teams Workflows "post to a channel when a webhook request is
    /// received" flow expects.
    Teams,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlerts {
    #[serde(default)]
    webhooks: Vec<Spanned<RawWebhook>>,
    #[serde(default)]
    webhook_files: Vec<Spanned<String>>,
    recovery: Option<bool>,
    timeout: Option<DurationSpec>,
    retries: Option<Spanned<u32>>,
}

/// A `webhooks` entry: a URL, or a table.
enum RawWebhook {
    Url(String),
    Table(Box<RawWebhookTable>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhookTable {
    name: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    url_file: Option<Spanned<String>>,
    recovery_url: Option<Spanned<String>>,
    recovery_url_file: Option<Spanned<String>>,
    recovery: Option<Spanned<bool>>,
    #[serde(default)]
    format: Format,
}

impl<'de> Deserialize<'de> for RawWebhook {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = RawWebhook;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a webhook URL or a table such as { url = \"https://…\", name = \"…\" }",
                )
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<RawWebhook, E> {
                Ok(RawWebhook::Url(text.to_string()))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<RawWebhook, M::Error> {
                RawWebhookTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|table| RawWebhook::Table(Box::new(table)))
            }
        }
        d.deserialize_any(Entry)
    }
}

/// Validates `[alerts]`; file paths are relative to `folder`.
pub(crate) fn parse(
    raw: Spanned<RawAlerts>,
    folder: &Path,
    at: &impl Fn(Range<usize>, String) -> FileError,
) -> Result<AlertSettings, FileError> {
    let table_span = raw.span();
    let raw = raw.into_inner();
    let recovery = raw.recovery.unwrap_or(false);
    let url = |field: &str, text: &str, span: Range<usize>| {
        WebhookUrl::parse(text).map_err(|e| at(span, format!("[alerts] {field}: {e}")))
    };
    let file = |field: &str, text: &Spanned<String>| {
        if text.get_ref().is_empty() {
            return Err(at(text.span(), format!("[alerts] {field} is empty")));
        }
        Ok(UrlSource::File(folder.join(text.get_ref())))
    };

    let mut webhooks = Vec::new();
    let mut inline: Vec<(String, Range<usize>)> = Vec::new();
    for entry in raw.webhooks {
        let span = entry.span();
        match entry.into_inner() {
            RawWebhook::Url(text) => {
                let parsed = url("webhooks", &text, span.clone())?;
                inline.push((text, span));
                webhooks.push(Webhook {
                    recovery,
                    ..Webhook::new(parsed)
                });
            }
            RawWebhook::Table(table) => {
                let source = match (&table.url, &table.url_file) {
                    (Some(u), None) => {
                        inline.push((u.get_ref().clone(), u.span()));
                        UrlSource::Inline(url("url", u.get_ref(), u.span())?)
                    }
                    (None, Some(f)) => file("url_file", f)?,
                    (Some(_), Some(f)) => {
                        return Err(at(
                            f.span(),
                            "[alerts] a webhook has either url or url_file, not both".into(),
                        ))
                    }
                    (None, None) => {
                        return Err(at(
                            span,
                            "[alerts] a webhook table needs url = \"https://…\" or url_file = \"/path/to/file\"".into(),
                        ))
                    }
                };
                let recovery_url = match (&table.recovery_url, &table.recovery_url_file) {
                    (Some(u), None) => Some(UrlSource::Inline(url(
                        "recovery_url",
                        u.get_ref(),
                        u.span(),
                    )?)),
                    (None, Some(f)) => Some(file("recovery_url_file", f)?),
                    (None, None) => None,
                    (Some(_), Some(f)) => return Err(at(
                        f.span(),
                        "[alerts] a webhook has either recovery_url or recovery_url_file, not both"
                            .into(),
                    )),
                };
                let own_recovery = match (&table.recovery, &recovery_url) {
                    (Some(r), Some(_)) if !r.get_ref() => {
                        return Err(at(
                            r.span(),
                            "[alerts] recovery = false contradicts this webhook's recovery_url (recovery alerts go there); remove one of them".into(),
                        ))
                    }
                    (Some(r), _) => *r.get_ref(),
                    (None, Some(_)) => true,
                    (None, None) => recovery,
                };
                let name = match &table.name {
                    Some(n)
                        if n.get_ref().trim().is_empty()
                            || n.get_ref().chars().any(char::is_control) =>
                    {
                        return Err(at(
                            n.span(),
                            "[alerts] a webhook's name must be a non-empty line of text".into(),
                        ))
                    }
                    Some(n) => Some(n.get_ref().clone()),
                    None => None,
                };
                webhooks.push(Webhook {
                    name,
                    url: source,
                    recovery_url,
                    recovery: own_recovery,
                    format: table.format,
                });
            }
        }
    }
    for path in &raw.webhook_files {
        webhooks.push(Webhook {
            name: None,
            url: file("webhook_files", path)?,
            recovery_url: None,
            recovery,
            format: Format::Generic,
        });
    }
    for (i, (text, span)) in inline.iter().enumerate() {
        if inline[..i].iter().any(|(earlier, _)| earlier == text) {
            return Err(at(
                span.clone(),
                "[alerts] this webhook URL is listed twice; every alert would be sent to it twice"
                    .into(),
            ));
        }
    }
    if webhooks.is_empty() {
        return Err(at(
            table_span,
            "[alerts] needs at least one webhook: webhooks = [\"https://…\"] or webhook_files = [\"/run/secrets/…\"]".into(),
        ));
    }

    let retries = match &raw.retries {
        Some(r) if *r.get_ref() > MAX_RETRIES => {
            return Err(at(
                r.span(),
                format!("[alerts] retries must be at most {MAX_RETRIES} (each retry waits twice as long as the one before, up to a minute)"),
            ))
        }
        Some(r) => *r.get_ref(),
        None => AlertSettings::DEFAULT_RETRIES,
    };
    Ok(AlertSettings {
        recovery,
        timeout: raw
            .timeout
            .map_or(AlertSettings::DEFAULT_TIMEOUT, |d| d.as_duration()),
        retries,
        ..AlertSettings::new(webhooks)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const BASE: &str = "[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n";

    fn parse(alerts: &str) -> Result<AlertSettings, String> {
        let text = format!("{BASE}[alerts]\n{alerts}\n");
        Config::parse(Path::new("/etc/warden/warden.toml"), &text)
            .map(|c| c.alerts.expect("[alerts] is parsed"))
            .map_err(|e| e.to_string())
    }

    fn inline(text: &str) -> UrlSource {
        UrlSource::Inline(WebhookUrl::parse(text).unwrap())
    }

    #[test]
    fn no_alerts_table_means_no_alerts() {
        let c = Config::parse(Path::new("w.toml"), BASE).unwrap();
        assert!(c.alerts.is_none());
    }

    #[test]
    fn the_defaults() {
        let s = parse("webhooks = [\"https://hooks.slack.com/services/T/B/X\"]").unwrap();
        assert_eq!(s.timeout, Duration::from_secs(10));
        assert_eq!(s.retries, 5);
        assert!(!s.recovery);
        assert_eq!(s.queue, 1000);
        assert_eq!(s.backoff, Duration::from_secs(1));
        assert_eq!(
            s.webhooks,
            [Webhook::new(
                WebhookUrl::parse("https://hooks.slack.com/services/T/B/X").unwrap()
            )]
        );
    }

    #[test]
    fn the_config_never_shows_a_webhook_url() {
        let text = format!("{BASE}[alerts]\nwebhooks = [\"https://hooks.slack.com/services/T/B/SECRET\", {{ url = \"https://hc-ping.com/SECRET/fail\", recovery_url = \"https://hc-ping.com/SECRET\" }}]\n");
        let c = Config::parse(Path::new("w.toml"), &text).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("https://hooks.slack.com/…"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn urls_tables_and_files() {
        let s = parse(concat!(
            "webhooks = [\n",
            "  \"https://hooks.slack.com/services/T/B/X\",\n",
            "  { url_file = \"secrets/teams\", format = \"teams\", name = \"teams\" },\n",
            "  { url = \"https://hc-ping.com/K/warden-{job}/fail\", recovery_url = \"https://hc-ping.com/K/warden-{job}\" },\n",
            "  { url = \"https://chat.example.com/hook\", recovery = false },\n",
            "]\n",
            "webhook_files = [\"/run/secrets/slack\"]\n",
            "recovery = true\ntimeout = \"3s\"\nretries = 0\n",
        ))
        .unwrap();
        assert_eq!((s.timeout, s.retries), (Duration::from_secs(3), 0));
        let w = &s.webhooks;
        assert_eq!(w.len(), 5);
        assert_eq!(w[0].url, inline("https://hooks.slack.com/services/T/B/X"));
        assert!(w[0].recovery);
        assert_eq!(
            w[1],
            Webhook {
                name: Some("teams".into()),
                url: UrlSource::File("/etc/warden/secrets/teams".into()),
                recovery_url: None,
                recovery: true,
                format: Format::Teams,
            }
        );
        assert_eq!(
            w[2].recovery_url,
            Some(inline("https://hc-ping.com/K/warden-{job}"))
        );
        assert!(!w[3].recovery);
        assert_eq!(w[4].url, UrlSource::File("/run/secrets/slack".into()));
        assert!(w[4].recovery);

        // recovery_url turns recovery on for its webhook alone.
        let s = parse("webhooks = [\"https://a.example/x\", { url = \"https://hc-ping.com/U/fail\", recovery_url = \"https://hc-ping.com/U\" }]").unwrap();
        assert!(!s.webhooks[0].recovery && s.webhooks[1].recovery);
    }

    #[test]
    fn bad_tables_are_refused_with_line_and_column() {
        let e = |alerts: &str| parse(alerts).unwrap_err();
        assert!(e("recovery = true").contains(":4:1: [alerts] needs at least one webhook"));
        assert!(e("webhooks = []").contains(":4:1: [alerts] needs at least one webhook"));
        assert!(e("webhooks = [\"http://hooks.example.com/SECRET\"]").contains(
            ":5:13: [alerts] webhooks: the webhook URL uses http:// for host \"hooks.example.com\""
        ));
        assert!(!e("webhooks = [\"http://hooks.example.com/SECRET\"]").contains("SECRET"));
        assert!(e("webhooks = [{ url = \"ftp://a.example/x\" }]")
            .contains(":5:21: [alerts] url: the webhook URL has scheme \"ftp\""));
        assert!(e("webhooks = [{ name = \"x\" }]")
            .contains(":5:13: [alerts] a webhook table needs url"));
        assert!(
            e("webhooks = [{ url = \"https://a.example/x\", url_file = \"f\" }]")
                .contains("either url or url_file, not both")
        );
        assert!(e("webhooks = [{ url = \"https://a.example/x\", recovery_url = \"https://a.example/y\", recovery = false }]")
            .contains("recovery = false contradicts this webhook's recovery_url"));
        assert!(
            e("webhooks = [{ url = \"https://a.example/x\", urll = \"f\" }]")
                .contains("unknown field `urll`, expected one of `name`, `url`, `url_file`")
        );
        assert!(
            e("webhooks = [{ url = \"https://a.example/x\", format = \"slack\" }]")
                .contains("unknown variant `slack`, expected `generic` or `teams`")
        );
        assert!(e("webhooks = [1]")
            .contains("invalid type: integer `1`, expected a webhook URL or a table such as"));
        assert!(
            e("webhooks = [\"https://a.example/x\", \"https://a.example/x\"]")
                .contains(":5:36: [alerts] this webhook URL is listed twice")
        );
        assert!(e("webhook_files = [\"\"]").contains(":5:18: [alerts] webhook_files is empty"));
        assert!(e("webhooks = [\"https://a.example/x\"]\nretries = 11")
            .contains(":6:11: [alerts] retries must be at most 10"));
        assert!(e("webhooks = [\"https://a.example/x\"]\nretries = -1")
            .contains("invalid value: integer `-1`, expected u32"));
        assert!(e("webhooks = [\"https://a.example/x\"]\ntimeout = \"0s\"")
            .contains("it must be longer than zero"));
        assert!(e("webhooks = [\"https://a.example/x\"]\nwebhook = 1")
            .contains("unknown field `webhook`, expected one of `webhooks`, `webhook_files`"));
        assert!(
            e("webhooks = [{ url = \"https://a.example/x\", name = \"\" }]")
                .contains("name must be a non-empty line of text")
        );
    }

    #[test]
    fn webhook_files_are_checked_on_demand() {
        let dir = std::env::temp_dir().join(format!("warden-alert-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("good"), "https://hooks.slack.com/services/T/B/X\n").unwrap();
        std::fs::write(dir.join("bad"), "ftp://x.example/\n").unwrap();
        let settings = |name: &str| {
            let text = format!("{BASE}[alerts]\nwebhook_files = [{name:?}]\n");
            Config::parse(&dir.join("warden.toml"), &text)
                .unwrap()
                .alerts
                .unwrap()
        };
        assert_eq!(settings("good").check_files(), Ok(()));
        let e = settings("bad").check_files().unwrap_err().to_string();
        assert!(
            e.contains("/bad: the webhook URL has scheme \"ftp\""),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
