//! Data-field values typed on the command line and in CSV headers:
//! `NAME` is text, `NAME:number`, `NAME:boolean` and `NAME:date` are typed.

use dotdigital_contacts::DataFieldValue;

/// The type a column or `--set` gives a data field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
}

/// Splits `NAME[:type]` into the field name and its type.
pub fn parse_name(spec: &str) -> Result<(String, FieldType), String> {
    let (name, kind) = match spec.rsplit_once(':') {
        Some((name, kind)) => (name, kind),
        None => (spec, "text"),
    };
    let kind = match kind.to_ascii_lowercase().as_str() {
        "text" | "string" => FieldType::Text,
        "number" | "numeric" => FieldType::Number,
        "boolean" | "bool" => FieldType::Boolean,
        "date" => FieldType::Date,
        other => {
            return Err(format!(
                "{spec:?}: unknown type {other:?} (text, number, boolean or date)"
            ));
        }
    };
    if name.trim().is_empty() {
        return Err(format!("{spec:?}: the data field name is empty"));
    }
    Ok((name.to_owned(), kind))
}

/// Converts a raw text value to the field's type.
pub fn typed(name: &str, kind: FieldType, raw: &str) -> Result<DataFieldValue, String> {
    let bad = |what: &str| format!("data field {name}: {raw:?} is not {what}");
    Ok(match kind {
        FieldType::Text => raw.into(),
        FieldType::Number => match raw.trim().parse::<i64>() {
            Ok(integer) => integer.into(),
            Err(_) => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad("a number"))?
                .into(),
        },
        FieldType::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => true.into(),
            "false" | "no" | "0" => false.into(),
            _ => return Err(bad("a boolean (true/false, yes/no, 1/0)")),
        },
        FieldType::Date => {
            let raw = raw.trim();
            if let Ok(date) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                date.into()
            } else {
                chrono::DateTime::parse_from_rfc3339(raw)
                    .map_err(|_| bad("a date (YYYY-MM-DD or RFC 3339)"))?
                    .to_utc()
                    .into()
            }
        }
    })
}

/// Parses `--set NAME[:type]=VALUE`.
pub fn parse_assignment(arg: &str) -> Result<(String, DataFieldValue), String> {
    let (spec, raw) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?}: expected NAME=VALUE or NAME:type=VALUE"))?;
    let (name, kind) = parse_name(spec)?;
    let value = typed(&name, kind, raw)?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assignments_are_typed_by_suffix() {
        let value = |arg: &str| parse_assignment(arg).map(|(n, v)| (n, v.to_json()));
        assert_eq!(
            value("FIRSTNAME=Ann"),
            Ok(("FIRSTNAME".into(), json!("Ann")))
        );
        assert_eq!(
            value("POSTCODE=01234"),
            Ok(("POSTCODE".into(), json!("01234"))),
            "text stays text"
        );
        assert_eq!(value("AGE:number=36"), Ok(("AGE".into(), json!(36))));
        assert_eq!(value("SCORE:number=4.5"), Ok(("SCORE".into(), json!(4.5))));
        assert_eq!(value("VIP:boolean=yes"), Ok(("VIP".into(), json!(true))));
        assert_eq!(
            value("BORN:date=1990-05-17"),
            Ok(("BORN".into(), json!("1990-05-17")))
        );
        assert_eq!(
            value("SEEN:date=2026-01-05T10:30:00+01:00"),
            Ok(("SEEN".into(), json!("2026-01-05T09:30:00Z")))
        );
        assert!(
            value("AGE:number=old")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            value("AGE:colour=red")
                .unwrap_err()
                .contains("unknown type")
        );
        assert!(value("NOVALUE").is_err());
        assert_eq!(value("NOTE=a=b"), Ok(("NOTE".into(), json!("a=b"))));
    }
}
