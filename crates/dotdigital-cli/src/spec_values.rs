//! Command-line values taken from the enums generated from the spec, so
//! `--help` and the parser offer exactly the values the spec lists (a value
//! added to the spec shows up with no code here).

use std::fmt::Display;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// A clap value parser for a generated enum: `values` is its `ALL`, and its
/// `Display` gives the names. With the argument's `ignore_case = true`,
/// `single` reads `Single`. Use it as
/// `#[arg(value_parser = spec_values::parser(types::MergeOption::ALL), ignore_case = true)]`.
pub fn parser<T>(values: &'static [T]) -> impl TypedValueParser<Value = T>
where
    T: Display + Clone + Send + Sync + 'static,
{
    let names = values
        .iter()
        .map(|value| PossibleValue::new(value.to_string()));
    PossibleValuesParser::new(names).try_map(move |name| {
        values
            .iter()
            .find(|value| value.to_string().eq_ignore_ascii_case(&name))
            .cloned()
            .ok_or_else(|| format!("{name:?} is not one of the spec's values"))
    })
}
