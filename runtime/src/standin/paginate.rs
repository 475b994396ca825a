//! Canvas pagination: `page` / `per_page` and the `Link` header.

use super::params::QueryPair;

/// `per_page` when absent or unusable.
pub const DEFAULT_PER_PAGE: usize = 10;
/// The largest `per_page` honoured; larger values are capped.
pub const MAX_PER_PAGE: usize = 100;

/// The page a list request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    /// 1-based.
    pub(crate) page: usize,
    pub(crate) per_page: usize,
}

fn last_value<'a>(pairs: &'a [QueryPair], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|p| p.key == key)
        .map(|p| p.value.as_str())
}

impl PageRequest {
    /// Reads `page` (default 1; 0 or junk → 1) and `per_page` (default 10, capped at
    /// 100; 0 or junk → default).
    pub(crate) fn from_query(pairs: &[QueryPair]) -> PageRequest {
        let page = last_value(pairs, "page")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&p| p >= 1)
            .unwrap_or(1);
        let per_page = last_value(pairs, "per_page")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&p| p >= 1)
            .map(|p| p.min(MAX_PER_PAGE))
            .or_else(|| {
                // A number too large for usize is still "a lot": cap it.
                last_value(pairs, "per_page")
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .filter(|v| v.bytes().any(|b| b != b'0'))
                    .map(|_| MAX_PER_PAGE)
            })
            .unwrap_or(DEFAULT_PER_PAGE);
        PageRequest { page, per_page }
    }

    /// The number of pages for `total` items (at least 1).
    pub(crate) fn last_page(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }

    /// The items on the requested page.
    pub(crate) fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        let start = (self.page - 1).saturating_mul(self.per_page);
        items.into_iter().skip(start).take(self.per_page).collect()
    }
}

/// Builds the `Link` header value for a list response.
///
/// Each URL is `base_url` + the raw path as received + the other query parameters in
/// their original order and raw form, followed by `page=N&per_page=M`.
pub(crate) fn link_header(
    base_url: &str,
    raw_path: &str,
    pairs: &[QueryPair],
    req: PageRequest,
    total: usize,
) -> String {
    let kept: Vec<&str> = pairs
        .iter()
        .filter(|p| p.key != "page" && p.key != "per_page")
        .map(|p| p.raw.as_str())
        .collect();
    let prefix = if kept.is_empty() {
        String::new()
    } else {
        format!("{}&", kept.join("&"))
    };
    let url = |page: usize| {
        format!(
            "{base_url}{raw_path}?{prefix}page={page}&per_page={}",
            req.per_page
        )
    };
    let last = req.last_page(total);
    let mut links = vec![format!("<{}>; rel=\"current\"", url(req.page))];
    if req.page < last {
        links.push(format!("<{}>; rel=\"next\"", url(req.page + 1)));
    }
    if req.page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", url(req.page - 1)));
    }
    links.push(format!("<{}>; rel=\"first\"", url(1)));
    links.push(format!("<{}>; rel=\"last\"", url(last)));
    links.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::params::parse_pairs;

    fn pr(q: &str) -> PageRequest {
        PageRequest::from_query(&parse_pairs(q).unwrap())
    }

    #[test]
    fn reads_page_parameters() {
        assert_eq!(
            pr(""),
            PageRequest {
                page: 1,
                per_page: 10
            }
        );
        assert_eq!(
            pr("page=3&per_page=50"),
            PageRequest {
                page: 3,
                per_page: 50
            }
        );
        assert_eq!(pr("per_page=1000").per_page, 100);
        assert_eq!(pr("per_page=99999999999999999999999").per_page, 100);
        assert_eq!(pr("per_page=0").per_page, 10);
        assert_eq!(
            pr("per_page=abc&page=zz"),
            PageRequest {
                page: 1,
                per_page: 10
            }
        );
        assert_eq!(pr("page=0").page, 1);
    }

    #[test]
    fn builds_links() {
        let pairs = parse_pairs("published=false&page=2&x=%20a&per_page=5").unwrap();
        let req = PageRequest::from_query(&pairs);
        let link = link_header("http://h:1", "/api/v1/a", &pairs, req, 12);
        assert_eq!(
            link,
            "<http://h:1/api/v1/a?published=false&x=%20a&page=2&per_page=5>; rel=\"current\",\
             <http://h:1/api/v1/a?published=false&x=%20a&page=3&per_page=5>; rel=\"next\",\
             <http://h:1/api/v1/a?published=false&x=%20a&page=1&per_page=5>; rel=\"prev\",\
             <http://h:1/api/v1/a?published=false&x=%20a&page=1&per_page=5>; rel=\"first\",\
             <http://h:1/api/v1/a?published=false&x=%20a&page=3&per_page=5>; rel=\"last\""
        );
        let link = link_header("http://h:1", "/p", &[], pr(""), 0);
        assert_eq!(
            link,
            "<http://h:1/p?page=1&per_page=10>; rel=\"current\",\
             <http://h:1/p?page=1&per_page=10>; rel=\"first\",\
             <http://h:1/p?page=1&per_page=10>; rel=\"last\""
        );
    }

    #[test]
    fn slices() {
        let items: Vec<u32> = (0..25).collect();
        assert_eq!(
            pr("page=3").slice(items.clone()),
            (20..25).collect::<Vec<_>>()
        );
        assert!(pr("page=4").slice(items.clone()).is_empty());
        assert!(pr("page=18446744073709551615").slice(items).is_empty());
    }
}
