//! `cargo xtask diff <old> <new>`: every change between two OpenAPI 3.0
//! documents, each with a stable rule id in oasdiff's style and a level
//! (error: breaking; warning: a behaviour change a client may notice; info),
//! and the semver bump the generated Rust API needs.
//!
//! Operations are matched by method and path with the path parameters'
//! names set aside; `oneOf`/`anyOf` branches by `$ref` name, then by shape;
//! the direction a value travels decides what a change does to a client.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::Failure;
use crate::model::{Additional, Model, Node, Operation, Side};
use crate::source::Source;

/// How much a change matters to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Breaking: code or requests that worked before may stop working.
    Error,
    /// A behaviour change a client may notice.
    Warning,
    /// Harmless.
    Info,
}

impl Level {
    /// `error`, `warning` or `info`.
    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }

    /// Reads a label back.
    pub fn parse(label: &str) -> Option<Level> {
        [Level::Error, Level::Warning, Level::Info]
            .into_iter()
            .find(|l| l.label() == label)
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// How much it matters.
    pub level: Level,
    /// The operation: its operationId, else `METHOD /path`.
    pub operation: String,
    /// The node within the operation (`request/name`), empty for the
    /// operation itself.
    pub node: String,
    /// The rule, e.g. `request-property-enum-value-removed`.
    pub id: String,
    /// The old value (empty when not applicable).
    pub old: String,
    /// The new value (empty when not applicable).
    pub new: String,
    /// Where in the old document (for an addition: the nearest enclosing node).
    pub old_pointer: String,
    /// Where in the new document (for a removal: the nearest enclosing node).
    pub new_pointer: String,
}

impl Change {
    /// `operation node`, or the operation alone.
    pub fn at(&self) -> String {
        if self.node.is_empty() {
            self.operation.clone()
        } else {
            format!("{} {}", self.operation, self.node)
        }
    }

    /// A new value or branch a response may now hold: the generated Rust
    /// enums are exhaustive, so a client built before cannot read it.
    pub fn breaks_exhaustive_matches(&self) -> bool {
        self.id.starts_with("response-") && EXHAUSTIVE.iter().any(|w| self.id.ends_with(w))
    }
}

/// A rule about a schema: its id is `<subject>-<word>`, the subject one of
/// [`REQUEST_SUBJECTS`] or [`RESPONSE_SUBJECTS`]; its level depends on which
/// way the value travels (`None`: never reported that way).
#[derive(Debug, Clone, Copy)]
pub struct SchemaRule {
    /// The part of the id after the subject.
    pub word: &'static str,
    /// The level for a value the client sends.
    pub request: Option<Level>,
    /// The level for a value the client reads.
    pub response: Option<Level>,
}

/// What a schema rule's id starts with for a value the client sends.
pub const REQUEST_SUBJECTS: [&str; 3] = ["request-parameter", "request-body", "request-property"];

/// What a schema rule's id starts with for a value the client reads.
pub const RESPONSE_SUBJECTS: [&str; 3] = ["response-body", "response-property", "response-header"];

const fn schema_rule(
    word: &'static str,
    request: Option<Level>,
    response: Option<Level>,
) -> SchemaRule {
    SchemaRule {
        word,
        request,
        response,
    }
}

const E: Option<Level> = Some(Level::Error);
const W: Option<Level> = Some(Level::Warning);
const I: Option<Level> = Some(Level::Info);

/// Every schema rule. Sent values break when the accepted set narrows; read
/// values break when the set the client may receive widens.
pub const SCHEMA_RULES: &[SchemaRule] = &[
    schema_rule("type-changed", E, E),
    schema_rule("type-generalized", I, None),
    schema_rule("type-specialized", None, I),
    schema_rule("schema-renamed", I, I),
    schema_rule("became-required", E, I),
    schema_rule("became-optional", I, E),
    schema_rule("became-nullable", I, E),
    schema_rule("became-not-nullable", E, I),
    schema_rule("enum-value-added", I, E),
    schema_rule("enum-value-removed", E, I),
    schema_rule("became-enum", E, I),
    schema_rule("became-not-enum", I, E),
    schema_rule("limit-tightened", E, I),
    schema_rule("limit-relaxed", I, E),
    schema_rule("pattern-changed", W, W),
    schema_rule("default-value-changed", W, I),
    schema_rule("one-of-added", I, E),
    schema_rule("one-of-removed", E, I),
    schema_rule("any-of-added", I, E),
    schema_rule("any-of-removed", E, I),
    schema_rule("became-closed", E, I),
    schema_rule("became-open", I, I),
    schema_rule("additional-properties-changed", W, W),
];

/// The schema words that, on a response, break only exhaustive matches.
const EXHAUSTIVE: [&str; 4] = [
    "enum-value-added",
    "became-not-enum",
    "one-of-added",
    "any-of-added",
];

/// Every other rule: operations, parameters, bodies, media types, statuses,
/// headers and properties appearing or disappearing.
pub const RULES: &[(&str, Level)] = &[
    ("endpoint-added", Level::Info),
    ("api-removed-without-deprecation", Level::Error),
    ("api-removed-with-deprecation", Level::Error),
    ("endpoint-deprecated", Level::Info),
    ("endpoint-reactivated", Level::Info),
    ("api-operation-id-changed", Level::Warning),
    ("api-path-parameter-renamed", Level::Info),
    ("new-required-request-parameter", Level::Error),
    ("new-optional-request-parameter", Level::Info),
    ("request-parameter-removed", Level::Warning),
    ("added-required-request-body", Level::Error),
    ("added-optional-request-body", Level::Info),
    ("request-body-removed", Level::Error),
    ("request-body-media-type-added", Level::Info),
    ("request-body-media-type-removed", Level::Error),
    ("new-required-request-property", Level::Error),
    ("new-optional-request-property", Level::Info),
    ("request-property-removed", Level::Warning),
    ("response-success-status-added", Level::Info),
    ("response-non-success-status-added", Level::Info),
    ("response-success-status-removed", Level::Error),
    ("response-non-success-status-removed", Level::Info),
    ("response-media-type-added", Level::Info),
    ("response-media-type-removed", Level::Error),
    ("response-header-added", Level::Info),
    ("required-response-header-removed", Level::Error),
    ("optional-response-header-removed", Level::Warning),
    ("response-required-property-added", Level::Info),
    ("response-optional-property-added", Level::Info),
    ("response-required-property-removed", Level::Error),
    ("response-optional-property-removed", Level::Info),
];

/// Every rule id with its level: [`RULES`], then each schema rule for each
/// subject of each direction it applies to.
pub fn all_rules() -> Vec<(String, Level)> {
    let mut all: Vec<(String, Level)> =
        RULES.iter().map(|(id, l)| ((*id).to_owned(), *l)).collect();
    for rule in SCHEMA_RULES {
        for (subjects, level) in [
            (REQUEST_SUBJECTS, rule.request),
            (RESPONSE_SUBJECTS, rule.response),
        ] {
            if let Some(level) = level {
                all.extend(
                    subjects
                        .iter()
                        .map(|s| (format!("{s}-{}", rule.word), level)),
                );
            }
        }
    }
    all
}

/// The level of a rule id; an unknown id (a bug) counts as breaking.
pub fn level_of(id: &str) -> Level {
    if let Some((_, level)) = RULES.iter().find(|(rule, _)| *rule == id) {
        return *level;
    }
    let word_after = |subjects: [&str; 3]| {
        subjects
            .iter()
            .find_map(|s| id.strip_prefix(s).and_then(|rest| rest.strip_prefix('-')))
    };
    let level = |word: &str, request: bool| {
        let rule = SCHEMA_RULES.iter().find(|rule| rule.word == word)?;
        if request { rule.request } else { rule.response }
    };
    word_after(REQUEST_SUBJECTS)
        .and_then(|word| level(word, true))
        .or_else(|| word_after(RESPONSE_SUBJECTS).and_then(|word| level(word, false)))
        .unwrap_or(Level::Error)
}

/// Reads the text of one side: a path, `git:<rev>` (the spec at that
/// revision) or `git:<rev>:<path>` (a path of the repository at `root`).
pub fn read_side(root: &Path, side: &str) -> Result<String, Failure> {
    Source::parse(side).read(root)
}

/// Reads one side and its external `$ref`s into the normalised model.
pub fn load(root: &Path, side: &str) -> Result<Model, Failure> {
    Ok(Model::from_spec(&Source::parse(side).load(root)?))
}

/// Parses spec text into the normalised model (external `$ref`s stay
/// unresolved: there is no file to resolve them from).
pub fn model_of(name: &str, text: &str) -> Result<Model, Failure> {
    let spec = dotdigital_spec::to_json(text).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    Ok(Model::from_spec(&spec))
}

/// Every change from `old` to `new`, sorted by level, then place.
pub fn diff(old: &Model, new: &Model) -> Vec<Change> {
    let mut changes = Vec::new();
    let pairs = match_operations(old, new);
    let matched: BTreeSet<&str> = pairs.values().map(String::as_str).collect();
    for (key, old_op) in &old.operations {
        let Some(new_op) = pairs.get(key).and_then(|n| new.operations.get(n)) else {
            let id = if old_op.deprecated {
                "api-removed-with-deprecation"
            } else {
                "api-removed-without-deprecation"
            };
            let mut change = change(id, (key, ""), (&old_op.operation_id, ""));
            change.old_pointer = old_op.pointer.clone();
            changes.push(change);
            continue;
        };
        compare_operations(old_op, new_op, &mut changes);
    }
    for (key, new_op) in &new.operations {
        if !matched.contains(key.as_str()) {
            let mut change = change("endpoint-added", (key, ""), ("", &new_op.operation_id));
            change.new_pointer = new_op.pointer.clone();
            changes.push(change);
        }
    }
    changes.sort();
    changes
}

/// Old operation key to new: the same `METHOD /path`, else the same path
/// with the parameters' names set aside (`/books/{bookId}` is `/books/{id}`).
fn match_operations(old: &Model, new: &Model) -> BTreeMap<String, String> {
    let shapes = |model: &Model, other: &Model| {
        let mut by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for key in model
            .operations
            .keys()
            .filter(|k| !other.operations.contains_key(*k))
        {
            by_shape.entry(shape(key)).or_default().push(key.clone());
        }
        by_shape
    };
    let (old_shapes, new_shapes) = (shapes(old, new), shapes(new, old));
    let mut pairs = BTreeMap::new();
    for key in old.operations.keys() {
        if new.operations.contains_key(key) {
            pairs.insert(key.clone(), key.clone());
        } else if let (Some([_]), Some([new_key])) = (
            old_shapes.get(&shape(key)).map(Vec::as_slice),
            new_shapes.get(&shape(key)).map(Vec::as_slice),
        ) {
            pairs.insert(key.clone(), new_key.clone());
        }
    }
    pairs
}

/// `GET /books/{bookId}` as `GET /books/{}`.
fn shape(key: &str) -> String {
    let mut out = String::new();
    let mut in_name = false;
    for c in key.chars() {
        match c {
            '{' => {
                in_name = true;
                out.push(c);
            }
            '}' => {
                in_name = false;
                out.push(c);
            }
            _ if in_name => {}
            _ => out.push(c),
        }
    }
    out
}

/// The names of a path template's parameters, in order.
fn path_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

fn compare_operations(old_op: &Operation, new_op: &Operation, changes: &mut Vec<Change>) {
    let op = if new_op.operation_id.is_empty() {
        format!("{} {}", new_op.method, new_op.path)
    } else {
        new_op.operation_id.clone()
    };
    let mut push = |id: &str, old: &str, new: &str| {
        let mut change = change(id, (&op, ""), (old, new));
        change.old_pointer = old_op.pointer.clone();
        change.new_pointer = new_op.pointer.clone();
        changes.push(change);
    };
    if old_op.operation_id != new_op.operation_id {
        // The generated method is named after the operationId.
        push(
            "api-operation-id-changed",
            &old_op.operation_id,
            &new_op.operation_id,
        );
    }
    if old_op.deprecated != new_op.deprecated {
        let id = if new_op.deprecated {
            "endpoint-deprecated"
        } else {
            "endpoint-reactivated"
        };
        push(id, "", "");
    }
    let mut renames = Vec::new();
    for (old_name, new_name) in path_parameters(&old_op.path)
        .into_iter()
        .zip(path_parameters(&new_op.path))
    {
        if old_name != new_name {
            push("api-path-parameter-renamed", old_name, new_name);
            renames.push((
                format!("parameters/path/{new_name}"),
                format!("parameters/path/{old_name}"),
            ));
        }
    }
    let mut new_nodes: BTreeMap<String, Node> = new_op
        .nodes
        .iter()
        .map(|(at, node)| {
            let at = renames
                .iter()
                .find_map(|(from, to)| rebase(at, from, to))
                .unwrap_or_else(|| at.clone());
            (at, node.clone())
        })
        .collect();
    let mut old_nodes = old_op.nodes.clone();
    expand_collapsed(&mut old_nodes, &mut new_nodes);
    align_branches(&old_nodes, &mut new_nodes);
    compare_nodes(&op, &old_nodes, &new_nodes, changes);
}

/// A `oneOf`/`anyOf` left with one branch is that branch (the model merges
/// it, as NSwag wraps a ref to add `nullable`); facing alternatives on the
/// other side, it becomes a one-branch group again, so that the branches
/// compare one by one.
fn expand_collapsed(old: &mut BTreeMap<String, Node>, new: &mut BTreeMap<String, Node>) {
    let alternatives = |node: &Node| node.ty == "oneOf" || node.ty == "anyOf";
    let plain = |node: &Node| !alternatives(node) && node.ty != "none" && node.ty != "undefined";
    let shared: Vec<String> = old
        .keys()
        .filter(|at| new.contains_key(*at))
        .cloned()
        .collect();
    for at in shared {
        let (Some(o), Some(n)) = (old.get(&at), new.get(&at)) else {
            continue;
        };
        if alternatives(o) && plain(n) {
            let (keyword, name) = (o.ty.clone(), o.schema_name.clone());
            expand(new, &at, &keyword, name);
        } else if plain(o) && alternatives(n) {
            let (keyword, name) = (n.ty.clone(), n.schema_name.clone());
            expand(old, &at, &keyword, name);
        }
    }
}

/// Moves the node at `at` and those below it to `at/<keyword>/0`, and puts a
/// `keyword` node named `name` in its place.
fn expand(nodes: &mut BTreeMap<String, Node>, at: &str, keyword: &str, name: Option<String>) {
    let branch = format!("{at}/{keyword}/0");
    let moved: Vec<String> = nodes
        .keys()
        .filter(|key| rebase(key, at, &branch).is_some())
        .cloned()
        .collect();
    for key in moved {
        if let (Some(node), Some(to)) = (nodes.remove(&key), rebase(&key, at, &branch)) {
            nodes.insert(to, node);
        }
    }
    let Some(root) = nodes.get_mut(&branch) else {
        return;
    };
    let wrapper = Node {
        ty: keyword.to_owned(),
        format: None,
        enum_values: None,
        limits: BTreeMap::new(),
        default: None,
        additional: None,
        schema_name: name,
        ..root.clone()
    };
    // Requiredness and media types belong to the place, not to the branch.
    root.required = false;
    root.media = None;
    nodes.insert(at.to_owned(), wrapper);
}

/// `at` moved from below `from` to below `to`, if it is `from` or below it.
fn rebase(at: &str, from: &str, to: &str) -> Option<String> {
    let rest = at.strip_prefix(from)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
}

/// Renumbers the `oneOf`/`anyOf` branches of `new` after the `old` branch
/// each one matches: the same `$ref` name, else the same shape, else the most
/// properties in common. A branch matching none gets a number of its own.
fn align_branches(old: &BTreeMap<String, Node>, new: &mut BTreeMap<String, Node>) {
    let mut groups: Vec<&str> = old
        .keys()
        .filter_map(|at| branch(at).map(|(g, _, _)| g))
        .collect();
    groups.sort_by_key(|g| (g.matches('/').count(), *g));
    groups.dedup();
    // Shallow groups first: renumbering one moves the groups below it into place.
    for group in groups {
        let old_branches = branches(old, group);
        let new_branches = branches(new, group);
        let mut mapping: BTreeMap<usize, usize> = BTreeMap::new();
        let free = |mapping: &BTreeMap<usize, usize>, o: &usize, n: &usize| {
            !mapping.contains_key(n) && !mapping.values().any(|v| v == o)
        };
        let same_name = |o: &Branch, n: &Branch| o.name.is_some() && o.name == n.name;
        let same_shape = |o: &Branch, n: &Branch| o.shape == n.shape;
        for matches in [&same_name as &dyn Fn(&Branch, &Branch) -> bool, &same_shape] {
            for (o, old_branch) in &old_branches {
                if let Some((n, _)) = new_branches
                    .iter()
                    .find(|(n, new_branch)| free(&mapping, o, n) && matches(old_branch, new_branch))
                {
                    mapping.insert(*n, *o);
                }
            }
        }
        // Then the closest pairs left, by properties in common.
        loop {
            let best = old_branches
                .iter()
                .flat_map(|(o, ob)| {
                    new_branches
                        .iter()
                        .map(move |(n, nb)| (o, n, ob.overlap(nb)))
                })
                .filter(|(o, n, score)| *score > 0 && free(&mapping, o, n))
                .max_by_key(|(o, n, score)| (*score, std::cmp::Reverse((**o, **n))));
            let Some((o, n, _)) = best else { break };
            mapping.insert(*n, *o);
        }
        let mut fresh = old_branches.keys().max().map_or(0, |m| m + 1);
        for n in new_branches.keys() {
            if !mapping.contains_key(n) {
                mapping.insert(*n, fresh);
                fresh += 1;
            }
        }
        if mapping.iter().all(|(n, o)| n == o) {
            continue;
        }
        let renumbered = std::mem::take(new).into_iter().map(|(at, node)| {
            let moved = branch_of(&at, group)
                .and_then(|(n, rest)| mapping.get(&n).map(|o| format!("{group}/{o}{rest}")));
            (moved.unwrap_or(at), node)
        });
        *new = renumbered.collect();
    }
}

/// What matching branches compares.
struct Branch {
    name: Option<String>,
    /// Every node of the branch, relative to it, described.
    shape: Vec<String>,
    /// The keys below the branch, and its type.
    parts: BTreeSet<String>,
}

impl Branch {
    fn overlap(&self, other: &Branch) -> usize {
        self.parts.intersection(&other.parts).count()
    }
}

/// The branches of a `oneOf`/`anyOf` group, by number.
fn branches(nodes: &BTreeMap<String, Node>, group: &str) -> BTreeMap<usize, Branch> {
    let mut found: BTreeMap<usize, Branch> = BTreeMap::new();
    for (at, node) in nodes {
        let Some((n, rest)) = branch_of(at, group) else {
            continue;
        };
        let entry = found.entry(n).or_insert_with(|| Branch {
            name: None,
            shape: Vec::new(),
            parts: BTreeSet::new(),
        });
        if rest.is_empty() {
            entry.name.clone_from(&node.schema_name);
            entry.parts.insert(format!(": {}", node.type_text()));
        } else {
            entry.parts.insert(rest.to_owned());
        }
        entry.shape.push(format!("{rest}: {}", node.describe()));
    }
    found
}

/// `(number, rest)` when `at` is branch `number` of `group` or below it.
fn branch_of<'a>(at: &'a str, group: &str) -> Option<(usize, &'a str)> {
    let rest = at.strip_prefix(group)?.strip_prefix('/')?;
    let (number, rest) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    Some((number.parse().ok()?, rest))
}

/// `(group, keyword, number)` when `at` is a `oneOf`/`anyOf` branch.
fn branch(at: &str) -> Option<(&str, &str, usize)> {
    let (group, number) = at.rsplit_once('/')?;
    let number = number.parse().ok()?;
    let keyword = group.rsplit('/').next()?;
    ["oneOf", "anyOf"]
        .contains(&keyword)
        .then_some((group, keyword, number))
}

fn compare_nodes(
    op: &str,
    old_nodes: &BTreeMap<String, Node>,
    new_nodes: &BTreeMap<String, Node>,
    changes: &mut Vec<Change>,
) {
    // Below a removed, added or retyped node, the children follow; report the node only.
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for (at, old_node) in old_nodes {
        if is_below(at, &covered) {
            continue;
        }
        match new_nodes.get(at) {
            None => {
                covered.insert(at.clone());
                let mut change = change(
                    &removed_rule(at, old_node),
                    (op, at),
                    (&old_node.describe(), ""),
                );
                change.old_pointer = old_node.pointer.clone();
                change.new_pointer = nearest(new_nodes, at);
                changes.push(change);
            }
            Some(new_node) => {
                if retyped(old_node, new_node) {
                    covered.insert(at.clone());
                }
                if old_node.additional != new_node.additional {
                    // `additional-properties-changed` says it; the `*` node follows.
                    covered.insert(format!("{at}/*"));
                }
                compare(op, at, old_node, new_node, changes);
            }
        }
    }
    for (at, new_node) in new_nodes {
        if old_nodes.contains_key(at) || is_below(at, &covered) {
            continue;
        }
        covered.insert(at.clone());
        let mut change = change(
            &added_rule(at, new_node),
            (op, at),
            ("", &new_node.describe()),
        );
        change.old_pointer = nearest(old_nodes, at);
        change.new_pointer = new_node.pointer.clone();
        changes.push(change);
    }
}

fn change(id: &str, (operation, node): (&str, &str), (old, new): (&str, &str)) -> Change {
    Change {
        level: level_of(id),
        operation: operation.to_owned(),
        node: node.to_owned(),
        id: id.to_owned(),
        old: old.to_owned(),
        new: new.to_owned(),
        old_pointer: String::new(),
        new_pointer: String::new(),
    }
}

/// Whether `at` is below a covered node, or a covered `*` node itself.
fn is_below(at: &str, covered: &BTreeSet<String>) -> bool {
    covered.iter().any(|parent| {
        (parent == at && at.ends_with("/*"))
            || (at.len() > parent.len()
                && at.starts_with(parent.as_str())
                && at[parent.len()..].starts_with('/'))
    })
}

/// The pointer of the nearest node enclosing `at`.
fn nearest(nodes: &BTreeMap<String, Node>, at: &str) -> String {
    let mut at = at;
    while let Some((parent, _)) = at.rsplit_once('/') {
        if let Some(node) = nodes.get(parent) {
            return node.pointer.clone();
        }
        at = parent;
    }
    String::new()
}

/// What a node key names.
enum Place<'a> {
    Parameter,
    Body,
    Status(&'a str),
    Header,
    /// A `oneOf` or `anyOf` branch of the node at the group's parent.
    Branch(&'a str, &'a str),
    Property,
}

fn place(at: &str) -> Place<'_> {
    let parts: Vec<&str> = at.split('/').collect();
    if let Some((group, keyword, _)) = branch(at) {
        let parent = group.rsplit_once('/').map_or("", |(p, _)| p);
        return Place::Branch(parent, keyword);
    }
    match parts.as_slice() {
        ["parameters", _, _] => Place::Parameter,
        ["request"] => Place::Body,
        ["responses", status] => Place::Status(status),
        ["headers", _, _] => Place::Header,
        _ => Place::Property,
    }
}

/// The first part of a schema rule's id for the node at `at`.
fn subject(at: &str) -> &'static str {
    let mut parts = at.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("parameters"), ..) => "request-parameter",
        (Some("headers"), ..) => "response-header",
        (Some("request"), None, _) => "request-body",
        (Some("request"), ..) => "request-property",
        (Some("responses"), _, None) => "response-body",
        _ => "response-property",
    }
}

fn schema_id(at: &str, word: &str) -> String {
    format!("{}-{word}", subject(at))
}

fn branch_word(keyword: &str, added: bool) -> &'static str {
    match (keyword, added) {
        ("oneOf", true) => "one-of-added",
        ("oneOf", false) => "one-of-removed",
        (_, true) => "any-of-added",
        (_, false) => "any-of-removed",
    }
}

fn success(status: &str) -> bool {
    status.starts_with('2')
}

/// Whether the other side must send (request) or may rely on (response) the
/// node: a `readOnly` property binds no request, a `writeOnly` one no response.
fn binds(node: &Node) -> bool {
    match node.side {
        Side::Response => node.required && !node.write_only,
        Side::Parameter | Side::Request => node.required && !node.read_only,
    }
}

fn removed_rule(at: &str, node: &Node) -> String {
    match place(at) {
        Place::Parameter => "request-parameter-removed".to_owned(),
        Place::Body => "request-body-removed".to_owned(),
        Place::Status(status) if success(status) => "response-success-status-removed".to_owned(),
        Place::Status(_) => "response-non-success-status-removed".to_owned(),
        Place::Header if node.required => "required-response-header-removed".to_owned(),
        Place::Header => "optional-response-header-removed".to_owned(),
        Place::Branch(parent, keyword) => schema_id(parent, branch_word(keyword, false)),
        Place::Property if node.side != Side::Response => "request-property-removed".to_owned(),
        Place::Property if binds(node) => "response-required-property-removed".to_owned(),
        Place::Property => "response-optional-property-removed".to_owned(),
    }
}

fn added_rule(at: &str, node: &Node) -> String {
    match place(at) {
        Place::Parameter if node.required => "new-required-request-parameter".to_owned(),
        Place::Parameter => "new-optional-request-parameter".to_owned(),
        Place::Body if node.required => "added-required-request-body".to_owned(),
        Place::Body => "added-optional-request-body".to_owned(),
        Place::Status(status) if success(status) => "response-success-status-added".to_owned(),
        Place::Status(_) => "response-non-success-status-added".to_owned(),
        Place::Header => "response-header-added".to_owned(),
        Place::Branch(parent, keyword) => schema_id(parent, branch_word(keyword, true)),
        Place::Property if node.side == Side::Response => {
            if binds(node) {
                "response-required-property-added".to_owned()
            } else {
                "response-optional-property-added".to_owned()
            }
        }
        Place::Property if binds(node) => "new-required-request-property".to_owned(),
        Place::Property => "new-optional-request-property".to_owned(),
    }
}

/// A different type: the children are no longer comparable. A body without
/// content on either side is left to the media types.
fn retyped(old: &Node, new: &Node) -> bool {
    old.ty != "none" && new.ty != "none" && old.type_text() != new.type_text()
}

/// Whether `wide` accepts every value `narrow` does.
fn widens(narrow: &Node, wide: &Node) -> bool {
    wide.ty == "any"
        || (narrow.ty == "integer" && wide.ty == "number" && wide.format.is_none())
        || (narrow.ty == wide.ty && narrow.format.is_some() && wide.format.is_none())
}

fn compare(op: &str, at: &str, old: &Node, new: &Node, changes: &mut Vec<Change>) {
    let sent = new.side != Side::Response;
    let mut push = |id: String, old_text: String, new_text: String| {
        let mut change = change(&id, (op, at), (&old_text, &new_text));
        change.old_pointer = old.pointer.clone();
        change.new_pointer = new.pointer.clone();
        changes.push(change);
    };
    let id = |word: &str| schema_id(at, word);
    if retyped(old, new) {
        let word = if sent && widens(old, new) {
            "type-generalized"
        } else if !sent && widens(new, old) {
            "type-specialized"
        } else {
            "type-changed"
        };
        push(id(word), old.type_text(), new.type_text());
        return;
    }
    if old.schema_name != new.schema_name && old.ty != "none" && new.ty != "none" {
        // The generated type is named after the schema.
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        push(
            id("schema-renamed"),
            name(&old.schema_name),
            name(&new.schema_name),
        );
    }
    let (old_media, new_media) = (old.media_types(), new.media_types());
    let prefix = if sent { "request-body" } else { "response" };
    for media in old_media.iter().filter(|m| !new_media.contains(m)) {
        push(
            format!("{prefix}-media-type-removed"),
            (*media).to_owned(),
            String::new(),
        );
    }
    for media in new_media.iter().filter(|m| !old_media.contains(m)) {
        push(
            format!("{prefix}-media-type-added"),
            String::new(),
            (*media).to_owned(),
        );
    }
    if binds(old) != binds(new) {
        let word = if binds(new) {
            "became-required"
        } else {
            "became-optional"
        };
        push(
            id(word),
            flag(binds(old), "required"),
            flag(binds(new), "required"),
        );
    }
    if old.nullable != new.nullable {
        let word = if new.nullable {
            "became-nullable"
        } else {
            "became-not-nullable"
        };
        push(
            id(word),
            flag(old.nullable, "nullable"),
            flag(new.nullable, "nullable"),
        );
    }
    match (&old.enum_values, &new.enum_values) {
        (Some(before), Some(after)) => {
            for value in before.iter().filter(|v| !after.contains(v)) {
                push(id("enum-value-removed"), value.clone(), String::new());
            }
            for value in after.iter().filter(|v| !before.contains(v)) {
                push(id("enum-value-added"), String::new(), value.clone());
            }
        }
        (Some(before), None) => push(id("became-not-enum"), before.join(", "), String::new()),
        (None, Some(after)) => push(id("became-enum"), String::new(), after.join(", ")),
        (None, None) => {}
    }
    let (before, after) = (limits(old), limits(new));
    let names: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for name in names {
        let (b, a) = (before.get(name).copied(), after.get(name).copied());
        if b != a {
            let text = |v: Option<&str>| v.map(|v| format!("{name} {v}")).unwrap_or_default();
            push(id(limit_word(name, b, a)), text(b), text(a));
        }
    }
    if old.default != new.default {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        push(
            id("default-value-changed"),
            text(&old.default),
            text(&new.default),
        );
    }
    if let (Some(before), Some(after)) = (old.additional, new.additional)
        && before != after
    {
        let word = if after == Additional::Closed {
            "became-closed"
        } else if before == Additional::Closed {
            "became-open"
        } else {
            "additional-properties-changed"
        };
        push(id(word), additional_text(before), additional_text(after));
    }
}

/// The limits that constrain something: a pattern that matches everything,
/// `uniqueItems: false` and 3.0's `exclusiveMinimum: false` say nothing.
fn limits(node: &Node) -> BTreeMap<&str, &str> {
    node.limits
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .filter(|(name, value)| match *name {
            "pattern" => !TRIVIAL_PATTERNS.contains(value),
            "uniqueItems" | "exclusiveMinimum" | "exclusiveMaximum" => *value != "false",
            _ => true,
        })
        .collect()
}

/// Patterns (as JSON text) that any string matches.
const TRIVIAL_PATTERNS: [&str; 3] = ["\"\"", "\".*\"", "\"^.*$\""];

/// Whether a limit change narrows (`limit-tightened`) or widens
/// (`limit-relaxed`) the values allowed; a pattern replaced by another is
/// neither (`pattern-changed`).
fn limit_word(name: &str, before: Option<&str>, after: Option<&str>) -> &'static str {
    const TIGHTENED: &str = "limit-tightened";
    const RELAXED: &str = "limit-relaxed";
    let (Some(b), Some(a)) = (before, after) else {
        return if after.is_some() { TIGHTENED } else { RELAXED };
    };
    if name == "pattern" {
        return "pattern-changed";
    }
    let (Ok(b), Ok(a)) = (b.parse::<f64>(), a.parse::<f64>()) else {
        // A boolean (`uniqueItems`, 3.0's `exclusiveMinimum`) turned on.
        return if a == "true" { TIGHTENED } else { RELAXED };
    };
    let lower_bound = name.starts_with("min") || name == "exclusiveMinimum";
    if (a > b) == lower_bound {
        TIGHTENED
    } else {
        RELAXED
    }
}

fn flag(on: bool, name: &str) -> String {
    if on {
        name.to_owned()
    } else {
        format!("not {name}")
    }
}

fn additional_text(additional: Additional) -> String {
    match additional {
        Additional::Closed => "closed",
        Additional::Typed => "typed additionalProperties",
        Additional::Open => "open",
    }
    .to_owned()
}

/// What a change does to the Rust API of the generated client (and so of the
/// wrapper, which re-exports its types): the semver bump it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rust {
    /// Nothing a Rust caller can see changes.
    Patch,
    /// New items only: a new field on a `#[non_exhaustive]` struct, a new
    /// variant of a `#[non_exhaustive]` enum, a new builder method.
    Minor,
    /// Code that compiled before may not compile or behave the same.
    Major,
}

impl Rust {
    /// `major`, `minor` or `patch`.
    pub fn label(self) -> &'static str {
        match self {
            Rust::Patch => "patch",
            Rust::Minor => "minor",
            Rust::Major => "major",
        }
    }
}

/// Rules that change nothing a Rust caller sees.
const RUST_PATCH: [&str; 5] = [
    "response-header-added",
    "endpoint-deprecated",
    "endpoint-reactivated",
    "request-body-media-type-added",
    "response-media-type-added",
];

/// Rules that only add generated items.
const RUST_MINOR: [&str; 8] = [
    "endpoint-added",
    "new-optional-request-parameter",
    "added-optional-request-body",
    "new-optional-request-property",
    "response-success-status-added",
    "response-non-success-status-added",
    "response-required-property-added",
    "response-optional-property-added",
];

/// Schema words that only add generated items (a new variant) or change no
/// signature (a default).
const RUST_MINOR_WORDS: [&str; 4] = [
    "-enum-value-added",
    "-one-of-added",
    "-any-of-added",
    "-default-value-changed",
];

/// The Rust semver impact of one change. Every generated struct and enum is
/// `#[non_exhaustive]` (dotdigital-codegen), so additions are minor; anything
/// that removes, renames or retypes a generated item, or makes something
/// required, is major, and so is a change that breaks on the wire (code that
/// compiles may now fail at run time) unless it only adds a variant.
pub fn rust_impact(change: &Change) -> Rust {
    let id = change.id.as_str();
    if RUST_PATCH.contains(&id) {
        return Rust::Patch;
    }
    if id.ends_with("-limit-tightened")
        || id.ends_with("-limit-relaxed")
        || id.ends_with("-pattern-changed")
    {
        // A string limit is a validating newtype: adding or dropping the
        // limit adds or drops the type; changing its value keeps it.
        let string_limit = ["minLength", "maxLength", "pattern"]
            .iter()
            .any(|l| change.old.starts_with(l) || change.new.starts_with(l));
        return if string_limit && (change.old.is_empty() || change.new.is_empty()) {
            Rust::Major
        } else {
            Rust::Patch
        };
    }
    if RUST_MINOR.contains(&id) || RUST_MINOR_WORDS.iter().any(|w| id.ends_with(w)) {
        return Rust::Minor;
    }
    Rust::Major
}

/// The largest Rust semver impact among `changes`.
pub fn rust_semver(changes: &[Change]) -> Rust {
    changes.iter().map(rust_impact).max().unwrap_or(Rust::Patch)
}

/// The verdict in a few words: `breaking` (or `breaking for exhaustive
/// matches` when that is all that breaks), `warning`, `non-breaking`.
pub fn verdict(changes: &[Change]) -> &'static str {
    let errors: Vec<&Change> = changes.iter().filter(|c| c.level == Level::Error).collect();
    match changes.iter().map(|c| c.level).min() {
        None => "no change",
        Some(Level::Error) if errors.iter().all(|c| c.breaks_exhaustive_matches()) => {
            "breaking for exhaustive matches"
        }
        Some(Level::Error) => "breaking",
        Some(Level::Warning) => "warning",
        Some(Level::Info) => "non-breaking",
    }
}

/// How many changes there are at `level`.
pub fn count(changes: &[Change], level: Level) -> usize {
    changes.iter().filter(|c| c.level == level).count()
}

/// What the changes mean for the versions of the client crates: the levels on
/// the wire, and the Rust semver bump the generated API needs.
pub fn semver_hint(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "semver: nothing to release for the API surface.".to_owned();
    }
    let rust = rust_semver(changes);
    let release = match rust {
        Rust::Major => "a breaking release; the crates are 0.x, so 0.x.y -> 0.(x+1).0",
        Rust::Minor => {
            "a feature release that compiles for every caller; the crates are 0.x, so 0.x.y -> 0.x.(y+1)"
        }
        Rust::Patch => "a patch release, 0.x.y -> 0.x.(y+1)",
    };
    let reasons: BTreeSet<&str> = changes
        .iter()
        .filter(|c| rust_impact(c) == rust)
        .map(|c| c.id.as_str())
        .collect();
    let exhaustive = changes
        .iter()
        .filter(|c| c.breaks_exhaustive_matches())
        .count();
    format!(
        "wire: {} error ({exhaustive} of them breaking for exhaustive matches only), {} warning, {} info.\n\
         semver (dotdigital-contacts-api, dotdigital-contacts): Rust {} ({}): {release}.",
        count(changes, Level::Error),
        count(changes, Level::Warning),
        count(changes, Level::Info),
        rust.label(),
        reasons.into_iter().collect::<Vec<_>>().join(", "),
    )
}

/// Whether anything in `changes` is at `level` or worse.
pub fn any_at(changes: &[Change], level: Level) -> bool {
    changes.iter().any(|c| c.level <= level)
}

/// Whether anything in `changes` breaks (error level).
pub fn any_breaking(changes: &[Change]) -> bool {
    any_at(changes, Level::Error)
}
