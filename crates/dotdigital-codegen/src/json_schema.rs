//! `JsonSchema` (schemars 0.8, the version typify emits code for) on every
//! generated type, behind the client crate's `schemars` feature, so a crate
//! that does not ask for it builds nothing more.
//!
//! The derive alone would describe less than the types enforce, so this pass
//! also writes what it cannot see:
//!
//! - a checked string newtype (`maxLength`, `minLength`, `pattern`) checks
//!   in a hand-made `FromStr` that the derive does not read: its schema is
//!   written here from the limits that `FromStr` checks;
//! - an open response enum has hand-made serde impls and accepts any string:
//!   its schema is a string;
//! - an array's `minItems`/`maxItems` live in `check_item_counts`, not in the
//!   type: the field gets a `length` attribute with the spec's numbers.
//!
//! `json_schemas()` lists every type's schema, for `cargo xtask check`'s
//! round trip against the spec and for the CLI.

use std::collections::BTreeSet;

use proc_macro2::{TokenStream, TokenTree};
use serde_json::Value;

use crate::Error;
use crate::item_counts::{Shape, field};
use crate::open_enums::pascal_case;

/// The feature of the client crate that turns all of this on.
const FEATURE: &str = "schemars";

/// What a checked string newtype's `FromStr` enforces.
#[derive(Default)]
struct StringLimits {
    min: Option<usize>,
    max: Option<usize>,
    pattern: Option<String>,
}

/// Adds the derives, the hand-made impls and `json_schemas()` to `items`
/// (the `types` module). `open` names the open response enums.
pub fn add(items: &mut Vec<syn::Item>, open: &BTreeSet<String>, spec: &Value) -> Result<(), Error> {
    let checked = checked_strings(items);
    let mut named = Vec::new();
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        let ident = match item {
            syn::Item::Struct(s) => s.ident.clone(),
            syn::Item::Enum(e) => e.ident.clone(),
            _ => continue,
        };
        let name = ident.to_string();
        if open.contains(&name) {
            impls.push(schema_impl(&ident, &StringLimits::default()));
        } else if let Some((_, limits)) = checked.iter().find(|(n, _)| *n == name) {
            impls.push(schema_impl(&ident, limits));
        } else if let syn::Item::Struct(s) = item
            && let Some(with_map) = flattened_map_impl(s)
        {
            impls.push(with_map);
        } else {
            let attrs = match item {
                syn::Item::Struct(s) => &mut s.attrs,
                syn::Item::Enum(e) => &mut e.attrs,
                _ => continue,
            };
            let at = attrs
                .iter()
                .position(|a| a.path().is_ident("derive"))
                .map_or(0, |i| i + 1);
            attrs.insert(
                at,
                syn::parse_quote!(#[cfg_attr(feature = #FEATURE, derive(::schemars::JsonSchema))]),
            );
        }
        named.push(ident);
    }
    item_lengths(items, spec)?;
    items.extend(impls);
    items.push(syn::parse_quote! {
        /// The JSON Schema (draft 7) of every type above, by name, as
        /// schemars derives it: what `cargo xtask check` compares with the
        /// spec, and what `dotdigital contacts schema` prints.
        #[cfg(feature = #FEATURE)]
        pub fn json_schemas() -> ::std::vec::Vec<(&'static str, ::schemars::schema::RootSchema)> {
            ::std::vec![#((stringify!(#named), ::schemars::schema_for!(#named))),*]
        }
    });
    Ok(())
}

/// For a struct holding other properties in a `#[serde(flatten)]` map
/// (`additionalProperties: {type: string}`): schemars 0.8 drops the map's
/// `additionalProperties` when it merges a flattened field, so the impl
/// derives the schema of a copy without the map and sets it from the map's
/// value type.
fn flattened_map_impl(item: &syn::ItemStruct) -> Option<syn::Item> {
    let flattened = |f: &syn::Field| {
        f.attrs.iter().any(|a| {
            a.path().is_ident("serde") && {
                let mut found = false;
                let _ = a.parse_nested_meta(|meta| {
                    found |= meta.path.is_ident("flatten");
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    }
                    Ok(())
                });
                found
            }
        })
    };
    let map = item.fields.iter().find(|f| flattened(f))?;
    let value = map_value(&map.ty)?;
    let ident = &item.ident;
    let name = ident.to_string();
    let mut copy = item.clone();
    copy.ident = syn::Ident::new("Properties", ident.span());
    copy.attrs
        .retain(|a| a.path().is_ident("serde") || a.path().is_ident("doc"));
    if let syn::Fields::Named(fields) = &mut copy.fields {
        fields.named = std::mem::take(&mut fields.named)
            .into_iter()
            .filter(|f| !flattened(f))
            .collect();
    }
    Some(syn::parse_quote! {
        #[cfg(feature = #FEATURE)]
        impl ::schemars::JsonSchema for #ident {
            fn schema_name() -> ::std::string::String {
                #name.to_owned()
            }
            fn json_schema(generator: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                #[derive(::schemars::JsonSchema)]
                #[allow(dead_code, reason = "only its schema is used")]
                #copy
                let mut schema = <Properties as ::schemars::JsonSchema>::json_schema(generator).into_object();
                schema.object().additional_properties =
                    ::std::option::Option::Some(::std::boxed::Box::new(generator.subschema_for::<#value>()));
                schema.into()
            }
        }
    })
}

/// `V` of a `HashMap<String, V>` or `BTreeMap<String, V>`.
fn map_value(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != "HashMap" && segment.ident != "BTreeMap" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(1)
}

/// A `JsonSchema` impl describing a string with `limits`.
fn schema_impl(ident: &syn::Ident, limits: &StringLimits) -> syn::Item {
    let name = ident.to_string();
    let some = |n: Option<usize>| match n {
        Some(n) => quote::quote!(::std::option::Option::Some(#n as u32)),
        None => quote::quote!(::std::option::Option::None),
    };
    let (min, max) = (some(limits.min), some(limits.max));
    let pattern = match &limits.pattern {
        Some(p) => quote::quote!(::std::option::Option::Some(#p.to_owned())),
        None => quote::quote!(::std::option::Option::None),
    };
    syn::parse_quote! {
        #[cfg(feature = #FEATURE)]
        impl ::schemars::JsonSchema for #ident {
            fn schema_name() -> ::std::string::String {
                #name.to_owned()
            }
            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                ::schemars::schema::SchemaObject {
                    instance_type: ::std::option::Option::Some(::schemars::schema::InstanceType::String.into()),
                    string: ::std::option::Option::Some(::std::boxed::Box::new(::schemars::schema::StringValidation {
                        min_length: #min,
                        max_length: #max,
                        pattern: #pattern,
                    })),
                    ..::std::default::Default::default()
                }
                .into()
            }
        }
    }
}

/// The string newtypes whose `FromStr` checks limits, with those limits:
/// `value.chars().count() > N` (`maxLength`), `< N` (`minLength`) and
/// `Regex::new("…")` (`pattern`), as typify writes them.
fn checked_strings(items: &[syn::Item]) -> Vec<(String, StringLimits)> {
    let mut found = Vec::new();
    for item in items {
        let syn::Item::Impl(i) = item else { continue };
        let is_from_str = i
            .trait_
            .as_ref()
            .and_then(|(path, _)| path.segments.last())
            .is_some_and(|s| s.ident == "FromStr");
        let syn::Type::Path(self_ty) = i.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let newtype = items.iter().any(|item| {
            matches!(item, syn::Item::Struct(s) if s.ident == name
                && matches!(&s.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1))
        });
        if !is_from_str || !newtype {
            continue;
        }
        let mut tokens = Vec::new();
        flatten(quote::quote!(#i), &mut tokens);
        let limits = limits(&tokens);
        if limits.min.is_some() || limits.max.is_some() || limits.pattern.is_some() {
            found.push((name, limits));
        }
    }
    found
}

fn flatten(stream: TokenStream, out: &mut Vec<TokenTree>) {
    for tree in stream {
        match tree {
            TokenTree::Group(group) => {
                out.push(TokenTree::Group(group.clone()));
                flatten(group.stream(), out);
            }
            other => out.push(other),
        }
    }
}

fn limits(tokens: &[TokenTree]) -> StringLimits {
    let mut limits = StringLimits::default();
    let ident = |t: &TokenTree, name: &str| matches!(t, TokenTree::Ident(i) if i == name);
    let punct = |t: &TokenTree, c: char| matches!(t, TokenTree::Punct(p) if p.as_char() == c);
    for (i, token) in tokens.iter().enumerate() {
        let rest = &tokens[i + 1..];
        if ident(token, "count") {
            // count ( ) > 254usize   (the group is followed by its own empty contents)
            let Some(pos) = rest.iter().position(|t| punct(t, '>') || punct(t, '<')) else {
                continue;
            };
            if pos > 1 {
                continue;
            }
            let Some(n) = rest.get(pos + 1).and_then(literal_usize) else {
                continue;
            };
            if punct(&rest[pos], '>') {
                limits.max = Some(n);
            } else {
                limits.min = Some(n);
            }
        } else if ident(token, "Regex")
            && rest.len() > 4
            && punct(&rest[0], ':')
            && ident(&rest[2], "new")
            && let TokenTree::Group(args) = &rest[3]
            && let Ok(pattern) = syn::parse2::<syn::LitStr>(args.stream())
        {
            limits.pattern = Some(pattern.value());
        }
    }
    limits
}

fn literal_usize(token: &TokenTree) -> Option<usize> {
    let TokenTree::Literal(literal) = token else {
        return None;
    };
    syn::parse_str::<syn::LitInt>(&literal.to_string())
        .ok()?
        .base10_parse()
        .ok()
}

/// `#[schemars(length(…))]` on every array field of a request object that
/// has `minItems`/`maxItems` in the spec: the numbers `check_item_counts`
/// checks, so the derived schema carries them.
fn item_lengths(items: &mut [syn::Item], spec: &Value) -> Result<(), Error> {
    let schemas = &spec["components"]["schemas"];
    for name in dotdigital_spec::reachable_schemas(spec, dotdigital_spec::Side::Request) {
        let schema = &schemas[name.as_str()];
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        let ident = pascal_case(&name);
        let Some(item) = items.iter_mut().find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == ident => Some(s),
            _ => None,
        }) else {
            continue;
        };
        for (property, value) in properties {
            let value = crate::item_counts::resolve(schemas, value);
            let min = value["minItems"].as_u64();
            let max = value["maxItems"].as_u64();
            if min.is_none() && max.is_none() {
                continue;
            }
            let Some(index) = field_index(item, property) else {
                return Err(Error::Unsupported(format!(
                    "{name}: no Rust field for the property {property}"
                )));
            };
            let Some(f) = item.fields.iter_mut().nth(index) else {
                continue;
            };
            if !matches!(Shape::of(&f.ty), Shape::Vec { .. }) {
                continue;
            }
            let mut args = Vec::<TokenStream>::new();
            if let Some(min) = min {
                args.push(quote::quote!(min = #min));
            }
            if let Some(max) = max {
                args.push(quote::quote!(max = #max));
            }
            f.attrs.push(
                syn::parse_quote!(#[cfg_attr(feature = #FEATURE, schemars(length(#(#args),*)))]),
            );
        }
    }
    Ok(())
}

/// The index of the field serialised under `property`.
fn field_index(item: &syn::ItemStruct, property: &str) -> Option<usize> {
    let wanted = field(item, property)?;
    item.fields.iter().position(|f| std::ptr::eq(f, wanted))
}

#[cfg(test)]
mod tests {
    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    put:
      operationId: putX
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Put'}}}
      responses:
        "200": {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Got'}}}}
components:
  schemas:
    Put:
      type: object
      properties:
        code: {type: string, minLength: 2, maxLength: 8, pattern: '^[a-z]+$'}
        tags: {type: array, minItems: 1, maxItems: 3, items: {type: string}}
        ids:
          type: object
          properties:
            main: {type: string}
          additionalProperties: {type: string}
    Got:
      type: object
      properties:
        status: {$ref: '#/components/schemas/Seen'}
    Seen: {type: string, enum: [on, off]}
"#;

    /// The source from the first line containing `start` up to the next `}\n    }`.
    fn item<'a>(source: &'a str, start: &str) -> &'a str {
        let from = source.find(start).unwrap_or_else(|| panic!("no {start}"));
        let rest = &source[from..];
        &rest[..rest.find("\n    }\n").map_or(rest.len(), |end| end)]
    }

    #[test]
    fn every_type_gets_a_schema_behind_the_feature_that_says_what_the_type_checks() {
        let source = crate::generate(SPEC).unwrap();
        assert!(
            source.contains("#[cfg_attr(feature = \"schemars\", derive(::schemars::JsonSchema))]\n    #[non_exhaustive]\n    pub struct Put {"),
            "{source}"
        );
        // The item counts check_item_counts checks.
        assert!(source.contains(
            "#[cfg_attr(feature = \"schemars\", schemars(length(min = 1u64, max = 3u64)))]"
        ));
        // A checked string: the limits its FromStr checks.
        let code = item(&source, "impl ::schemars::JsonSchema for PutCode");
        assert!(
            code.contains("min_length: ::std::option::Option::Some(2usize as u32)"),
            "{code}"
        );
        assert!(
            code.contains("max_length: ::std::option::Option::Some(8usize as u32)"),
            "{code}"
        );
        assert!(
            code.contains(r#"pattern: ::std::option::Option::Some("^[a-z]+$".to_owned())"#),
            "{code}"
        );
        // An open response enum: any string.
        let seen = item(&source, "impl ::schemars::JsonSchema for Seen");
        assert!(
            seen.contains("pattern: ::std::option::Option::None"),
            "{seen}"
        );
        assert!(!source.contains(
            "derive(::schemars::JsonSchema))]\n    #[non_exhaustive]\n    pub enum Seen"
        ));
        // A flattened map: its value schema as additionalProperties.
        let ids = item(&source, "impl ::schemars::JsonSchema for PutIds");
        assert!(
            ids.contains("subschema_for::<::std::string::String>()"),
            "{ids}"
        );
        assert!(!ids.contains("pub extra"), "{ids}");
        let list = item(&source, "pub fn json_schemas()");
        for name in ["Got", "Put", "PutCode", "PutIds", "Seen"] {
            assert!(
                list.contains(&format!("::schemars::schema_for!({name})")),
                "{list}"
            );
        }
    }
}
