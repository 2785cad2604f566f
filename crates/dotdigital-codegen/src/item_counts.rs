//! Item-count limits the Rust types cannot hold.
//!
//! typify turns `minLength`, `maxLength` and `pattern` into checked newtypes,
//! but an array is a plain `Vec` whatever its `minItems` and `maxItems`. This
//! pass gives every object a request reaches a `check_item_counts` method
//! that checks them, here and in the objects below, so a client checks the
//! spec's numbers, never a copy of them.

use serde_json::Value;

use crate::Error;
use crate::open_enums::pascal_case;

/// The error type the checks return; a spec schema of this name would clash.
const ERROR_TYPE: &str = "ItemCountError";

/// Adds the error type and a `check_item_counts` method to each object
/// schema a request reaches.
pub fn add(items: &mut Vec<syn::Item>, spec: &Value) -> Result<(), Error> {
    let schemas = &spec["components"]["schemas"];
    let objects: Vec<String> =
        dotdigital_spec::reachable_schemas(spec, dotdigital_spec::Side::Request)
            .into_iter()
            .filter(|name| schemas[name.as_str()]["properties"].is_object())
            .collect();
    if struct_named(items, ERROR_TYPE).is_some() {
        return Err(Error::Unsupported(format!(
            "the spec has a schema named {ERROR_TYPE}, the name of the generated item-count error"
        )));
    }
    let mut methods = Vec::new();
    for name in &objects {
        let ident = pascal_case(name);
        let Some(item) = struct_named(items, &ident) else {
            return Err(Error::Unsupported(format!(
                "the request object {name} is not a struct of the generated types ({ident})"
            )));
        };
        let checks = checks(item, &schemas[name.as_str()], schemas, &objects)
            .map_err(|e| Error::Unsupported(format!("{name}: {e}")))?;
        let ident = &item.ident;
        methods.push(syn::parse_quote! {
            impl #ident {
                /// Checks the spec's `minItems` and `maxItems` here and in the
                /// objects below, which the Rust types cannot hold. An optional
                /// array left empty is not sent, so it is not checked.
                pub fn check_item_counts(&self) -> ::std::result::Result<(), ItemCountError> {
                    #(#checks)*
                    Ok(())
                }
            }
        });
    }
    items.extend(error_type());
    items.extend(methods);
    Ok(())
}

fn struct_named<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemStruct> {
    items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })
}

/// The statements checking one object's properties.
fn checks(
    item: &syn::ItemStruct,
    schema: &Value,
    schemas: &Value,
    objects: &[String],
) -> Result<Vec<syn::Stmt>, String> {
    let mut statements = Vec::new();
    for (property, value) in schema["properties"].as_object().into_iter().flatten() {
        let field = field(item, property)
            .ok_or_else(|| format!("no Rust field for the property {property}"))?;
        let ident = field.ident.as_ref().ok_or("a tuple struct")?;
        let shape = Shape::of(&field.ty);
        let required = schema["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|v| v == property));
        let resolved = resolve(schemas, value);
        statements.extend(count_check(ident, property, shape, resolved, required));
        // A nested object: its own checks, under this property's name.
        let nested = |schema: &Value| {
            schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .is_some_and(|n| objects.iter().any(|o| o == n))
        };
        let nested = match shape {
            Shape::Vec { .. } => nested(&resolved["items"]),
            _ => nested(value),
        };
        if nested {
            statements.extend(nested_check(ident, property, shape));
        }
    }
    Ok(statements)
}

/// The check of an array property's own `minItems`/`maxItems`, if it has any.
fn count_check(
    ident: &syn::Ident,
    property: &str,
    shape: Shape,
    schema: &Value,
    required: bool,
) -> Option<syn::Stmt> {
    let Shape::Vec { optional } = shape else {
        return None;
    };
    let (min, max) = (limit(schema, "minItems"), limit(schema, "maxItems"));
    if min.is_none() && max.is_none() {
        return None;
    }
    let (min_items, max_items) = (option(min), option(max));
    let access = quote_access(ident, optional);
    let skip_empty = !required && !optional;
    Some(syn::parse_quote! {
        if let Some(items) = #access {
            let got = items.len();
            let sent = !(#skip_empty && got == 0);
            if sent && (#min_items.is_some_and(|min| got < min) || #max_items.is_some_and(|max| got > max)) {
                return Err(ItemCountError {
                    field: #property.to_owned(),
                    min_items: #min_items,
                    max_items: #max_items,
                    got,
                });
            }
        }
    })
}

/// The call of a nested object's own checks, its errors placed under `property`.
fn nested_check(ident: &syn::Ident, property: &str, shape: Shape) -> Option<syn::Stmt> {
    Some(match shape {
        Shape::Vec { optional } => {
            let access = quote_access(ident, optional);
            syn::parse_quote! {
                if let Some(items) = #access {
                    for (i, item) in items.iter().enumerate() {
                        item.check_item_counts().map_err(|e| e.within(&format!("{}[{}]", #property, i)))?;
                    }
                }
            }
        }
        Shape::Option => syn::parse_quote! {
            if let Some(value) = &self.#ident {
                value.check_item_counts().map_err(|e| e.within(#property))?;
            }
        },
        Shape::Plain => syn::parse_quote! {
            self.#ident.check_item_counts().map_err(|e| e.within(#property))?;
        },
    })
}

/// `Some(&self.field)`, or `self.field.as_ref()` when the field is an `Option`.
fn quote_access(ident: &syn::Ident, optional: bool) -> syn::Expr {
    if optional {
        syn::parse_quote!(self.#ident.as_ref())
    } else {
        syn::parse_quote!(Some(&self.#ident))
    }
}

fn option(value: Option<usize>) -> syn::Expr {
    match value {
        Some(n) => syn::parse_quote!(::std::option::Option::Some::<usize>(#n)),
        None => syn::parse_quote!(::std::option::Option::None::<usize>),
    }
}

fn limit(schema: &Value, key: &str) -> Option<usize> {
    schema[key].as_u64().and_then(|n| usize::try_from(n).ok())
}

pub(crate) fn resolve<'a>(schemas: &'a Value, value: &'a Value) -> &'a Value {
    value["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map_or(value, |name| &schemas[name])
}

/// The struct field serialised under `property`.
pub(crate) fn field<'a>(item: &'a syn::ItemStruct, property: &str) -> Option<&'a syn::Field> {
    item.fields.iter().find(|field| match renamed(field) {
        Some(wire) => wire == property,
        None => field
            .ident
            .as_ref()
            .is_some_and(|i| i.to_string().trim_start_matches("r#") == property),
    })
}

/// A field's `#[serde(rename = "…")]`.
pub(crate) fn renamed(field: &syn::Field) -> Option<String> {
    serde_rename(&field.attrs)
}

/// The `rename` of a `#[serde(…)]` attribute among `attrs` (a field's or a
/// variant's): the name on the wire.
pub(crate) fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                found = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    found
}

/// How a property is held.
#[derive(Clone, Copy)]
pub(crate) enum Shape {
    Vec { optional: bool },
    Option,
    Plain,
}

impl Shape {
    pub(crate) fn of(ty: &syn::Type) -> Shape {
        match outer(ty) {
            Some(("Vec", _)) => Shape::Vec { optional: false },
            Some(("Option", inner)) if matches!(inner.and_then(outer), Some(("Vec", _))) => {
                Shape::Vec { optional: true }
            }
            Some(("Option", _)) => Shape::Option,
            _ => Shape::Plain,
        }
    }
}

/// The last path segment's name of `ty` and its first generic argument.
fn outer(ty: &syn::Type) -> Option<(&'static str, Option<&syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    let name = match segment.ident.to_string().as_str() {
        "Vec" => "Vec",
        "Option" => "Option",
        _ => return None,
    };
    let inner = match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((name, inner))
}

fn error_type() -> Vec<syn::Item> {
    let file: syn::File = syn::parse_quote! {
        /// A request array with more or fewer items than the spec allows
        /// (`minItems`, `maxItems`): what `check_item_counts` reports.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct ItemCountError {
            /// The array, as on the wire (`lists`, `preferences[2].ids`).
            pub field: ::std::string::String,
            /// The spec's `minItems`, if it sets one.
            pub min_items: ::std::option::Option<usize>,
            /// The spec's `maxItems`, if it sets one.
            pub max_items: ::std::option::Option<usize>,
            /// How many items the array holds.
            pub got: usize,
        }
        impl ItemCountError {
            /// The same error, found inside the property `parent`.
            pub fn within(mut self, parent: &str) -> Self {
                self.field = format!("{parent}.{}", self.field);
                self
            }
            /// The limit and the count, without the field:
            /// `at most 100 items, got 101`.
            pub fn reason(&self) -> ::std::string::String {
                match (self.min_items, self.max_items) {
                    (Some(min), _) if self.got < min => format!("at least {min} items, got {}", self.got),
                    (_, Some(max)) => format!("at most {max} items, got {}", self.got),
                    _ => format!("{} items", self.got),
                }
            }
        }
        impl ::std::fmt::Display for ItemCountError {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}: {}", self.field, self.reason())
            }
        }
        impl ::std::error::Error for ItemCountError {}
    };
    file.items
}
