//! Builder errors that name properties as the wire does.
//!
//! typify's builders report `error converting supplied value for user_agent:
//! …` and `no value supplied for user_agent`, with the Rust field name. A
//! client telling its user which input is wrong should say `userAgent`, the
//! name in the spec and in the JSON, without parsing the message: this pass
//! rewrites the builders' messages to `userAgent: …` and
//! `userAgent: is required`.

use std::collections::BTreeMap;

use quote::ToTokens;

use crate::Error;

/// Rewrites the messages of every builder in `mod builder` inside `types`.
pub fn rename(types: &mut [syn::Item]) -> Result<(), Error> {
    let fields = wire_names(types);
    let Some(builder) = types.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
        _ => None,
    }) else {
        return Ok(());
    };
    for item in builder.1.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = block.self_ty.as_ref() else {
            continue;
        };
        let Some(names) = self_ty
            .path
            .segments
            .last()
            .and_then(|s| fields.get(&s.ident.to_string()))
        else {
            continue;
        };
        let mut text = item.to_token_stream().to_string();
        for (rust, wire) in names {
            text = text
                .replace(
                    &format!("\"error converting supplied value for {rust}: {{e}}\""),
                    &format!("\"{wire}: {{e}}\""),
                )
                .replace(
                    &format!("\"no value supplied for {rust}\""),
                    &format!("\"{wire}: is required\""),
                );
        }
        *item = syn::parse_str(&text).map_err(|e| Error::Syntax(e.to_string()))?;
    }
    Ok(())
}

/// Each struct's fields: Rust name to wire name (`#[serde(rename)]`, or the
/// Rust name itself).
fn wire_names(types: &[syn::Item]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut all = BTreeMap::new();
    for item in types {
        let syn::Item::Struct(s) = item else {
            continue;
        };
        let names = s
            .fields
            .iter()
            .filter_map(|field| {
                let rust = field.ident.as_ref()?.to_string();
                let wire = crate::item_counts::renamed(field)
                    .unwrap_or_else(|| rust.trim_start_matches("r#").to_owned());
                Some((rust, wire))
            })
            .collect();
        all.insert(s.ident.to_string(), names);
    }
    all
}
