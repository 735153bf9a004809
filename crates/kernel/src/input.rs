//! Reading JSON request bodies field by field, with the seed framework's
//! messages, so that every problem is reported by field name at once.
//!
//! Read-only and unknown fields are ignored, as the seed did. Request types
//! are made of [`Field`]s; see there.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::FieldErrors;

/// PostgreSQL text cannot hold NUL, so such input is refused up front.
pub const NUL_MESSAGE: &str = "Null characters are not allowed.";

/// The body as an object, or the seed's message saying what was sent instead.
pub fn object(body: &Value) -> Result<&Map<String, Value>, FieldErrors> {
    match body {
        Value::Object(map) => Ok(map),
        other => {
            let mut errors = FieldErrors::new();
            errors.add(
                "non_field_errors",
                format!("Invalid data. Expected a dictionary, but got {}.", type_name(other)),
            );
            Err(errors)
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

/// One field of a JSON request body, as sent: absent, or any JSON value.
///
/// Request types are structs of these (`#[derive(Deserialize, ToSchema)]`,
/// each field `#[serde(default)]` (on the struct, utoipa would document a
/// default for every field) with its documented type given by
/// `#[schema(value_type = ...)]`), so that the type that documents a body is
/// the type that reads it. A `Field` accepts whatever was sent, so reading
/// never stops at the first problem: the request type's own `validate`
/// checks each field with the methods below and reports every problem at
/// once, in the seed's words. Unknown fields are ignored, as the seed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Field(Option<Value>);

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self(Some(value)))
    }
}

impl From<Value> for Field {
    fn from(value: Value) -> Self {
        Self(Some(value))
    }
}

impl Field {
    /// The value sent, if any (`null` included).
    pub fn value(&self) -> Option<&Value> {
        self.0.as_ref()
    }

    /// What to check: `Some(Some(value))` when sent and not null,
    /// `Some(None)` when absent and not `required`, and `None` (with a
    /// message recorded) when missing but `required`, or null.
    fn sent(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<Option<&Value>> {
        match self.value() {
            None if required => {
                errors.add(name, REQUIRED);
                None
            }
            None => Some(None),
            Some(Value::Null) => {
                errors.add(name, NOT_NULL);
                None
            }
            Some(value) => Some(Some(value)),
        }
    }

    /// A string, trimmed. `None` (with a message recorded under `name`) when
    /// missing, null, not a string, blank, or longer than `max_chars` after
    /// trimming; `Some(None)` when absent and not `required`.
    pub fn string(
        &self,
        name: &str,
        required: bool,
        max_chars: usize,
        errors: &mut FieldErrors,
    ) -> Option<Option<String>> {
        let Some(value) = self.sent(name, required, errors)? else {
            return Some(None);
        };
        let message = match value {
            Value::String(s) if s.contains('\0') => NUL_MESSAGE.to_owned(),
            Value::String(s) => {
                let trimmed = s.trim();
                if trimmed.is_empty() {
                    NOT_BLANK.to_owned()
                } else if trimmed.chars().count() > max_chars {
                    format!("Ensure this field has no more than {max_chars} characters.")
                } else {
                    return Some(Some(trimmed.to_owned()));
                }
            }
            _ => NOT_A_STRING.to_owned(),
        };
        errors.add(name, message);
        None
    }

    /// A required string kept as sent (not trimmed), not empty. `None` (with a
    /// message recorded under `name`) when missing, empty or not a string;
    /// null counts as not a string, as the seed's framework said of these fields.
    pub fn untrimmed(&self, name: &str, errors: &mut FieldErrors) -> Option<&str> {
        let message = match self.value() {
            Some(Value::String(s)) if !s.is_empty() => return Some(s),
            Some(Value::String(_)) => NOT_BLANK,
            None => REQUIRED,
            Some(_) => NOT_A_STRING,
        };
        errors.add(name, message);
        None
    }

    /// An id: a whole number, or a string holding one (`"7"`), as the seed
    /// accepted. `Some(None)` when absent and not `required`.
    pub fn id(&self, name: &str, required: bool, errors: &mut FieldErrors) -> Option<Option<i64>> {
        let Some(value) = self.sent(name, required, errors)? else {
            return Some(None);
        };
        match parse_id(value) {
            Some(id) => Some(Some(id)),
            None => {
                errors.add(name, "A valid integer is required.");
                None
            }
        }
    }

    /// A password, kept as sent (never trimmed), of `min_bytes` to `max_bytes`.
    pub fn password(&self, name: &str, min_bytes: usize, max_bytes: usize, errors: &mut FieldErrors) -> Option<String> {
        let message = match self.sent(name, true, errors)?? {
            Value::String(s) if s.is_empty() => NOT_BLANK.to_owned(),
            Value::String(s) if s.len() < min_bytes => {
                format!("Ensure this field has at least {min_bytes} characters.")
            }
            Value::String(s) if s.len() > max_bytes => format!("Ensure this field has no more than {max_bytes} bytes."),
            Value::String(s) => return Some(s.clone()),
            _ => NOT_A_STRING.to_owned(),
        };
        errors.add(name, message);
        None
    }
}

/// The seed's message for a missing field.
pub const REQUIRED: &str = "This field is required.";
/// The seed's message for a null field.
pub const NOT_NULL: &str = "This field may not be null.";
/// The seed's message for an empty string.
pub const NOT_BLANK: &str = "This field may not be blank.";
/// The seed's message for a field that is not a string.
pub const NOT_A_STRING: &str = "Not a valid string.";

/// An id from a whole number or a numeric string. Zero and negative
/// numbers are ids too (of nothing: the caller answers "does not exist", as
/// the seed did); a number beyond 64 bits is no valid integer (never
/// clamped to one).
pub fn parse_id(value: &Value) -> Option<i64> {
    /// 2^63: the first whole `f64` beyond `i64`.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (-LIMIT..LIMIT).contains(f))
                // Whole and within range: the cast is exact.
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
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
        assert_eq!(parse_id(&json!(-1)), Some(-1));
        assert_eq!(parse_id(&json!(0)), Some(0));
        assert_eq!(parse_id(&json!(1e30)), None);
        assert_eq!(parse_id(&json!("99999999999999999999")), None);
        assert_eq!(parse_id(&json!(7.0)), Some(7));
        assert_eq!(parse_id(&json!(true)), None);
    }

    #[test]
    fn a_request_type_of_fields_reads_any_object_and_reports_each_field() {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Request {
            name: Field,
            owner_id: Field,
        }
        let request: Request = serde_json::from_value(json!({"name": 7, "owner_id": "12", "id": 3, "unknown": []}))
            .expect("any object reads");
        let mut errors = FieldErrors::new();
        assert_eq!(request.name.string("name", true, 10, &mut errors), None);
        assert_eq!(request.owner_id.id("owner_id", true, &mut errors), Some(Some(12)));
        assert_eq!(errors.to_nested(), json!({"name": [NOT_A_STRING]}));
        let empty: Request = serde_json::from_value(json!({"name": null})).expect("reads");
        assert!(empty.name.value().is_some() && empty.owner_id.value().is_none());
    }

    #[test]
    fn strings_are_trimmed_and_checked() {
        let field = |value: Value| Field::from(value);
        let mut errors = FieldErrors::new();
        assert_eq!(
            field(json!("  Blues  ")).string("name", true, 5, &mut errors),
            Some(Some("Blues".to_owned()))
        );
        assert_eq!(field(json!("   ")).string("blank", true, 5, &mut errors), None);
        assert_eq!(field(json!("x".repeat(6))).string("long", true, 5, &mut errors), None);
        assert_eq!(field(json!(3)).string("num", true, 5, &mut errors), None);
        assert_eq!(Field::default().string("missing", false, 5, &mut errors), Some(None));
        assert_eq!(Field::default().string("missing", true, 5, &mut errors), None);
        assert_eq!(errors.to_flat().as_object().map(Map::len), Some(4));
        let mut errors = FieldErrors::new();
        assert_eq!(field(json!("a\u{0}b")).string("name", true, 5, &mut errors), None);
        assert_eq!(errors.to_nested(), json!({"name": [NUL_MESSAGE]}));
    }

    #[test]
    fn passwords_are_kept_as_sent_within_their_bounds() {
        let mut errors = FieldErrors::new();
        let field = |value: Value| Field::from(value);
        assert_eq!(
            field(json!(" spaces kept "))
                .password("p", 8, 20, &mut errors)
                .as_deref(),
            Some(" spaces kept ")
        );
        assert_eq!(field(json!("short")).password("short", 8, 20, &mut errors), None);
        assert_eq!(field(json!("x".repeat(21))).password("long", 8, 20, &mut errors), None);
        assert_eq!(Field::default().password("missing", 8, 20, &mut errors), None);
        assert_eq!(field(Value::Null).password("null", 8, 20, &mut errors), None);
        assert_eq!(
            errors.to_nested(),
            json!({
                "short": ["Ensure this field has at least 8 characters."],
                "long": ["Ensure this field has no more than 20 bytes."],
                "missing": [REQUIRED],
                "null": [NOT_NULL],
            })
        );
    }
}
