//! Reading JSON request bodies field by field, with the seed framework's
//! messages, so that every problem is reported by field name at once.
//!
//! Read-only and unknown fields are ignored, as the seed did.

use serde_json::{Map, Value};

use crate::{ApiError, FieldErrors};

/// PostgreSQL text cannot hold NUL, so such input is refused up front.
pub const NUL_MESSAGE: &str = "Null characters are not allowed.";

/// The body as an object, or a 400 saying what was sent instead.
pub fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        other => {
            let mut errors = FieldErrors::new();
            errors.add(
                "non_field_errors",
                format!("Invalid data. Expected a dictionary, but got {}.", type_name(other)),
            );
            Err(ApiError::validation(errors))
        }
    }
}

/// The JSON type name the seed used in its messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A string field, trimmed. `None` (with a message recorded) when missing,
/// null, not a string, blank, or longer than `max_chars` after trimming;
/// `Some(None)` when absent and not `required`.
pub fn string(
    map: &Map<String, Value>,
    field: &str,
    required: bool,
    max_chars: usize,
    errors: &mut FieldErrors,
) -> Option<Option<String>> {
    match map.get(field) {
        None if required => {
            errors.add(field, "This field is required.");
            None
        }
        None => Some(None),
        Some(Value::Null) => {
            errors.add(field, "This field may not be null.");
            None
        }
        Some(Value::String(s)) if s.contains('\0') => {
            errors.add(field, NUL_MESSAGE);
            None
        }
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                errors.add(field, "This field may not be blank.");
                None
            } else if trimmed.chars().count() > max_chars {
                errors.add(
                    field,
                    format!("Ensure this field has no more than {max_chars} characters."),
                );
                None
            } else {
                Some(Some(trimmed.to_owned()))
            }
        }
        Some(_) => {
            errors.add(field, "Not a valid string.");
            None
        }
    }
}

/// An id field: a whole number, or a string holding one (`"7"`), as the seed
/// accepted. `Some(None)` when absent and not `required`.
pub fn id(map: &Map<String, Value>, field: &str, required: bool, errors: &mut FieldErrors) -> Option<Option<i64>> {
    match map.get(field) {
        None if required => {
            errors.add(field, "This field is required.");
            None
        }
        None => Some(None),
        Some(Value::Null) => {
            errors.add(field, "This field may not be null.");
            None
        }
        Some(value) => match parse_id(value) {
            Some(id) => Some(Some(id)),
            None => {
                errors.add(field, "A valid integer is required.");
                None
            }
        },
    }
}

/// A positive id from a number or a numeric string.
pub fn parse_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// A raw (untrimmed) password field between `min` and `max` bytes.
pub fn password(
    map: &Map<String, Value>,
    field: &str,
    min_bytes: usize,
    max_bytes: usize,
    errors: &mut FieldErrors,
) -> Option<String> {
    match map.get(field) {
        None => {
            errors.add(field, "This field is required.");
            None
        }
        Some(Value::Null) => {
            errors.add(field, "This field may not be null.");
            None
        }
        Some(Value::String(s)) if s.is_empty() => {
            errors.add(field, "This field may not be blank.");
            None
        }
        Some(Value::String(s)) if s.len() < min_bytes => {
            errors.add(field, format!("Ensure this field has at least {min_bytes} characters."));
            None
        }
        Some(Value::String(s)) if s.len() > max_bytes => {
            errors.add(field, format!("Ensure this field has no more than {max_bytes} bytes."));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add(field, "Not a valid string.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_accept_numbers_and_numeric_strings() {
        assert_eq!(parse_id(&json!(7)), Some(7));
        assert_eq!(parse_id(&json!("7")), Some(7));
        assert_eq!(parse_id(&json!("seven")), None);
        assert_eq!(parse_id(&json!(-1)), None);
        assert_eq!(parse_id(&json!(true)), None);
    }

    #[test]
    fn strings_are_trimmed_and_checked() {
        let body = json!({"name": "  Blues  ", "blank": "   ", "long": "x".repeat(6), "num": 3});
        let map = object(&body).expect("object");
        let mut errors = FieldErrors::new();
        assert_eq!(
            string(map, "name", true, 5, &mut errors),
            Some(Some("Blues".to_owned()))
        );
        assert_eq!(string(map, "blank", true, 5, &mut errors), None);
        assert_eq!(string(map, "long", true, 5, &mut errors), None);
        assert_eq!(string(map, "num", true, 5, &mut errors), None);
        assert_eq!(string(map, "missing", false, 5, &mut errors), Some(None));
        assert_eq!(string(map, "missing", true, 5, &mut errors), None);
        assert_eq!(errors.to_flat().as_object().map(Map::len), Some(4));
        let nul = json!({"name": "a\u{0}b"});
        let mut errors = FieldErrors::new();
        assert_eq!(
            string(object(&nul).expect("object"), "name", true, 5, &mut errors),
            None
        );
        assert_eq!(errors.to_nested(), json!({"name": [NUL_MESSAGE]}));
    }
}
