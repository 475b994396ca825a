//! Request parameters the way Rails (and so Canvas) reads them: the query string and a
//! form-encoded or JSON body, merged into one flat list of `key` → value, where nested
//! keys are written `course[name]` and list keys `include[]`.

use serde_json::Value;

/// A parameter that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamError(pub(crate) String);

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space and `%XX`
/// a byte; a `%` not followed by two hex digits is an error (Rails answers 400 too).
pub(crate) fn decode_form_component(s: &str) -> Result<String, ParamError> {
    decode(s, true)
}

/// Decodes a path segment: `%XX` only (`+` stays a plus).
pub(crate) fn decode_path_segment(s: &str) -> Result<String, ParamError> {
    decode(s, false)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &str, plus_is_space: bool) -> Result<String, ParamError> {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'))
    {
        return Ok(s.to_string());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                    }
                    _ => {
                        let bad: String = s[i..].chars().take(3).collect();
                        return Err(ParamError(format!("invalid %-encoding ({bad})")));
                    }
                }
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// One `key=value` piece of a query string, decoded, with its raw text kept (for
/// rebuilding pagination links without touching the other parameters).
#[derive(Debug, Clone)]
pub(crate) struct QueryPair {
    pub(crate) raw: String,
    pub(crate) key: String,
    pub(crate) value: String,
}

/// Splits and decodes a raw query string (or a form body). Empty pieces are skipped.
pub(crate) fn parse_pairs(raw: &str) -> Result<Vec<QueryPair>, ParamError> {
    let mut out = Vec::new();
    for piece in raw.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (k, v) = match piece.find('=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, ""),
        };
        out.push(QueryPair {
            raw: piece.to_string(),
            key: decode_form_component(k)?,
            value: decode_form_component(v)?,
        });
    }
    Ok(out)
}

/// Merged request parameters. Later entries win for scalar look-ups (as in Rails, where
/// the last `a=` wins and body parameters override query parameters).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    entries: Vec<(String, Value)>,
}

impl Params {
    pub(crate) fn from_pairs(pairs: &[QueryPair]) -> Params {
        Params {
            entries: pairs
                .iter()
                .map(|p| (p.key.clone(), Value::String(p.value.clone())))
                .collect(),
        }
    }

    /// Flattens a JSON object into Rails-style keys (`{"course":{"name":"x"}}` gives
    /// `course[name]`); arrays give `key[]` entries.
    pub(crate) fn from_json_object(v: &Value) -> Result<Params, ParamError> {
        let mut p = Params::default();
        match v {
            Value::Object(_) => {
                flatten("", v, &mut p.entries);
                Ok(p)
            }
            _ => Err(ParamError("the JSON body must be an object".into())),
        }
    }

    pub(crate) fn extend(&mut self, other: Params) {
        self.entries.extend(other.entries);
    }

    /// The last value given for `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The last value for `key` as text (numbers and booleans printed; `null` → None).
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(value_text)
    }

    /// All values of a list parameter: `name[]=a&name[]=b`, or a plain `name=a` (Rails's
    /// `Array(params[:name])`).
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        let bracketed = format!("{name}[]");
        let mut out: Vec<String> = self
            .entries
            .iter()
            .filter(|(k, _)| *k == bracketed)
            .filter_map(|(_, v)| value_text(v))
            .collect();
        if out.is_empty() {
            if let Some(v) = self.text(name) {
                out.push(v);
            }
        }
        out
    }

    /// Canvas's `value_to_boolean` of the last value for `key` (None when absent or
    /// not a recognisable boolean).
    pub(crate) fn boolean(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(value_to_boolean)
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) if !prefix.is_empty() => {
            let key = format!("{prefix}[]");
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => flatten(&key, item, out),
                    _ => out.push((key.clone(), item.clone())),
                }
            }
        }
        _ => {
            if !prefix.is_empty() {
                out.push((prefix.to_string(), v.clone()));
            }
        }
    }
}

/// A scalar as text; `null`, objects and arrays give None.
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Canvas's `value_to_boolean`.
pub(crate) fn value_to_boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" | "t" | "y" => Some(true),
            "no" | "false" | "off" | "0" | "f" | "n" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_form_components() {
        assert_eq!(decode_form_component("a+b%20c%2B").unwrap(), "a b c+");
        assert_eq!(decode_path_segment("a+b%3A").unwrap(), "a+b:");
        assert_eq!(decode_form_component("%C3%A9").unwrap(), "é");
        assert!(decode_form_component("%zz").is_err());
        assert!(decode_form_component("%4").is_err());
        assert!(decode_form_component("100%").is_err());
    }

    #[test]
    fn parses_pairs_and_lists() {
        let pairs = parse_pairs("include%5B%5D=term&include[]=x&&a=1&a=2&flag").unwrap();
        assert_eq!(pairs.len(), 5);
        assert_eq!(pairs[0].raw, "include%5B%5D=term");
        let p = Params::from_pairs(&pairs);
        assert_eq!(p.list("include"), vec!["term", "x"]);
        assert_eq!(p.text("a").as_deref(), Some("2"));
        assert_eq!(p.text("flag").as_deref(), Some(""));
        assert!(p.has("flag"));
    }

    #[test]
    fn flattens_json() {
        let p = Params::from_json_object(&json!({
            "course": {"name": "X", "is_public": true, "start_at": null},
            "include": ["a", "b"]
        }))
        .unwrap();
        assert_eq!(p.text("course[name]").as_deref(), Some("X"));
        assert_eq!(p.boolean("course[is_public]"), Some(true));
        assert!(p.has("course[start_at]"));
        assert_eq!(p.text("course[start_at]"), None);
        assert_eq!(p.list("include"), vec!["a", "b"]);
        assert!(Params::from_json_object(&json!([1])).is_err());
    }

    #[test]
    fn booleans_like_canvas() {
        assert_eq!(value_to_boolean(&json!("TRUE")), Some(true));
        assert_eq!(value_to_boolean(&json!("0")), Some(false));
        assert_eq!(value_to_boolean(&json!(1)), Some(true));
        assert_eq!(value_to_boolean(&json!("maybe")), None);
    }
}
