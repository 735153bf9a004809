//! Wire shapes of palettes, by API version, and the reading of request
//! bodies the two versions share. Bodies are read field by field (see
//! `kernel::input`) so that every problem is reported at once, by field and,
//! for colours, by position.

pub mod v1;
pub mod v2;

use kernel::{input, FieldErrors};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::color;
use crate::model::{NewColors, MAX_COLORS, MAX_COLOR_NAME_CHARS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};

const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// A colour in a write: a hex string, or (2.0) an object with an optional name.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PaletteColorInput {
    /// `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, any case, `#` optional.
    Hex(String),
    /// 2.0 only: the hex and an optional name.
    Named(PaletteNamedColorInput),
}

/// A colour with a name (2.0 writes).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteNamedColorInput {
    /// `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, any case, `#` optional.
    #[schema(pattern = "^#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
    pub hex: String,
    /// Up to 100 characters after trimming; blank or null for none.
    #[schema(max_length = 100)]
    pub name: Option<String>,
}

/// The body of `POST`, `PUT` and `PATCH` on palettes.
///
/// 1.0 reads `name`, `colors` (hex strings) and `owner_id`; 2.0 reads
/// `name`, `description`, `team_id` and `colors` (hex strings or objects).
/// `POST` and `PUT` require `name` and the team (`owner_id` in 1.0,
/// `team_id` in 2.0); a `PUT` or `PATCH` keeps what it leaves out. Ids may
/// be numbers or numeric strings. Other fields, and those of the other
/// version, are ignored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteWrite {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(nullable = false, min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// 2.0: free text, up to 2000 characters after trimming.
    #[schema(nullable = false, max_length = 2000)]
    pub description: Option<String>,
    /// 1.0: the owning team, one I belong to. Moving a palette needs both teams.
    #[schema(nullable = false)]
    pub owner_id: Option<i64>,
    /// 2.0: the owning team, one I belong to. Moving a palette needs both teams.
    #[schema(nullable = false)]
    pub team_id: Option<i64>,
    /// 0 to 256 colours, in order; 1.0 takes hex strings only.
    #[schema(nullable = false, max_items = 256)]
    pub colors: Option<Vec<PaletteColorInput>>,
}

/// The body of `POST /api/palettes/{id}/copy`, in both versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteCopyRequest {
    /// The team to copy into, one I belong to (a number or a numeric string).
    pub team_id: i64,
    /// The copy's name; the original's when absent (a clash is a duplicate).
    #[schema(nullable = false, min_length = 1, max_length = 255)]
    pub name: Option<String>,
}

/// `?ordering=` of the palette list; the default is by id, ascending.
#[derive(Debug, Serialize, ToSchema)]
pub enum PaletteOrdering {
    /// By name ignoring case.
    #[serde(rename = "name")]
    Name,
    /// By name ignoring case, descending.
    #[serde(rename = "-name")]
    NameDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Least recently written first.
    #[serde(rename = "updated_at")]
    UpdatedAt,
    /// Most recently written first.
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
}

/// A palette name: required or not, trimmed, 1 to 255 characters.
pub(crate) fn read_name(map: &Map<String, Value>, required: bool, errors: &mut FieldErrors) -> Option<String> {
    let name = input::string(map, "name", required, MAX_NAME_CHARS, errors).flatten()?;
    if name.contains('\0') {
        errors.add("name", NULL_CHARACTERS);
        return None;
    }
    Some(name)
}

/// A description: trimmed, may be blank, at most 2000 characters.
pub(crate) fn read_description(map: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    match map.get("description")? {
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
                errors.add(
                    "description",
                    format!("Ensure this field has no more than {MAX_DESCRIPTION_CHARS} characters."),
                );
                None
            } else if trimmed.contains('\0') {
                errors.add("description", NULL_CHARACTERS);
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        Value::Null => {
            errors.add("description", "This field may not be null.");
            None
        }
        _ => {
            errors.add("description", "Not a valid string.");
            None
        }
    }
}

/// `colors`: a list of at most 256 colours, each normalised; `named` admits
/// `{"hex", "name"}` objects (2.0). `None` when absent or invalid.
pub(crate) fn read_colors(map: &Map<String, Value>, named: bool, errors: &mut FieldErrors) -> Option<NewColors> {
    let items = match map.get("colors")? {
        Value::Array(items) => items,
        Value::Null => {
            errors.add("colors", "This field may not be null.");
            return None;
        }
        other => {
            errors.add(
                "colors",
                format!("Expected a list of items but got type \"{}\".", input::type_name(other)),
            );
            return None;
        }
    };
    if items.len() > MAX_COLORS {
        errors.add(
            "colors",
            format!("Ensure this field has no more than {MAX_COLORS} elements."),
        );
        return None;
    }
    let mut hexes = Vec::with_capacity(items.len());
    let mut names = Vec::with_capacity(items.len());
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        match read_color(item, named) {
            Ok((hex, name)) => {
                hexes.push(hex);
                names.push(name);
            }
            Err(message) => {
                errors.add_item("colors", index, message);
                valid = false;
            }
        }
    }
    valid.then_some(NewColors {
        hexes,
        names: named.then_some(names),
    })
}

fn read_color(item: &Value, named: bool) -> Result<(String, Option<String>), String> {
    match item {
        Value::String(hex) => Ok((color::normalize(hex).map_err(|e| e.to_string())?, None)),
        Value::Null => Err("This field may not be null.".to_owned()),
        Value::Object(object) if named => {
            let hex = match object.get("hex") {
                Some(Value::String(hex)) => color::normalize(hex).map_err(|e| format!("hex: {e}"))?,
                None => return Err("hex: This field is required.".to_owned()),
                Some(Value::Null) => return Err("hex: This field may not be null.".to_owned()),
                Some(_) => return Err("hex: Not a valid string.".to_owned()),
            };
            let name = match object.get("name") {
                None | Some(Value::Null) => None,
                Some(Value::String(name)) => {
                    let name = name.trim();
                    if name.chars().count() > MAX_COLOR_NAME_CHARS {
                        return Err(format!(
                            "name: Ensure this field has no more than {MAX_COLOR_NAME_CHARS} characters."
                        ));
                    }
                    if name.contains('\0') {
                        return Err(format!("name: {NULL_CHARACTERS}"));
                    }
                    (!name.is_empty()).then(|| name.to_owned())
                }
                Some(_) => return Err("name: Not a valid string.".to_owned()),
            };
            Ok((hex, name))
        }
        other if named => Err(format!(
            "Expected a hex string or an object with \"hex\" and \"name\", but got {}.",
            input::type_name(other)
        )),
        _ => Err("Not a valid string.".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn colors(body: Value, named: bool) -> (Option<NewColors>, Value) {
        let mut errors = FieldErrors::new();
        let map = body.as_object().cloned().unwrap_or_default();
        let colors = read_colors(&map, named, &mut errors);
        (colors, errors.to_nested())
    }

    #[test]
    fn colour_errors_name_the_item() {
        let (read, errors) = colors(json!({"colors": ["#abc", 7, "#12", null, {"hex": "#fff"}]}), false);
        assert_eq!(read, None);
        let items = errors["colors"].as_object().cloned().unwrap_or_default();
        assert_eq!(items.keys().collect::<Vec<_>>(), ["1", "2", "3", "4"]);
    }

    #[test]
    fn named_colours_are_read_in_2_0() {
        let (read, errors) = colors(
            json!({"colors": ["ABC", {"hex": "#ff0000FF", "name": " Red "}, {"hex": "000", "name": "  "}]}),
            true,
        );
        assert_eq!(errors, json!({}));
        assert_eq!(
            read,
            Some(NewColors {
                hexes: vec!["#aabbcc".into(), "#ff0000".into(), "#000000".into()],
                names: Some(vec![None, Some("Red".into()), None]),
            })
        );
    }

    #[test]
    fn too_many_colours_are_refused() {
        let (read, errors) = colors(json!({"colors": vec!["#000"; 257]}), false);
        assert_eq!(read, None);
        assert_eq!(
            errors,
            json!({"colors": ["Ensure this field has no more than 256 elements."]})
        );
        let (read, _) = colors(json!({"colors": vec!["#000"; 256]}), false);
        assert_eq!(read.map(|c| c.hexes.len()), Some(256));
    }
}
