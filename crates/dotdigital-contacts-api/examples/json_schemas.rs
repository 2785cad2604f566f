//! Prints the JSON Schema schemars derives for every generated type, one
//! JSON object by type name: what `cargo xtask check` compares with the spec.
//!
//! `cargo run -p dotdigital-contacts-api --features schemars --example json_schemas`

fn main() -> Result<(), serde_json::Error> {
    let schemas: serde_json::Map<String, serde_json::Value> =
        dotdigital_contacts_api::types::json_schemas()
            .into_iter()
            .map(|(name, schema)| Ok((name.to_owned(), serde_json::to_value(schema)?)))
            .collect::<Result<_, serde_json::Error>>()?;
    println!("{}", serde_json::to_string_pretty(&schemas)?);
    Ok(())
}
