//! Webhook URLs: validated once, kept secret (Slack, Teams and
//! healthchecks.io URLs are credentials: whoever has one can post), and
//! shown only as a label, `https://hooks.slack.com/…`.

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::{Host, Url};

/// In a webhook URL, replaced by the job's name (for one healthchecks.io
/// check per job: `https://hc-ping.com/<ping-key>/warden-{job}/fail`).
pub const JOB_PLACEHOLDER: &str = "{job}";

/// A job name as it goes into a URL: everything but unreserved characters
/// percent-encoded (a manifest's job name never needs it).
const JOB_IN_URL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A validated webhook URL (possibly with a `{job}` placeholder). `Debug`
/// and `Display` print only its label.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    template: String,
    label: String,
}

/// Why a text is not a usable webhook URL. No message repeats the URL,
/// which is a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("the webhook URL is empty")]
    Empty,
    #[error("the webhook URL contains a space, control character or backslash")]
    BadCharacter,
    #[error("the webhook URL is not a valid URL ({0}); write e.g. \"https://hooks.slack.com/services/…\"")]
    Malformed(String),
    #[error("the webhook URL has scheme {0:?}; use https:// (http:// is only allowed to a loopback receiver)")]
    Scheme(String),
    #[error("the webhook URL uses http:// for host {0:?}, which is not loopback (127.0.0.0/8, ::1 or localhost); use https://")]
    InsecureHttp(String),
    #[error("the webhook URL contains a user name or password (before '@'); remove it")]
    Userinfo,
    #[error("the webhook URL has a fragment ('#'), which is never sent; remove it")]
    Fragment,
}

impl WebhookUrl {
    /// Accepts `https://…` anywhere and `http://…` to a loopback host, with
    /// a path and query (both secret), without userinfo or a fragment.
    pub fn parse(text: &str) -> Result<WebhookUrl, WebhookUrlError> {
        if text.is_empty() {
            return Err(WebhookUrlError::Empty);
        }
        if text.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
            return Err(WebhookUrlError::BadCharacter);
        }
        let url = Url::parse(&text.replace(JOB_PLACEHOLDER, "job"))
            .map_err(|e| WebhookUrlError::Malformed(e.to_string()))?;
        match url.scheme() {
            "https" | "http" => {}
            other => return Err(WebhookUrlError::Scheme(other.to_string())),
        }
        let host = url
            .host()
            .ok_or_else(|| WebhookUrlError::Malformed("no host".into()))?;
        if url.scheme() == "http" && !is_loopback(&host) {
            return Err(WebhookUrlError::InsecureHttp(host.to_string()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Userinfo);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        Ok(WebhookUrl {
            template: text.to_string(),
            label: label(&url),
        })
    }

    /// `scheme://host[:port]/…`: what logs and the activity log show. The
    /// `…` stands for the path and query, which hold the secret.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The URL to post an alert about `job` to.
    pub fn for_job(&self, job: &str) -> Result<Url, WebhookUrlError> {
        let job = utf8_percent_encode(job, JOB_IN_URL).to_string();
        Url::parse(&self.template.replace(JOB_PLACEHOLDER, &job))
            .map_err(|e| WebhookUrlError::Malformed(e.to_string()))
    }

    /// `text` (an error message about a request to `url`) with the URL and
    /// its path and query replaced by the label, in case a library put them
    /// there.
    pub fn scrub(&self, url: &Url, text: &str) -> String {
        let mut text = text.replace(url.as_str(), &self.label);
        let secret = &url[url::Position::BeforePath..];
        if secret.len() > 1 {
            text = text.replace(secret, "/…");
        }
        text
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.label)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn label(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    let rest = &url[url::Position::BeforePath..];
    if rest.is_empty() || rest == "/" {
        format!("{origin}/")
    } else {
        format!("{origin}/…")
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Where a webhook URL comes from: the config itself, or a file read at
/// every alert (a rotated secret takes effect without a restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Inline(WebhookUrl),
    /// A file holding the URL; surrounding whitespace is ignored.
    File(PathBuf),
}

/// A webhook file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookFileError {
    #[error("webhook file {path}: cannot read: {reason}")]
    Read { path: String, reason: String },
    #[error("webhook file {path}: {error}")]
    Invalid {
        path: String,
        error: WebhookUrlError,
    },
}

impl UrlSource {
    /// The URL now (reads a file).
    pub fn resolve(&self) -> Result<WebhookUrl, WebhookFileError> {
        match self {
            UrlSource::Inline(url) => Ok(url.clone()),
            UrlSource::File(path) => read_file(path),
        }
    }
}

fn read_file(path: &Path) -> Result<WebhookUrl, WebhookFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| WebhookFileError::Read {
        path: shown.clone(),
        // io::Error messages name the failure, never the content.
        reason: e.to_string(),
    })?;
    WebhookUrl::parse(text.trim()).map_err(|error| WebhookFileError::Invalid { path: shown, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "https://hc-ping.com/0f3c/fail?create=1",
            "http://127.0.0.1:8080/hook",
            "http://127.5.0.1/hook",
            "http://localhost:9/x",
            "http://[::1]:8080/hook",
            "https://example.com",
        ] {
            assert!(WebhookUrl::parse(ok).is_ok(), "{ok}");
        }
        let e = |text: &str| WebhookUrl::parse(text).unwrap_err();
        assert_eq!(
            e("http://hooks.example.com/x"),
            WebhookUrlError::InsecureHttp("hooks.example.com".into())
        );
        assert_eq!(
            e("ftp://example.com/x"),
            WebhookUrlError::Scheme("ftp".into())
        );
        assert_eq!(
            e("https://user:pw@example.com/x"),
            WebhookUrlError::Userinfo
        );
        assert_eq!(e("https://user@example.com/x"), WebhookUrlError::Userinfo);
        assert_eq!(e("https://example.com/x#y"), WebhookUrlError::Fragment);
        assert_eq!(e(""), WebhookUrlError::Empty);
        assert_eq!(e("https://example.com/a b"), WebhookUrlError::BadCharacter);
        assert_eq!(e("https://example.com/a\n"), WebhookUrlError::BadCharacter);
        assert!(matches!(
            e("hooks.slack.com/x"),
            WebhookUrlError::Malformed(_)
        ));
        assert!(matches!(e("https://"), WebhookUrlError::Malformed(_)));
    }

    #[test]
    fn errors_never_repeat_the_url() {
        for bad in [
            "http://hooks.example.com/SECRETPATH",
            "ftp://example.com/SECRETPATH",
            "https://u:SECRETPATH@example.com/",
            "https://example.com/x#SECRETPATH",
            "https://exa mple.com/SECRETPATH",
            "https://[SECRETPATH/",
        ] {
            let message = WebhookUrl::parse(bad).unwrap_err().to_string();
            assert!(!message.contains("SECRETPATH"), "{message}");
        }
    }

    #[test]
    fn the_label_shows_scheme_and_host_never_the_path_or_query() {
        let label = |text: &str| WebhookUrl::parse(text).unwrap().label().to_string();
        assert_eq!(
            label("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            label("https://chat.example.com?key=SECRET"),
            "https://chat.example.com/…"
        );
        assert_eq!(label("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
        assert_eq!(label("https://example.com:443/x"), "https://example.com/…");
        let url = WebhookUrl::parse("https://hooks.slack.com/services/T000/B000/XXXX").unwrap();
        assert_eq!(format!("{url:?}"), "WebhookUrl(https://hooks.slack.com/…)");
        assert_eq!(url.to_string(), "https://hooks.slack.com/…");
    }

    #[test]
    fn the_job_placeholder_is_filled_in_encoded() {
        let url = WebhookUrl::parse("https://hc-ping.com/KEY/warden-{job}/fail?create=1").unwrap();
        assert_eq!(
            url.for_job("sync-courses").unwrap().as_str(),
            "https://hc-ping.com/KEY/warden-sync-courses/fail?create=1"
        );
        assert_eq!(
            url.for_job("a/../b c").unwrap().as_str(),
            "https://hc-ping.com/KEY/warden-a%2F..%2Fb%20c/fail?create=1"
        );
        let plain = WebhookUrl::parse("https://hooks.slack.com/services/T/B/X").unwrap();
        assert_eq!(
            plain.for_job("x").unwrap().as_str(),
            "https://hooks.slack.com/services/T/B/X"
        );
    }

    #[test]
    fn scrub_removes_the_url_and_its_path() {
        let hook = WebhookUrl::parse("https://hooks.slack.com/services/T/B/X").unwrap();
        let url = hook.for_job("j").unwrap();
        assert_eq!(
            hook.scrub(
                &url,
                "error sending request for url (https://hooks.slack.com/services/T/B/X): /services/T/B/X"
            ),
            "error sending request for url (https://hooks.slack.com/…): /…"
        );
    }

    #[test]
    fn files_are_read_trimmed_and_validated() {
        let dir = std::env::temp_dir().join(format!("warden-endpoint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hook");
        std::fs::write(&file, "  https://hooks.slack.com/services/T/B/X\n").unwrap();
        let url = UrlSource::File(file.clone()).resolve().unwrap();
        assert_eq!(url.label(), "https://hooks.slack.com/…");
        std::fs::write(&file, "http://hooks.example.com/SECRET\n").unwrap();
        let e = UrlSource::File(file.clone())
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("uses http:// for host \"hooks.example.com\""),
            "{e}"
        );
        assert!(!e.contains("SECRET"), "{e}");
        let e = UrlSource::File(dir.join("missing"))
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("webhook file ") && e.contains("cannot read"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
