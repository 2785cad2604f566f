//! What the generated client promises downstream code, checked in its source
//! text (xtask never compiles it): every enum a response reaches keeps values
//! the spec does not list, so a newer service never fails a call that
//! succeeded. `dotdigital-codegen` adds it; this catches a generator or a
//! progenitor upgrade that stops doing so.

use serde_json::Value;

/// Each response enum of `spec` that `source` (the generated client) does not
/// give an `Other(String)` variant, as a message naming it.
pub fn problems(spec: &Value, source: &str) -> Vec<String> {
    let schemas = &spec["components"]["schemas"];
    let other = format!("{}(::std::string::String)", dotdigital_codegen::OTHER);
    dotdigital_spec::reachable_schemas(spec, dotdigital_spec::Side::Response)
        .into_iter()
        .filter(|name| schemas[name.as_str()]["enum"].is_array())
        .filter(|name| !enum_body(source, name).is_some_and(|body| body.contains(&other)))
        .map(|name| {
            format!(
                "the generated response enum {name} has no `{other}` variant: a value the \
                 spec does not list would fail every call that returns it \
                 (dotdigital-codegen's open_enums must add it)"
            )
        })
        .collect()
}

/// The text between `pub enum NAME {` and its closing brace.
fn enum_body<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let start = source.find(&format!("pub enum {name} {{"))?;
    let body = &source[start..];
    Some(&body[..body.find("\n    }")?])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r##"{
      "paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Seen"}}}}}}}},
      "components": {"schemas": {"Seen": {"type": "string", "enum": ["on", "off"]}}}
    }"##;

    #[test]
    fn a_closed_response_enum_is_named() {
        let spec: Value = serde_json::from_str(SPEC).unwrap_or_default();
        let closed = "    pub enum Seen {\n        On,\n        Off,\n    }\n";
        let open =
            "    pub enum Seen {\n        On,\n        Other(::std::string::String),\n    }\n";
        assert_eq!(problems(&spec, open), Vec::<String>::new());
        let found = problems(&spec, closed);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("response enum Seen has no `Other"),
            "{found:?}"
        );
    }
}
