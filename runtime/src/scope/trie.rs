//! The compiled form of a [`ScopeSet`](super::ScopeSet): one trie per
//! method over the forms of every scope.
//!
//! A scope's *forms* are its paths with each optional group `( … )` taken or
//! left out (`/a(/b/:c)` has the forms `/a` and `/a/b/:c`). A form is a
//! sequence of tokens: literal text, `:name`, `*name`. The trie stores every
//! form of every scope, sharing prefixes: literal text on radix-compressed
//! edges (no two edges of a node start with the same byte), one `:name` edge
//! and one `*name` edge per node (names differ between scopes, so a form's
//! end records its own var indexes), and at the node where a form ends, the
//! scope it belongs to.
//!
//! A check walks the trie depth first from the root of the request's method,
//! following every edge that can match: the literal edge starting with the
//! path's next byte, the `:name` edge for each possible end within the
//! segment, the `*name` edge for each possible end in the rest of the path.
//! Where a form ends, Canvas's implicit `.format` suffix (`(?:\.[^/]+|)$`)
//! must match the rest of the path. The semantics are exactly those of
//! [`Scope::allows`](super::Scope::allows); the set returns the first scope in
//! its order that matches, as a loop over the scopes would, and prunes any
//! subtree whose scopes all come later than the best match found so far.
//!
//! Only forms whose walk is linear go into the trie: each `:name` followed by
//! literal text starting with `/` or by the end of the form, each `*name` at
//! the end, at most [`MAX_VARS`] vars and [`MAX_FORMS`] forms per scope. Then a
//! `:name` edge can continue only at the segment's end (the next byte must be
//! `/`) or, at the end of a form, where a `.format` suffix starts, and a
//! `*name` edge only where the suffix starts; each trie node is entered at
//! most at one position that can lead further, so a check costs at most the
//! path's length per trie node on the way. All 1,292 Canvas scopes fit.
//! Scopes that do not are matched one by one by the reference matcher, with
//! its step budget. For scopes in the trie, that matcher never comes near its
//! budget (at most 32 forms, each tried in about one step per path byte and
//! token, against a budget of a million steps), so both give the exact answer.

use super::{Method, Node, Scope, Span};

/// No node.
const NONE: u32 = u32::MAX;
/// Most forms of a scope kept in the trie.
pub(super) const MAX_FORMS: usize = 32;
/// Most vars in one form kept in the trie.
pub(super) const MAX_VARS: usize = 16;

/// One element of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// Literal bytes (ASCII: letters, digits, `_`, `-`, `.`, `/`).
    Literal(Vec<u8>),
    /// A var: its index in [`Scope::vars`](super::Scope::vars), and whether it
    /// is a `*name`.
    Var(u16, bool),
}

/// The forms of a node sequence, without duplicates; `None` when there are
/// more than `cap`.
pub(super) fn forms(nodes: &[Node], cap: usize) -> Option<Vec<Vec<Token>>> {
    let mut out: Vec<Vec<Token>> = vec![Vec::new()];
    for node in nodes {
        match node {
            Node::Literal(text) => {
                for form in &mut out {
                    push(form, Token::Literal(text.as_bytes().to_vec()));
                }
            }
            Node::Param(var) => out.iter_mut().for_each(|f| f.push(Token::Var(*var, false))),
            Node::Glob(var) => out.iter_mut().for_each(|f| f.push(Token::Var(*var, true))),
            Node::Optional(inner) => {
                let inner = forms(inner, cap)?;
                let mut next = Vec::new();
                for form in &out {
                    next.push(form.clone());
                    for taken in &inner {
                        let mut longer = form.clone();
                        for token in taken {
                            push(&mut longer, token.clone());
                        }
                        next.push(longer);
                    }
                    if next.len() > cap {
                        return None;
                    }
                }
                out = next;
            }
        }
    }
    let mut unique: Vec<Vec<Token>> = Vec::with_capacity(out.len());
    for form in out {
        if !unique.contains(&form) {
            unique.push(form);
        }
    }
    Some(unique)
}

/// Appends `token`, merging literal text into a literal before it.
fn push(form: &mut Vec<Token>, token: Token) {
    if let (Some(Token::Literal(last)), Token::Literal(text)) = (form.last_mut(), &token) {
        last.extend_from_slice(text);
        return;
    }
    form.push(token);
}

/// Whether a form can go into the trie (see the module documentation).
fn fits(form: &[Token]) -> bool {
    let vars = form.iter().filter(|t| matches!(t, Token::Var(..))).count();
    vars <= MAX_VARS
        && form.iter().enumerate().all(|(i, token)| match token {
            Token::Literal(_) => true,
            Token::Var(_, glob) => match form.get(i + 1) {
                None => true,
                Some(Token::Literal(next)) => !glob && next.first() == Some(&b'/'),
                Some(Token::Var(..)) => false,
            },
        })
}

#[derive(Debug, Clone)]
struct TrieNode {
    /// The first byte of each literal edge, for a quick search.
    keys: Vec<u8>,
    /// Literal edges: label and child; `keys[i] == edges[i].0[0]`.
    edges: Vec<(Box<[u8]>, u32)>,
    /// The child after a `:name`.
    param: u32,
    /// The child after a `*name`.
    glob: u32,
    /// Forms that end here, ordered by scope.
    ends: Vec<End>,
    /// Bytes at which a walk can go on from here before the path's end:
    /// the keys, and `.` (a `.format` suffix) when a form ends here.
    follow: [u64; 4],
    /// The lowest scope index ending in this subtree.
    min_scope: usize,
}

impl TrieNode {
    fn new() -> TrieNode {
        TrieNode {
            keys: Vec::new(),
            edges: Vec::new(),
            param: NONE,
            glob: NONE,
            ends: Vec::new(),
            follow: [0; 4],
            min_scope: usize::MAX,
        }
    }

    fn follows(&self, byte: u8) -> bool {
        self.follow[usize::from(byte >> 6)] & (1u64 << (byte & 63)) != 0
    }
}

/// A form ending at a node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct End {
    /// Index of the scope in the set.
    scope: usize,
    /// The form's vars, in path order: the `n`th var edge on the way here
    /// took the `n`th of these.
    vars: Box<[u16]>,
}

/// One trie per method, in one arena.
#[derive(Debug, Clone)]
pub(super) struct Trie {
    nodes: Vec<TrieNode>,
    /// The root for each method (`Method as usize`), or `NONE`.
    roots: [u32; Method::ALL.len()],
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: Vec::new(),
            roots: [NONE; Method::ALL.len()],
        }
    }
}

impl Trie {
    /// Compiles `scopes`; also returns the indexes (ascending) of the scopes
    /// left out, to be matched one by one.
    pub(super) fn build(scopes: &[Scope]) -> (Trie, Vec<usize>) {
        let mut trie = Trie::default();
        let mut alone = Vec::new();
        for (index, scope) in scopes.iter().enumerate() {
            match forms(&scope.nodes, MAX_FORMS) {
                Some(forms) if forms.iter().all(|f| fits(f)) => {
                    for form in &forms {
                        trie.insert(scope.method, index, form);
                    }
                }
                _ => alone.push(index),
            }
        }
        trie.finish();
        (trie, alone)
    }

    fn add_node(&mut self) -> u32 {
        self.nodes.push(TrieNode::new());
        // An arena of more than 4 billion nodes would not fit in memory first.
        u32::try_from(self.nodes.len() - 1).unwrap_or(NONE)
    }

    fn node(&mut self, id: u32) -> &mut TrieNode {
        &mut self.nodes[id as usize]
    }

    fn insert(&mut self, method: Method, scope: usize, form: &[Token]) {
        let mut at = self.roots[method as usize];
        if at == NONE {
            at = self.add_node();
            self.roots[method as usize] = at;
        }
        let mut vars = Vec::new();
        for token in form {
            at = match token {
                Token::Literal(text) => self.insert_literal(at, text),
                Token::Var(var, glob) => {
                    vars.push(*var);
                    let existing = if *glob {
                        self.node(at).glob
                    } else {
                        self.node(at).param
                    };
                    if existing != NONE {
                        existing
                    } else {
                        let child = self.add_node();
                        let node = self.node(at);
                        if *glob {
                            node.glob = child;
                        } else {
                            node.param = child;
                        }
                        child
                    }
                }
            };
        }
        let end = End {
            scope,
            vars: vars.into(),
        };
        let ends = &mut self.node(at).ends;
        if !ends.contains(&end) {
            ends.push(end);
        }
    }

    /// Follows or adds the literal `text` from `at`, splitting an edge where
    /// it and `text` part; returns the node at the end of `text`.
    fn insert_literal(&mut self, mut at: u32, mut text: &[u8]) -> u32 {
        while let Some(&first) = text.first() {
            let node = &self.nodes[at as usize];
            let Some(i) = node.keys.iter().position(|&k| k == first) else {
                let child = self.add_node();
                let node = self.node(at);
                node.keys.push(first);
                node.edges.push((text.into(), child));
                return child;
            };
            let (label, child) = (&node.edges[i].0, node.edges[i].1);
            let common = label.iter().zip(text).take_while(|(a, b)| a == b).count();
            if common == label.len() {
                at = child;
                text = &text[common..];
                continue;
            }
            // Split the edge: at --label[..common]--> mid --label[common..]--> child.
            let (head, tail): (Box<[u8]>, Box<[u8]>) =
                (label[..common].into(), label[common..].into());
            let mid = self.add_node();
            let mid_node = self.node(mid);
            mid_node.keys.push(tail[0]);
            mid_node.edges.push((tail, child));
            self.node(at).edges[i] = (head, mid);
            at = mid;
            text = &text[common..];
        }
        at
    }

    /// Orders each node's ends and fills in `follow` and `min_scope`.
    fn finish(&mut self) {
        for node in &mut self.nodes {
            node.ends.sort_by_key(|e| e.scope);
            for &key in &node.keys {
                node.follow[usize::from(key >> 6)] |= 1u64 << (key & 63);
            }
            if !node.ends.is_empty() {
                node.follow[usize::from(b'.' >> 6)] |= 1u64 << (b'.' & 63);
            }
        }
        for root in self.roots {
            if root != NONE {
                self.fill_min_scope(root);
            }
        }
    }

    /// `min_scope` of the subtree at `id`, computed bottom-up without
    /// recursion (a form can be up to a kilobyte of tokens deep).
    fn fill_min_scope(&mut self, root: u32) {
        // Post-order: a node is finished once all its children are.
        let mut stack: Vec<(u32, bool)> = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            let node = &self.nodes[id as usize];
            let children = node
                .edges
                .iter()
                .map(|e| e.1)
                .chain([node.param, node.glob])
                .filter(|&c| c != NONE);
            if children_done {
                let own = node.ends.first().map_or(usize::MAX, |e| e.scope);
                let min = children
                    .map(|c| self.nodes[c as usize].min_scope)
                    .fold(own, usize::min);
                self.node(id).min_scope = min;
            } else {
                let children: Vec<u32> = children.collect();
                stack.push((id, true));
                stack.extend(children.into_iter().map(|c| (c, false)));
            }
        }
    }

    /// The lowest scope index with a form matching `path` (a request path
    /// without a newline) in a way `accept` accepts. `method` is not HEAD.
    pub(super) fn search(
        &self,
        method: Method,
        path: &str,
        accept: &mut dyn FnMut(usize, &[Span], usize) -> bool,
    ) -> Option<usize> {
        let root = self.roots[method as usize];
        if root == NONE {
            return None;
        }
        let bytes = path.as_bytes();
        let mut search = Search {
            nodes: &self.nodes,
            path: bytes,
            last_slash: memchr::memrchr(b'/', bytes),
            best: usize::MAX,
            stack: [(0, 0); MAX_VARS],
            depth: 0,
            accept,
        };
        search.visit(root, 0);
        (search.best != usize::MAX).then_some(search.best)
    }
}

/// The state of one check.
struct Search<'t, 'f> {
    nodes: &'t [TrieNode],
    path: &'t [u8],
    /// Where the path's last `/` is: a `.format` suffix comes after it.
    last_slash: Option<usize>,
    /// The lowest scope index accepted so far (`usize::MAX`: none).
    best: usize,
    /// The spans (start, end) taken by the var edges on the way here.
    stack: [(usize, usize); MAX_VARS],
    depth: usize,
    accept: &'f mut dyn FnMut(usize, &[Span], usize) -> bool,
}

impl Search<'_, '_> {
    /// Whether Canvas's `.format` suffix matches the whole rest of the path
    /// from `pos`: nothing, or `.` and one or more bytes without a `/`.
    fn suffix_matches(&self, pos: usize) -> bool {
        pos == self.path.len()
            || (self.path[pos] == b'.'
                && pos + 1 < self.path.len()
                && self.last_slash.is_none_or(|s| s < pos))
    }

    /// Whether a walk at node `id` can go on from position `pos`.
    fn can_continue(&self, id: u32, pos: usize) -> bool {
        let node = &self.nodes[id as usize];
        match self.path.get(pos) {
            None => !node.ends.is_empty(),
            Some(&byte) => node.follows(byte),
        }
    }

    fn visit(&mut self, id: u32, pos: usize) {
        let nodes = self.nodes;
        let node = &nodes[id as usize];
        if node.min_scope >= self.best {
            return;
        }
        if !node.ends.is_empty() && self.suffix_matches(pos) {
            self.ends(node, pos);
        }
        if let Some(&byte) = self.path.get(pos) {
            if let Some(i) = memchr::memchr(byte, &node.keys) {
                let (label, child) = &node.edges[i];
                if self.path[pos..].starts_with(label) {
                    self.visit(*child, pos + label.len());
                }
            }
        }
        if node.param != NONE {
            let limit =
                memchr::memchr(b'/', &self.path[pos..]).map_or(self.path.len(), |i| pos + i);
            self.var_edge(node.param, pos, limit);
        }
        if node.glob != NONE {
            self.var_edge(node.glob, pos, self.path.len());
        }
    }

    /// Follows a var edge to `child` for each end in `pos + 1 ..= limit`
    /// at which the walk can go on, longest first.
    fn var_edge(&mut self, child: u32, pos: usize, limit: usize) {
        if self.depth >= MAX_VARS {
            return;
        }
        let mut end = limit;
        while end > pos {
            if self.nodes[child as usize].min_scope >= self.best {
                return;
            }
            // Every byte a walk can go on at is ASCII, so `end` is a
            // character boundary and the var takes at least one character.
            if self.can_continue(child, end) {
                self.stack[self.depth] = (pos, end);
                self.depth += 1;
                self.visit(child, end);
                self.depth -= 1;
            }
            end -= 1;
        }
    }

    /// Offers each form ending at `node` (with the path matched up to `pos`
    /// and the suffix after it) to `accept`, in scope order.
    fn ends(&mut self, node: &TrieNode, pos: usize) {
        for end in &node.ends {
            if end.scope >= self.best {
                return;
            }
            let mut spans = [Span::default(); MAX_VARS];
            for (span, (&var, &(start, stop))) in
                spans.iter_mut().zip(end.vars.iter().zip(&self.stack))
            {
                *span = Span {
                    var,
                    start,
                    end: stop,
                };
            }
            let count = end.vars.len().min(MAX_VARS);
            if (self.accept)(end.scope, &spans[..count], pos) {
                self.best = end.scope;
                return;
            }
        }
    }
}
