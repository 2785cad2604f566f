//! The rule table: every rule id and its level. A schema rule's level
//! depends on the way its value travels; every other rule has one level.

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
    // Breaks a read value: a generated client checks the old pattern when it
    // reads a value of a schema requests share (README, "Breaking-change rules").
    schema_rule("pattern-generalized", I, E),
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
pub(crate) const EXHAUSTIVE: [&str; 4] = [
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
