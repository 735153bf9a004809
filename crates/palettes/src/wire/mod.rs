//! Wire shapes of palettes, by API version, and the reading of request
//! bodies the two versions share. Bodies are read field by field (see
//! `kernel::input`) so that every problem is reported at once, by field and,
//! for colours, by position.

pub mod files;
pub mod schemas;
pub mod v1;
pub mod v2;

use api_versioning::ApiVersion;
use kernel::input::{self, NUL_MESSAGE};
use kernel::{ApiError, Field, FieldErrors};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::color;
use crate::error::PaletteError;
use crate::model::{
    CopyChanges, InvalidBody, NewColors, PaletteChanges, TeamDetail, MAX_COLORS, MAX_COLOR_NAME_CHARS,
    MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};

// Each field has its own `#[serde(default)]` (absent is a `Field` too): on the
// struct, utoipa would document every field's default.

/// A colour in a write: a hex string, or (2.0) an object with an optional name.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum PaletteColorInput {
    /// `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, any case, `#` optional.
    Hex(PaletteHexInput),
    /// 2.0 only: the hex and an optional name.
    Named(PaletteNamedColorInput),
}

/// A colour as a hex string: `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, any case, `#` optional.
#[derive(Debug, ToSchema)]
#[schema(pattern = "^#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
pub struct PaletteHexInput(pub String);

/// A colour with a name (2.0 writes).
#[derive(Debug, ToSchema)]
pub struct PaletteNamedColorInput {
    /// `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, any case, `#` optional.
    #[schema(pattern = "^#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")]
    pub hex: String,
    /// Up to 100 characters after trimming; blank or null for none.
    #[schema(max_length = 100, pattern = r"^[^\x00]*$")]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PaletteWrite {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 255, pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$")]
    pub name: Field,
    /// 2.0: free text, up to 2000 characters after trimming.
    #[serde(default)]
    #[schema(value_type = String, max_length = 2000, pattern = r"^[^\x00]*$")]
    pub description: Field,
    /// 1.0: the owning team, one I belong to. Moving a palette needs both teams.
    #[serde(default)]
    #[schema(value_type = i64)]
    pub owner_id: Field,
    /// 2.0: the owning team, one I belong to. Moving a palette needs both teams.
    #[serde(default)]
    #[schema(value_type = i64)]
    pub team_id: Field,
    /// 0 to 256 colours, in order; 1.0 takes hex strings only.
    #[serde(default)]
    #[schema(value_type = Vec<PaletteColorInput>, max_items = 256)]
    pub colors: Field,
}

impl PaletteWrite {
    /// The write as `version` reads it, `name` and the team `required` (POST,
    /// PUT); every problem is reported at once, with the team the body names
    /// (its membership is reported with them).
    pub fn validate(&self, version: ApiVersion, required: bool) -> Result<PaletteChanges, InvalidBody> {
        let mut errors = FieldErrors::new();
        let (team_field, team, named_colors) = match version {
            ApiVersion::V1 => (v1::TEAM_FIELD, &self.owner_id, false),
            ApiVersion::V2 => (v2::TEAM_FIELD, &self.team_id, true),
        };
        let changes = PaletteChanges {
            name: read_name(&self.name, required, &mut errors),
            description: match version {
                ApiVersion::V1 => None,
                ApiVersion::V2 => read_description(&self.description, &mut errors),
            },
            team_id: team.id(team_field, required, &mut errors).flatten(),
            colors: read_colors(&self.colors, named_colors, &mut errors),
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(InvalidBody {
                team_id: changes.team_id,
                errors,
            })
        }
    }
}

/// The body of `POST /api/palettes/{id}/copy`, in both versions.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PaletteCopyRequest {
    /// The team to copy into, one I belong to (a number or a numeric string).
    #[serde(default)]
    #[schema(value_type = i64, required = true)]
    pub team_id: Field,
    /// The copy's name; the original's when absent (a clash is a duplicate).
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 255, pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$")]
    pub name: Field,
}

impl PaletteCopyRequest {
    /// The copy asked for; every problem is reported at once, with the team
    /// the body names (its membership is reported with them).
    pub fn validate(&self) -> Result<CopyChanges, InvalidBody> {
        let mut errors = FieldErrors::new();
        let team_id = self.team_id.id("team_id", true, &mut errors).flatten();
        let name = read_name(&self.name, false, &mut errors);
        match team_id {
            Some(team_id) if errors.is_empty() => Ok(CopyChanges { team_id, name }),
            team_id => Err(InvalidBody { errors, team_id }),
        }
    }
}

/// `?ordering=` of the palette list; the default is by id, ascending.
#[derive(Debug, ToSchema)]
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

/// What `version`'s palette shape shows of the palette's team.
pub fn team_detail(version: ApiVersion) -> TeamDetail {
    match version {
        ApiVersion::V1 => TeamDetail::NameAndMembers,
        ApiVersion::V2 => TeamDetail::Name,
    }
}

/// The API error of a refused write (`POST`, `PUT`, `PATCH`) in `version`,
/// whose body names the team as that version's write does.
pub fn write_error(version: ApiVersion, error: PaletteError) -> ApiError {
    match version {
        ApiVersion::V1 => v1::write_error(error),
        ApiVersion::V2 => error.into(),
    }
}

/// A palette name: required or not, trimmed, 1 to 255 characters.
fn read_name(field: &Field, required: bool, errors: &mut FieldErrors) -> Option<String> {
    field.string("name", required, MAX_NAME_CHARS, errors).flatten()
}

/// A description: trimmed, may be blank, at most 2000 characters.
fn read_description(field: &Field, errors: &mut FieldErrors) -> Option<String> {
    match field.value()? {
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.chars().count() > MAX_DESCRIPTION_CHARS {
                errors.add(
                    "description",
                    format!("Ensure this field has no more than {MAX_DESCRIPTION_CHARS} characters."),
                );
                None
            } else if trimmed.contains('\0') {
                errors.add("description", NUL_MESSAGE);
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        Value::Null => {
            errors.add("description", input::NOT_NULL);
            None
        }
        _ => {
            errors.add("description", input::NOT_A_STRING);
            None
        }
    }
}

/// `colors`: a list of at most 256 colours, each normalised; `named` admits
/// `{"hex", "name"}` objects (2.0). `None` when absent or invalid.
fn read_colors(field: &Field, named: bool, errors: &mut FieldErrors) -> Option<NewColors> {
    let items = match field.value()? {
        Value::Array(items) => items,
        Value::Null => {
            errors.add("colors", input::NOT_NULL);
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
                        return Err(format!("name: {NUL_MESSAGE}"));
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
    use utoipa::PartialSchema;

    use super::*;

    #[test]
    fn documented_bounds_are_the_ones_the_request_type_checks() {
        let schema = serde_json::to_value(PaletteWrite::schema()).expect("a schema serializes");
        let properties = &schema["properties"];
        assert_eq!(properties["name"]["maxLength"], json!(MAX_NAME_CHARS));
        assert_eq!(properties["description"]["maxLength"], json!(MAX_DESCRIPTION_CHARS));
        assert_eq!(properties["colors"]["maxItems"], json!(MAX_COLORS));
    }

    #[test]
    fn the_documented_orderings_are_the_ones_the_list_reads() {
        let schema = serde_json::to_value(PaletteOrdering::schema()).expect("a schema serializes");
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(documented, crate::service::Ordering::VALUES);
    }

    fn colors(body: Value, named: bool) -> (Option<NewColors>, Value) {
        let mut errors = FieldErrors::new();
        let field = body.get("colors").cloned().map(Field::from).unwrap_or_default();
        let colors = read_colors(&field, named, &mut errors);
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

    fn write(body: Value) -> PaletteWrite {
        serde_json::from_value(body).unwrap_or_default()
    }

    #[test]
    fn each_version_reads_its_own_team_field_and_ignores_the_others() {
        let body = write(json!({"name": " Sea ", "owner_id": "7", "team_id": 8, "description": "Blue", "id": 1}));
        let v1 = body.validate(ApiVersion::V1, true).map_err(|e| e.errors.to_nested());
        assert_eq!(
            v1.as_ref().map(|c| (c.team_id, c.description.clone())),
            Ok((Some(7), None))
        );
        let v2 = body.validate(ApiVersion::V2, true).map_err(|e| e.errors.to_nested());
        assert_eq!(
            v2.map(|c| (c.name, c.team_id, c.description)),
            Ok((Some("Sea".into()), Some(8), Some("Blue".into())))
        );
    }

    #[test]
    fn an_invalid_write_keeps_the_team_it_names_and_patch_requires_nothing() {
        let invalid = write(json!({"name": "", "team_id": 8})).validate(ApiVersion::V2, true);
        let invalid = invalid.err().map(|e| (e.team_id, e.errors.to_nested()));
        assert_eq!(
            invalid,
            Some((Some(8), json!({"name": ["This field may not be blank."]})))
        );
        let missing = write(json!({}))
            .validate(ApiVersion::V1, true)
            .err()
            .map(|e| e.errors.to_nested());
        assert_eq!(
            missing,
            Some(json!({"name": ["This field is required."], "owner_id": ["This field is required."]}))
        );
        assert_eq!(
            write(json!({})).validate(ApiVersion::V1, false).ok(),
            Some(PaletteChanges::default())
        );
    }

    #[test]
    fn a_team_i_am_not_in_is_named_and_worded_by_version() {
        let error = || PaletteError::NotAMember {
            team_id: 7,
            also: FieldErrors::new(),
        };
        let v1 = write_error(ApiVersion::V1, error()).fields.map(|f| f.to_nested());
        assert_eq!(
            v1,
            Some(json!({"owner_id": ["Invalid pk \"7\" - object does not exist."]}))
        );
        let v2 = write_error(ApiVersion::V2, error()).fields.map(|f| f.to_nested());
        assert_eq!(
            v2,
            Some(json!({"team_id": ["You are not a member of a team with this id."]}))
        );
    }
}
