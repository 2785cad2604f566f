//! The line of a JSON pointer in a document's text, so that a CI annotation
//! lands on the changed line. YAML parsers give no positions; this reads the
//! block structure from the indentation alone: every key and sequence item on
//! a line of its own gets its pointer. Inside flow collections (`{a: 1}`,
//! JSON's `[…]`) a pointer takes the line of the nearest enclosing key.

use std::collections::BTreeMap;

use crate::escape;

/// Lines (counted from 1) by JSON pointer (`/paths/~1things/get`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    lines: BTreeMap<String, usize>,
}

/// One open key or sequence item while reading.
struct Open {
    indent: usize,
    pointer: String,
    item: bool,
    /// Items read so far, when it holds a sequence.
    items: usize,
}

impl LineIndex {
    /// Indexes the keys and sequence items of a YAML (or pretty-printed JSON) text.
    ///
    /// ```
    /// use openapi_change_classifier::LineIndex;
    /// let text = "paths:\n  /things:\n    get:\n      parameters:\n        - name: a\n          in: query\n";
    /// let index = LineIndex::new(text);
    /// assert_eq!(index.line("#/paths/~1things/get"), Some(3));
    /// assert_eq!(index.line("#/paths/~1things/get/parameters/0/in"), Some(6));
    /// assert_eq!(index.line("#/paths/~1things/get/responses"), Some(3));
    /// ```
    pub fn new(text: &str) -> LineIndex {
        let mut lines = BTreeMap::new();
        let mut open: Vec<Open> = Vec::new();
        let mut block_scalar: Option<usize> = None;
        for (number, line) in text.lines().enumerate() {
            let number = number + 1;
            let content = line.trim_start();
            let mut indent = line.len() - content.len();
            if content.is_empty() || content.starts_with('#') || content.starts_with("---") {
                continue;
            }
            if let Some(key_indent) = block_scalar {
                if indent > key_indent {
                    continue;
                }
                block_scalar = None;
            }
            let mut content = content;
            while let Some(rest) = content
                .strip_prefix("- ")
                .or((content == "-").then_some(""))
            {
                open.retain(|o| o.indent < indent || (o.indent == indent && !o.item));
                let Some(parent) = open.last_mut() else {
                    break;
                };
                let pointer = format!("{}/{}", parent.pointer, parent.items);
                parent.items += 1;
                lines.insert(pointer.clone(), number);
                open.push(Open {
                    indent,
                    pointer,
                    item: true,
                    items: 0,
                });
                let trimmed = rest.trim_start();
                indent += 2 + rest.len() - trimmed.len();
                content = trimmed;
            }
            let Some((key, value)) = key_of(content) else {
                continue;
            };
            open.retain(|o| o.indent < indent);
            let parent = open.last().map_or("", |o| o.pointer.as_str());
            let pointer = format!("{parent}/{}", escape(&key));
            lines.insert(pointer.clone(), number);
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar = Some(indent);
            }
            open.push(Open {
                indent,
                pointer,
                item: false,
                items: 0,
            });
        }
        LineIndex { lines }
    }

    /// The line of `pointer` (`#/…` or `/…`), else of its nearest enclosing
    /// node the index knows; `None` for a pointer into another file
    /// (`schemas/pet.yaml#/…`) or one the text does not reach.
    pub fn line(&self, pointer: &str) -> Option<usize> {
        let mut at = pointer.strip_prefix('#').unwrap_or(pointer);
        if !at.starts_with('/') {
            return None;
        }
        loop {
            if let Some(line) = self.lines.get(at) {
                return Some(*line);
            }
            at = at.rsplit_once('/')?.0;
        }
    }
}

/// `(key, the rest after the colon)` when the line starts with a mapping key.
fn key_of(content: &str) -> Option<(String, &str)> {
    let (key, rest) = match content.chars().next()? {
        quote @ ('"' | '\'') => {
            let end = content[1..].find(quote)? + 1;
            (content[1..end].to_owned(), &content[end + 1..])
        }
        '{' | '[' | '}' | ']' => return None,
        _ => {
            let end = content
                .find(": ")
                .or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
            (content[..end].trim_end().to_owned(), &content[end..])
        }
    };
    let rest = rest.trim_start().strip_prefix(':')?;
    Some((key, rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_items_quotes_and_block_scalars() {
        let text = "\
openapi: 3.0.3
paths:
  /contacts/{id}:
    put:
      description: |
        not: a key
      parameters:
      - name: id
        in: path
      - $ref: '#/components/parameters/X'
      responses:
        \"200\":
          description: ok
components:
  schemas:
    A: {type: string}
";
        let index = LineIndex::new(text);
        assert_eq!(index.line("#/paths/~1contacts~1{id}/put"), Some(4));
        assert_eq!(index.line("#/paths/~1contacts~1{id}/put/not"), Some(4));
        assert_eq!(
            index.line("#/paths/~1contacts~1{id}/put/parameters/0/in"),
            Some(9)
        );
        assert_eq!(
            index.line("#/paths/~1contacts~1{id}/put/parameters/1"),
            Some(10)
        );
        assert_eq!(
            index.line("#/paths/~1contacts~1{id}/put/responses/200/description"),
            Some(13)
        );
        assert_eq!(index.line("#/components/schemas/A/type"), Some(16));
        assert_eq!(index.line("schemas/pet.yaml#/Pet"), None);
    }

    #[test]
    fn pretty_printed_json_keys() {
        let text = "{\n  \"paths\": {\n    \"/x\": {\n      \"get\": {}\n    }\n  }\n}\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line("/paths/~1x/get"), Some(4));
    }
}
