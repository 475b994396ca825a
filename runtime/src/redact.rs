//! Removes the worker token from anything headed for a guest or a log.

use crate::token::{Token, REDACTED};

/// Replaces every occurrence of the token in `bytes` with [`REDACTED`].
/// Returns the input untouched (no copy) when the token is absent.
pub fn bytes(token: &Token, bytes: Vec<u8>) -> Vec<u8> {
    let needle = token.expose().as_bytes();
    if find(&bytes, needle).is_none() {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    while let Some(at) = find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Replaces every occurrence of the token in `text` with [`REDACTED`].
pub fn text(token: &Token, text: &str) -> String {
    text.replace(token.expose(), REDACTED)
}

/// [`bytes`] for each of several secrets.
pub fn bytes_all(secrets: &[Token], mut data: Vec<u8>) -> Vec<u8> {
    for secret in secrets {
        data = bytes(secret, data);
    }
    data
}

/// [`text`] for each of several secrets.
pub fn text_all(secrets: &[Token], text: &str) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret.expose()) {
            out = out.replace(secret.expose(), REDACTED);
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_replaced() {
        let t = Token::new("s3cr3t").unwrap();
        assert_eq!(
            bytes(&t, b"a s3cr3t b s3cr3ts3cr3t".to_vec()),
            b"a [REDACTED] b [REDACTED][REDACTED]".to_vec()
        );
        assert_eq!(
            bytes(&t, b"nothing here".to_vec()),
            b"nothing here".to_vec()
        );
        assert_eq!(bytes(&t, b"s3cr".to_vec()), b"s3cr".to_vec());
        assert_eq!(text(&t, "Bearer s3cr3t"), "Bearer [REDACTED]");
    }

    #[test]
    fn several_secrets_are_all_replaced() {
        let secrets = [
            Token::new("access").unwrap(),
            Token::new("refresh").unwrap(),
        ];
        assert_eq!(
            bytes_all(&secrets, b"access, refresh".to_vec()),
            b"[REDACTED], [REDACTED]".to_vec()
        );
        assert_eq!(
            text_all(&secrets, "refresh/access"),
            "[REDACTED]/[REDACTED]"
        );
        assert_eq!(text_all(&[], "plain"), "plain");
    }
}
