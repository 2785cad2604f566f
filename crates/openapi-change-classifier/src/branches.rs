//! Lining up `oneOf`/`anyOf` branches before nodes are compared: a group
//! collapsed to its one branch on one side is expanded again, and the new
//! side's branches are renumbered after the old branch each one matches.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Node;

/// A `oneOf`/`anyOf` left with one branch is that branch (the model merges
/// it, as NSwag wraps a ref to add `nullable`); facing alternatives on the
/// other side, it becomes a one-branch group again, so that the branches
/// compare one by one. A group is a node with branches below it, whatever
/// its own `type` says (`type: object` beside `oneOf` is common).
pub(crate) fn expand_collapsed(old: &mut BTreeMap<String, Node>, new: &mut BTreeMap<String, Node>) {
    let shared: Vec<String> = old
        .keys()
        .filter(|at| new.contains_key(*at))
        .cloned()
        .collect();
    for at in shared {
        let (Some(o), Some(n)) = (old.get(&at), new.get(&at)) else {
            continue;
        };
        match (group(old, &at), group(new, &at)) {
            (Some(keyword), None) if plain(n) => {
                let group = o.clone();
                expand(new, &at, keyword, &group);
            }
            (None, Some(keyword)) if plain(o) => {
                let group = n.clone();
                expand(old, &at, keyword, &group);
            }
            _ => {}
        }
    }
}

/// `oneOf` or `anyOf` when the node at `at` has branches of that keyword.
fn group(nodes: &BTreeMap<String, Node>, at: &str) -> Option<&'static str> {
    ["oneOf", "anyOf"].into_iter().find(|keyword| {
        let prefix = format!("{at}/{keyword}/");
        nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(key, _)| key.starts_with(&prefix))
    })
}

/// A node that could be the one branch a group collapsed to.
fn plain(node: &Node) -> bool {
    !["oneOf", "anyOf", "none", "undefined"].contains(&node.ty.as_str())
}

/// Moves the node at `at` and those below it to `at/<keyword>/0`, and puts
/// in its place a node with the type and name of `group` (the other side's
/// group node).
fn expand(nodes: &mut BTreeMap<String, Node>, at: &str, keyword: &str, group: &Node) {
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
        ty: group.ty.clone(),
        format: None,
        enum_values: None,
        limits: BTreeMap::new(),
        default: None,
        additional: group.additional,
        schema_name: group.schema_name.clone(),
        ..root.clone()
    };
    // Requiredness and media types belong to the place, not to the branch.
    root.required = false;
    root.media = None;
    nodes.insert(at.to_owned(), wrapper);
}

/// `at` moved from below `from` to below `to`, if it is `from` or below it.
pub(crate) fn rebase(at: &str, from: &str, to: &str) -> Option<String> {
    let rest = at.strip_prefix(from)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
}

/// Renumbers the `oneOf`/`anyOf` branches of `new` after the `old` branch
/// each one matches: the same `$ref` name, else the same shape, else the most
/// properties in common. A branch matching none gets a number of its own.
pub(crate) fn align_branches(old: &BTreeMap<String, Node>, new: &mut BTreeMap<String, Node>) {
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
pub(crate) fn branch(at: &str) -> Option<(&str, &str, usize)> {
    let (group, number) = at.rsplit_once('/')?;
    let number = number.parse().ok()?;
    let keyword = group.rsplit('/').next()?;
    ["oneOf", "anyOf"]
        .contains(&keyword)
        .then_some((group, keyword, number))
}
