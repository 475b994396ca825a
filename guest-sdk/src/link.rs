//! Parsing of the HTTP `Link` header that Canvas uses for pagination.
//!
//! Canvas sends one header of comma-separated links, each a URL in angle
//! brackets followed by `; rel="..."` parameters:
//!
//! ```text
//! <https://canvas.example/api/v1/courses?page=2&per_page=10>; rel="next",
//! <https://canvas.example/api/v1/courses?page=1&per_page=10>; rel="first"
//! ```
//!
//! The URLs are opaque: Canvas may use bookmark pages such as
//! `page=bookmark:WzEsMl0`, and a URL may contain commas or semicolons, so the
//! parser reads a URL up to its closing `>` and never looks inside it.

/// The pagination links of a response (`Link` header), each an absolute URL
/// on the Canvas origin, taken as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// `rel="next"`: the following page; `None` on the last page.
    pub next: Option<String>,
    /// `rel="prev"`: the previous page.
    pub prev: Option<String>,
    /// `rel="first"`: the first page.
    pub first: Option<String>,
    /// `rel="last"`: the last page (Canvas omits it when counting is costly).
    pub last: Option<String>,
    /// `rel="current"`: this page.
    pub current: Option<String>,
}

impl Links {
    /// Parses the value of a `Link` header. Unknown relations and malformed
    /// entries are skipped; when a relation appears twice the first one wins.
    pub fn parse(header: &str) -> Links {
        let mut links = Links::default();
        links.add(header);
        links
    }

    /// Parses several `Link` header values (a response may carry the header
    /// more than once) as if they were one comma-separated list.
    pub fn parse_all<'a>(headers: impl IntoIterator<Item = &'a str>) -> Links {
        let mut links = Links::default();
        for header in headers {
            links.add(header);
        }
        links
    }

    /// `true` when no relation was found.
    pub fn is_empty(&self) -> bool {
        self == &Links::default()
    }

    fn add(&mut self, header: &str) {
        for (url, rels) in entries(header) {
            for rel in rels.split_ascii_whitespace() {
                let slot = match rel.to_ascii_lowercase().as_str() {
                    "next" => &mut self.next,
                    "prev" | "previous" => &mut self.prev,
                    "first" => &mut self.first,
                    "last" => &mut self.last,
                    "current" => &mut self.current,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(url.to_string());
                }
            }
        }
    }
}

/// Splits a `Link` header into `(url, rel value)` pairs. An entry without a
/// `rel` parameter yields an empty rel value.
fn entries(header: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return out;
        }
        if !rest.starts_with('<') {
            // Malformed entry: skip to the next comma outside quotes.
            let (_, after) = split_params(rest);
            rest = after;
            continue;
        }
        let Some(end) = rest.find('>') else {
            return out; // unterminated URL: nothing more to read
        };
        let url = rest[1..end].trim();
        let (params, after) = split_params(&rest[end + 1..]);
        rest = after;
        let rel = params
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("rel"))
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        out.push((url, rel));
    }
}

/// Reads `; name=value; name="quoted, value"` parameters up to the comma
/// that ends the entry; returns them and the text after that comma.
fn split_params(s: &str) -> (Vec<(String, String)>, &str) {
    let mut params = Vec::new();
    let mut chars = s.char_indices().peekable();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut end = s.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\\' if in_quotes => {
                if let Some((_, escaped)) = chars.next() {
                    current.push(escaped);
                }
            }
            ',' if !in_quotes => {
                end = i;
                break;
            }
            ';' if !in_quotes => {
                push_param(&mut params, &current);
                current.clear();
            }
            _ => current.push(c),
        }
    }
    push_param(&mut params, &current);
    let after = if end < s.len() { &s[end + 1..] } else { "" };
    (params, after)
}

fn push_param(params: &mut Vec<(String, String)>, raw: &str) {
    let raw = raw.trim();
    if raw.is_empty() {
        return;
    }
    let (name, value) = match raw.split_once('=') {
        Some((name, value)) => (name.trim(), value.trim()),
        None => (raw, ""),
    };
    params.push((name.to_string(), value.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://canvas.example/api/v1/accounts/1/courses";

    #[test]
    fn canvas_format_with_all_rels() {
        let header = format!(
            "<{BASE}?page=2&per_page=10>; rel=\"current\",<{BASE}?page=3&per_page=10>; rel=\"next\",\
             <{BASE}?page=1&per_page=10>; rel=\"prev\",<{BASE}?page=1&per_page=10>; rel=\"first\",\
             <{BASE}?page=6&per_page=10>; rel=\"last\""
        );
        let links = Links::parse(&header);
        assert_eq!(
            links.current.as_deref(),
            Some(&*format!("{BASE}?page=2&per_page=10"))
        );
        assert_eq!(
            links.next.as_deref(),
            Some(&*format!("{BASE}?page=3&per_page=10"))
        );
        assert_eq!(
            links.prev.as_deref(),
            Some(&*format!("{BASE}?page=1&per_page=10"))
        );
        assert_eq!(
            links.first.as_deref(),
            Some(&*format!("{BASE}?page=1&per_page=10"))
        );
        assert_eq!(
            links.last.as_deref(),
            Some(&*format!("{BASE}?page=6&per_page=10"))
        );
        assert!(!links.is_empty());
    }

    #[test]
    fn last_page_has_no_next() {
        let header = format!("<{BASE}?page=6>; rel=\"current\",<{BASE}?page=1>; rel=\"first\"");
        let links = Links::parse(&header);
        assert_eq!(links.next, None);
        assert_eq!(links.last, None);
        assert_eq!(links.current.as_deref(), Some(&*format!("{BASE}?page=6")));
    }

    #[test]
    fn bookmark_pages_are_opaque() {
        let next = format!("{BASE}?page=bookmark:WzEsMl0&per_page=100");
        let header =
            format!("<{BASE}?page=first&per_page=100>; rel=\"current\",<{next}>; rel=\"next\"");
        assert_eq!(Links::parse(&header).next, Some(next));
    }

    #[test]
    fn commas_and_semicolons_inside_the_url() {
        let next = format!("{BASE}?include[]=a,b;c&page=bookmark:WzEsMl0=,&x=\"y\"");
        let header = format!("<{next}>; rel=\"next\", <{BASE}?a=1;b=2,3>; rel=\"last\"");
        let links = Links::parse(&header);
        assert_eq!(links.next, Some(next));
        assert_eq!(links.last, Some(format!("{BASE}?a=1;b=2,3")));
    }

    #[test]
    fn missing_rel_and_unknown_rels_are_ignored() {
        let header = format!("<{BASE}?page=9>, <{BASE}?page=8>; title=\"x\", <{BASE}?page=2>; rel=\"alternate\", <{BASE}?page=3>; rel=\"next\"");
        let links = Links::parse(&header);
        assert_eq!(links.next, Some(format!("{BASE}?page=3")));
        assert_eq!(links.first, None);
        assert_eq!(links.current, None);
    }

    #[test]
    fn spacing_case_and_quoting_variants() {
        let header = format!(
            "  < {BASE}?page=2 >;rel=next ,<{BASE}?page=1> ;  REL = \"FIRST\"\n,\t<{BASE}?page=5>;rel=\"prev last\";title=\"a, b; c\" ,, "
        );
        let links = Links::parse(&header);
        assert_eq!(links.next, Some(format!("{BASE}?page=2")));
        assert_eq!(links.first, Some(format!("{BASE}?page=1")));
        assert_eq!(links.prev, Some(format!("{BASE}?page=5")));
        assert_eq!(links.last, Some(format!("{BASE}?page=5")));
    }

    #[test]
    fn first_occurrence_wins_and_headers_combine() {
        let links = Links::parse_all([
            "</a?page=2>; rel=\"next\"",
            "</a?page=3>; rel=\"next\", </a?page=1>; rel=\"first\"",
        ]);
        assert_eq!(links.next.as_deref(), Some("/a?page=2"));
        assert_eq!(links.first.as_deref(), Some("/a?page=1"));
    }

    #[test]
    fn empty_and_malformed_headers() {
        assert!(Links::parse("").is_empty());
        assert!(Links::parse("   ,  ").is_empty());
        assert!(Links::parse("garbage; rel=\"next\"").is_empty());
        assert!(Links::parse("<https://unterminated; rel=\"next\"").is_empty());
        let links = Links::parse("garbage; rel=next, </ok>; rel=next");
        assert_eq!(links.next.as_deref(), Some("/ok"));
    }
}
