//! Errors about a file a user wrote (config, manifest), pointing at the file,
//! line and column: `examples/job.toml:7:14: unknown field ...`.

use std::fmt;
use std::ops::Range;
use std::path::Path;

/// An error in a user's file, with the position of the offending text when
/// known. Line and column are 1-based; the column counts characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    pub path: String,
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl FileError {
    /// An error about the whole file.
    pub fn whole(path: &Path, message: impl Into<String>) -> Self {
        FileError {
            path: path.display().to_string(),
            position: None,
            message: message.into(),
        }
    }

    /// An error about the text at `span` (byte offsets into `text`).
    pub fn at(path: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        FileError {
            path: path.display().to_string(),
            position: Some(line_column(text, span.start)),
            message: message.into(),
        }
    }

    /// The file could not be read.
    pub fn io(path: &Path, error: &std::io::Error) -> Self {
        FileError::whole(path, format!("cannot read: {error}"))
    }

    /// A TOML syntax or schema error, positioned where the parser says.
    pub fn toml(path: &Path, text: &str, error: &toml::de::Error) -> Self {
        let mut message = tidy(error.message());
        if message == "missing field `version`" {
            message.push_str("; add `version = 1` at the top of the file");
        }
        match error.span() {
            Some(span) => FileError::at(path, text, span, message),
            None => FileError::whole(path, message),
        }
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A serde_json error's message without the " at line L column C" it
/// appends, for errors that put the position in front instead.
pub fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    }
}

/// Serde messages end with a newline or period inconsistently; make them one line.
fn tidy(message: &str) -> String {
    message.trim().replace('\n', "; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = 2\nc = 3";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // "é" is two bytes but one column.
        assert_eq!(line_column(text, 6 + "bé ".len()), (2, 4));
        assert_eq!(line_column(text, text.len()), (3, 6));
    }

    #[test]
    fn displays_path_line_and_column() {
        let e = FileError::at(Path::new("job.toml"), "x\ny", 2..3, "bad");
        assert_eq!(e.to_string(), "job.toml:2:1: bad");
        assert_eq!(
            FileError::whole(Path::new("job.toml"), "gone").to_string(),
            "job.toml: gone"
        );
    }
}
