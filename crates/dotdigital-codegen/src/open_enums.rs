//! Response enums that survive a newer service.
//!
//! Dotdigital adds enum values without notice. A response enum that refused
//! an unknown value would turn a contact created or updated into a failed
//! call, so every enum a response reaches gets an `Other(String)` variant that
//! keeps the value as sent and writes it back unchanged (the pattern
//! aws-sdk-rust uses). Request enums stay closed: a typo is refused before
//! the network.

use std::collections::BTreeSet;

use serde_json::Value;
use syn::punctuated::Punctuated;

use crate::Error;

/// The variant that holds a value the spec does not list.
pub const OTHER: &str = "Other";

/// The Rust names of the enums to open: every named enum schema a response
/// reaches. An enum reached from a request as well, or an inline enum in a
/// response, is an error, since one Rust type cannot be both open and closed
/// and an inline enum has no stable name to check.
pub fn response_enums(spec: &Value) -> Result<BTreeSet<String>, Error> {
    use dotdigital_spec::{Side, reachable_schemas};
    let schemas = &spec["components"]["schemas"];
    let is_enum = |name: &String| schemas[name.as_str()]["enum"].is_array();
    let request = reachable_schemas(spec, Side::Request);
    let response = reachable_schemas(spec, Side::Response);
    if let Some(shared) = response
        .iter()
        .filter(|n| is_enum(n))
        .find(|n| request.contains(*n))
    {
        return Err(Error::Unsupported(format!(
            "enum {shared} is used by a request and by a response: give each side its own \
             schema (a response enum accepts values the spec does not list, a request enum refuses them)"
        )));
    }
    for name in &response {
        let at = format!("#/components/schemas/{}", dotdigital_spec::escape(name));
        inline_enum(&schemas[name.as_str()], &at, true)?;
    }
    for (_, path, op) in dotdigital_spec::operations(spec) {
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            let at = format!(
                "#/paths/{}/responses/{status}",
                dotdigital_spec::escape(path)
            );
            inline_enum(response, &at, false)?;
        }
    }
    Ok(response
        .iter()
        .filter(|n| is_enum(n))
        .map(|n| pascal_case(n))
        .collect())
}

/// Refuses an `enum` below `schema` (or at it, unless `root`).
fn inline_enum(schema: &Value, at: &str, root: bool) -> Result<(), Error> {
    match schema {
        Value::Object(map) => {
            if !root && map.get("enum").is_some_and(Value::is_array) {
                return Err(Error::Unsupported(format!(
                    "inline enum at {at} in a response: make it a named schema under \
                     components/schemas, so the client can accept values the spec does not list"
                )));
            }
            for (key, value) in map {
                if key != "$ref" && key != "example" && key != "examples" {
                    inline_enum(
                        value,
                        &format!("{at}/{}", dotdigital_spec::escape(key)),
                        false,
                    )?;
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                inline_enum(item, &format!("{at}/{i}"), false)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A schema name as typify names its type (`ApiContact-status` -> `ApiContactStatus`).
pub(crate) fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Opens each enum of `names` among `items` (the `types` module): adds
/// `Other(String)`, and replaces the generated conversions with ones that
/// keep an unknown value. Every name must be found: a generator that named
/// or shaped them differently would otherwise leave them closed unnoticed.
pub fn open(items: &mut Vec<syn::Item>, names: &BTreeSet<String>) -> Result<(), Error> {
    let mut values = Vec::new();
    for item in items.iter_mut() {
        if let syn::Item::Enum(e) = item
            && names.contains(&e.ident.to_string())
        {
            values.push((e.ident.clone(), open_enum(e)?));
        }
    }
    if let Some(missing) = names
        .iter()
        .find(|name| !values.iter().any(|(ident, _)| ident == name.as_str()))
    {
        return Err(Error::Unsupported(format!(
            "the response enum {missing} is not a plain enum of the generated types; \
             it cannot be made to accept values the spec does not list"
        )));
    }
    // The generated conversions refuse unknown values: replaced below.
    items.retain(|item| !is_replaced_impl(item, names));
    for (ident, wire) in values {
        items.extend(conversions(&ident, &wire));
    }
    Ok(())
}

/// Adds the `Other` variant; returns each variant with its wire value.
fn open_enum(e: &mut syn::ItemEnum) -> Result<Vec<(syn::Ident, String)>, Error> {
    let name = e.ident.to_string();
    let mut wire = Vec::new();
    for variant in &mut e.variants {
        if !matches!(variant.fields, syn::Fields::Unit) || variant.ident == OTHER {
            return Err(Error::Unsupported(format!(
                "response enum {name}: variant {} is not a plain value, or is named like the \
                 `{OTHER}` variant that keeps unknown values",
                variant.ident
            )));
        }
        let value = crate::item_counts::serde_rename(&variant.attrs)
            .unwrap_or_else(|| variant.ident.to_string());
        variant.attrs.retain(|a| !a.path().is_ident("serde"));
        wire.push((variant.ident.clone(), value));
    }
    e.attrs.retain(|a| !a.path().is_ident("serde"));
    for attr in &mut e.attrs {
        if attr.path().is_ident("derive") {
            let derives = attr
                .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .map_err(|e| Error::Syntax(e.to_string()))?;
            // Hand-written below (serde) or impossible with a `String` inside (Copy).
            let kept = derives.into_iter().filter(|path| {
                path.segments.last().is_none_or(|s| {
                    !matches!(
                        s.ident.to_string().as_str(),
                        "Copy" | "Serialize" | "Deserialize"
                    )
                })
            });
            let kept: Vec<syn::Path> = kept.collect();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
    e.variants.push(syn::parse_quote! {
        /// A value this client's spec does not list (the service is newer),
        /// kept as sent and written back unchanged.
        Other(::std::string::String)
    });
    Ok(wire)
}

/// A generated `Display`, `FromStr` or `TryFrom` impl for one of `names`.
fn is_replaced_impl(item: &syn::Item, names: &BTreeSet<String>) -> bool {
    let syn::Item::Impl(i) = item else {
        return false;
    };
    let Some((trait_path, _)) = &i.trait_ else {
        return false;
    };
    let syn::Type::Path(self_ty) = i.self_ty.as_ref() else {
        return false;
    };
    let is_ours = self_ty
        .path
        .segments
        .last()
        .is_some_and(|s| names.contains(&s.ident.to_string()));
    let replaced = trait_path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "Display" | "FromStr" | "TryFrom"
        )
    });
    is_ours && replaced
}

/// The conversions of an open enum: every one keeps an unknown value.
fn conversions(ident: &syn::Ident, wire: &[(syn::Ident, String)]) -> Vec<syn::Item> {
    let variants: Vec<&syn::Ident> = wire.iter().map(|(v, _)| v).collect();
    let values: Vec<&str> = wire.iter().map(|(_, w)| w.as_str()).collect();
    let file: syn::File = syn::parse_quote! {
        impl #ident {
            /// The value as it is on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #values,)*
                    Self::Other(value) => value,
                }
            }
            /// The value for `value`: a listed one, or `Other` holding it.
            fn from_wire(value: &str) -> Self {
                match value {
                    #(#values => Self::#variants,)*
                    _ => Self::Other(value.to_owned()),
                }
            }
        }
        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for #ident {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                Ok(Self::from_wire(value))
            }
        }
        impl ::std::convert::TryFrom<&str> for #ident {
            type Error = self::error::ConversionError;
            fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                Ok(Self::from_wire(value))
            }
        }
        impl ::std::convert::TryFrom<::std::string::String> for #ident {
            type Error = self::error::ConversionError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                Ok(Self::from_wire(&value))
            }
        }
        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Wire;
                impl ::serde::de::Visitor<'_> for Wire {
                    type Value = #ident;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#ident, E> {
                        Ok(#ident::from_wire(value))
                    }
                }
                deserializer.deserialize_str(Wire)
            }
        }
    };
    file.items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_become_type_names() {
        assert_eq!(pascal_case("ContactStatus"), "ContactStatus");
        assert_eq!(pascal_case("contact-status_v2"), "ContactStatusV2");
    }
}
