//! Every change between two OpenAPI 3.0 documents, each with a stable rule id in oasdiff's style and a level
//! (error: breaking; warning: a behaviour change a client may notice; info),
//! and the semver bump the generated Rust API needs.
//!
//! Operations are matched by method and path with the path parameters'
//! names set aside; `oneOf`/`anyOf` branches by `$ref` name, then by shape;
//! the direction a value travels decides what a change does to a client.

use std::collections::{BTreeMap, BTreeSet};

use crate::branches::{align_branches, branch, expand_collapsed, rebase};
use crate::model::{Additional, Model, Node, Operation, Side};
use crate::rules::{EXHAUSTIVE, Level, level_of};

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
    agree_media((old_op, &mut old_nodes), (new_op, &mut new_nodes));
    expand_collapsed(&mut old_nodes, &mut new_nodes);
    align_branches(&old_nodes, &mut new_nodes);
    compare_nodes(&op, &old_nodes, &new_nodes, changes);
}

/// Where the two sides of a body describe the schemas of different media
/// types (one side gained or lost the media type the other's nodes come
/// from), compares the schemas of one media type both sides have.
fn agree_media(
    (old_op, old_nodes): (&Operation, &mut BTreeMap<String, Node>),
    (new_op, new_nodes): (&Operation, &mut BTreeMap<String, Node>),
) {
    let bodies: Vec<(String, Option<String>)> = old_nodes
        .iter()
        .filter(|(_, node)| node.schema_media.is_some())
        .map(|(at, node)| (at.clone(), node.schema_media.clone()))
        .collect();
    for (at, old_media) in bodies {
        let Some(new_media) = new_nodes.get(&at).map(|n| n.schema_media.clone()) else {
            continue;
        };
        if old_media == new_media {
            continue;
        }
        let other = |op: &Operation, media: Option<String>| {
            media.and_then(|m| op.other_media.get(&(at.clone(), m)).cloned())
        };
        if let Some(nodes) = other(new_op, old_media) {
            replace_body(new_nodes, &at, nodes);
        } else if let Some(nodes) = other(old_op, new_media) {
            replace_body(old_nodes, &at, nodes);
        }
    }
}

/// Puts `body` (one media type's nodes) in place of the body at `at`,
/// keeping the body's list of media types.
fn replace_body(nodes: &mut BTreeMap<String, Node>, at: &str, body: BTreeMap<String, Node>) {
    let media = nodes.get(at).and_then(|n| n.media.clone());
    nodes.retain(|key, _| rebase(key, at, at).is_none());
    nodes.extend(body);
    if let Some(node) = nodes.get_mut(at) {
        node.media = media;
    }
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

/// Reports one change of the node at `at`: `(rule id, old text, new text)`.
type Push<'a> = dyn FnMut(String, String, String) + 'a;

fn compare(op: &str, at: &str, old: &Node, new: &Node, changes: &mut Vec<Change>) {
    let mut push = |id: String, old_text: String, new_text: String| {
        let mut change = change(&id, (op, at), (&old_text, &new_text));
        change.old_pointer = old.pointer.clone();
        change.new_pointer = new.pointer.clone();
        changes.push(change);
    };
    if retyped(old, new) {
        push(
            schema_id(at, type_word(old, new)),
            old.type_text(),
            new.type_text(),
        );
        return;
    }
    if old.schema_name != new.schema_name && old.ty != "none" && new.ty != "none" {
        // The generated type is named after the schema.
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        push(
            schema_id(at, "schema-renamed"),
            name(&old.schema_name),
            name(&new.schema_name),
        );
    }
    compare_media(old, new, &mut push);
    compare_flags(at, old, new, &mut push);
    compare_enums(at, old, new, &mut push);
    compare_limits(at, old, new, &mut push);
    if old.default != new.default {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        push(
            schema_id(at, "default-value-changed"),
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
        push(
            schema_id(at, word),
            additional_text(before),
            additional_text(after),
        );
    }
}

/// `type-generalized` for a sent value the new type widens,
/// `type-specialized` for a read one it narrows, else `type-changed`.
fn type_word(old: &Node, new: &Node) -> &'static str {
    let sent = new.side != Side::Response;
    if sent && widens(old, new) {
        "type-generalized"
    } else if !sent && widens(new, old) {
        "type-specialized"
    } else {
        "type-changed"
    }
}

/// Media types of a body added or removed.
fn compare_media(old: &Node, new: &Node, push: &mut Push<'_>) {
    let (old_media, new_media) = (old.media_types(), new.media_types());
    let prefix = if new.side != Side::Response {
        "request-body"
    } else {
        "response"
    };
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
}

/// Required and nullable, turned on or off.
fn compare_flags(at: &str, old: &Node, new: &Node, push: &mut Push<'_>) {
    if binds(old) != binds(new) {
        let word = if binds(new) {
            "became-required"
        } else {
            "became-optional"
        };
        push(
            schema_id(at, word),
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
            schema_id(at, word),
            flag(old.nullable, "nullable"),
            flag(new.nullable, "nullable"),
        );
    }
}

/// Enum values added or removed, or the enum itself.
fn compare_enums(at: &str, old: &Node, new: &Node, push: &mut Push<'_>) {
    let id = |word: &str| schema_id(at, word);
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
}

/// Each limit keyword that changed, tightened or relaxed.
fn compare_limits(at: &str, old: &Node, new: &Node, push: &mut Push<'_>) {
    let (before, after) = (limits(old), limits(new));
    let names: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
    for name in names {
        let (b, a) = (before.get(name).copied(), after.get(name).copied());
        if b != a {
            let text = |v: Option<&str>| v.map(|v| format!("{name} {v}")).unwrap_or_default();
            let generalized = name == "pattern"
                && b.is_some()
                && new
                    .limits
                    .get(name)
                    .is_some_and(|p| TRIVIAL_PATTERNS.contains(&p.as_str()));
            let word = if generalized {
                "pattern-generalized"
            } else {
                limit_word(name, b, a)
            };
            let text_a = if generalized {
                new.limits
                    .get(name)
                    .map(|p| format!("{name} {p}"))
                    .unwrap_or_default()
            } else {
                text(a)
            };
            push(schema_id(at, word), text(b), text_a);
        }
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
