//! The runtime config, `warden.toml`: which Canvas to talk to and where the
//! worker token comes from.
//!
//! ```toml
//! version = 1                                    # optional; 1 is the only version
//! [canvas]
//! base_url = "https://school.instructure.com"   # http:// only for loopback hosts
//! token_env = "CANVAS_TOKEN"                     # or: token_file = "/run/secrets/canvas-token"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::FileError;
use crate::manifest::FormatVersion;
use crate::request::Origin;
use crate::token::TokenSource;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[allow(dead_code)]
    version: Option<FormatVersion>,
    canvas: Spanned<RawCanvas>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanvas {
    base_url: Spanned<String>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
}

/// A parsed, validated runtime config.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub canvas: CanvasConfig,
}

#[derive(Debug, Clone)]
pub struct CanvasConfig {
    /// Scheme, host and port of the Canvas instance.
    pub origin: Origin,
    pub token: TokenSource,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::io(path, &e))?;
        Config::parse(path, &text)
    }

    /// Validates config text; `path` names it in errors and anchors a
    /// relative `token_file`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, FileError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| FileError::toml(path, text, &e))?;
        let at = |span, msg: String| FileError::at(path, text, span, msg);
        let canvas_span = raw.canvas.span();
        let canvas = raw.canvas.into_inner();

        let origin = Origin::parse(canvas.base_url.get_ref())
            .map_err(|e| at(canvas.base_url.span(), e.to_string()))?;

        let token = match (canvas.token_env, canvas.token_file) {
            (Some(env), None) => {
                let name = env.get_ref();
                let valid = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !valid {
                    return Err(at(
                        env.span(),
                        format!("token_env {name:?} is not an environment variable name"),
                    ));
                }
                TokenSource::Env(name.clone())
            }
            (None, Some(file)) => {
                if file.get_ref().is_empty() {
                    return Err(at(file.span(), "token_file is empty".into()));
                }
                let folder = path.parent().unwrap_or(Path::new(""));
                TokenSource::File(folder.join(file.get_ref()))
            }
            (Some(_), Some(file)) => {
                return Err(at(
                    file.span(),
                    "give either token_env or token_file, not both".into(),
                ))
            }
            (None, None) => {
                return Err(at(
                    canvas_span,
                    "[canvas] needs token_env = \"CANVAS_TOKEN\" (an environment variable) or token_file = \"/path/to/token\"".into(),
                ))
            }
        };

        Ok(Config {
            path: path.to_path_buf(),
            canvas: CanvasConfig { origin, token },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/warden/warden.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_example_parses() {
        let c = parse(
            "[canvas]\nbase_url = \"https://school.instructure.com\"\ntoken_env = \"CANVAS_TOKEN\"\n",
        )
        .unwrap();
        assert_eq!(c.canvas.origin.as_str(), "https://school.instructure.com");
        assert_eq!(c.canvas.token, TokenSource::Env("CANVAS_TOKEN".into()));
    }

    #[test]
    fn token_file_is_relative_to_the_config() {
        let c = parse(
            "version = 1\n[canvas]\nbase_url = \"http://127.0.0.1:8080\"\ntoken_file = \"secrets/token\"\n",
        )
        .unwrap();
        assert_eq!(
            c.canvas.token,
            TokenSource::File("/etc/warden/secrets/token".into())
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("[canvas]\nbase_url = \"http://school.example\"\ntoken_env = \"T\"\n")
            .unwrap_err();
        assert!(
            e.starts_with("/etc/warden/warden.toml:2:12: base_url "),
            "{e}"
        );
        let e = parse("[canvas]\nbase_url = \"https://a.example\"\n").unwrap_err();
        assert!(
            e.starts_with("/etc/warden/warden.toml:1:1: [canvas] needs token_env"),
            "{e}"
        );
        let e = parse(
            "[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\ntoken_file = \"f\"\n",
        )
        .unwrap_err();
        assert!(
            e.contains(":4:14: give either token_env or token_file, not both"),
            "{e}"
        );
        let e = parse("[canvas]\nbase_url = \"https://a.example\"\ntoken = \"abc\"\n").unwrap_err();
        assert!(e.contains(":3:1: unknown field `token`, expected one of `base_url`, `token_env`, `token_file`"), "{e}");
        let e =
            parse("version = 3\n[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n")
                .unwrap_err();
        assert!(e.contains(":1:11: unsupported version 3"), "{e}");
    }
}
