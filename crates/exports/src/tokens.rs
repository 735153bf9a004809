//! W3C Design Tokens (Format Module, Community Group report 2025.10):
//! a group named after the palette, one `color` token per colour.
//!
//! ```json
//! {
//!   "Sea": {
//!     "$description": "Blues of the coast",
//!     "Foam": {
//!       "$type": "color",
//!       "$value": {"colorSpace": "srgb", "components": [0.6667, 0.7333, 0.8], "alpha": 1, "hex": "#aabbcc"}
//!     }
//!   }
//! }
//! ```
//!
//! Token and group names may not contain `{`, `}` or `.` nor start with
//! `$`: those characters become `_`, and duplicates (ignoring case) get
//! ` 2`, ` 3`. Where a name had to change, or a colour has none (its token
//! is `color-<position>`), the exact name is kept in
//! `$extensions."com.photoroom.palette-api".name` (`null` for none), so an
//! import gets the palette back as it was. Components are written to four
//! decimals, which identify every 8-bit value.
//!
//! An import walks the whole file: every token whose `$type` (its own or
//! its groups') is `color`, in file order, from `$value` in the object form
//! (sRGB, or any colour space with a `hex` fallback), a hex string (the
//! format's earlier drafts), or an alias `{group.token}` to such a token.
//! Tokens of other types are left alone. The palette is named after the
//! file's only top-level group, if it has just one.

use serde_json::{json, Map, Value};

use crate::color::{byte_to_unit, unit_to_byte};
use crate::names::UniqueNames;
use crate::{ImportError, PaletteFile, Rgba, Swatch};

/// Our key in `$extensions`, reverse-domain as the format asks.
pub const EXTENSION: &str = "com.photoroom.palette-api";

/// Longest chain of aliases followed.
const MAX_ALIAS_DEPTH: usize = 16;

/// `name` made a valid token or group name.
fn token_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| if matches!(c, '{' | '}' | '.') { '_' } else { c })
        .collect();
    match replaced.strip_prefix('$') {
        Some(rest) => format!("_{rest}"),
        None => replaced,
    }
}

/// A channel to four decimals.
fn component(byte: u8) -> Value {
    let rounded = (byte_to_unit(byte) * 10_000.0).round() / 10_000.0;
    json!(rounded)
}

/// `$extensions` holding the exact `name`.
fn name_extension(name: Option<&str>) -> Value {
    json!({ EXTENSION: { "name": name } })
}

/// The palette as a design tokens file.
pub fn export(palette: &PaletteFile) -> String {
    let mut group = Map::new();
    if let Some(description) = palette.description.as_deref().filter(|d| !d.is_empty()) {
        group.insert("$description".into(), description.into());
    }
    let title = palette.title();
    let group_name = token_name(title);
    if group_name != title {
        group.insert("$extensions".into(), name_extension(Some(title)));
    }
    let mut names = UniqueNames::new(" ");
    for (index, swatch) in palette.swatches.iter().enumerate() {
        let wanted = match &swatch.name {
            Some(name) => token_name(name),
            None => format!("color-{}", index + 1),
        };
        let key = names.claim(&wanted);
        let Rgba { r, g, b, a } = swatch.color;
        let mut token = Map::new();
        token.insert("$type".into(), "color".into());
        token.insert(
            "$value".into(),
            json!({
                "colorSpace": "srgb",
                "components": [component(r), component(g), component(b)],
                "alpha": component(a),
                "hex": swatch.color.hex6(),
            }),
        );
        if swatch.name.as_deref() != Some(key.as_str()) {
            token.insert("$extensions".into(), name_extension(swatch.name.as_deref()));
        }
        group.insert(key, Value::Object(token));
    }
    let mut root = Map::new();
    root.insert(group_name, Value::Object(group));
    let mut text = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
    text.push('\n');
    text
}

/// The exact name our export kept in `$extensions`, if there is one:
/// `Some(None)` for a colour without a name.
fn extension_name(node: &Map<String, Value>) -> Option<Option<String>> {
    match node.get("$extensions")?.get(EXTENSION)?.get("name")? {
        Value::String(name) => Some(Some(name.clone())),
        Value::Null => Some(None),
        _ => None,
    }
}

/// A colour token found in the walk, before aliases are resolved.
struct Found<'a> {
    path: String,
    name: Option<String>,
    value: &'a Value,
}

/// Walks `node` (a group) in file order, collecting colour tokens.
fn walk<'a>(
    node: &'a Map<String, Value>,
    path: &str,
    name_prefix: &str,
    inherited_type: Option<&'a str>,
    found: &mut Vec<Found<'a>>,
) -> Result<(), ImportError> {
    let group_type = node.get("$type").and_then(Value::as_str).or(inherited_type);
    for (key, child) in node {
        if key.starts_with('$') {
            continue;
        }
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let Value::Object(child) = child else {
            return Err(ImportError::token(
                &child_path,
                "Expected a token or a group (a JSON object).",
            ));
        };
        let own_name = if name_prefix.is_empty() {
            key.clone()
        } else {
            format!("{name_prefix}.{key}")
        };
        if let Some(value) = child.get("$value") {
            let token_type = child.get("$type").and_then(Value::as_str).or(group_type);
            let is_color = match token_type {
                Some(kind) => kind == "color",
                // An untyped token is a colour if its value reads as one.
                None => color_value(value).is_ok_and(|c| c.is_some()),
            };
            if is_color {
                let name = extension_name(child).unwrap_or(Some(own_name));
                found.push(Found {
                    path: child_path,
                    name,
                    value,
                });
            }
        } else {
            walk(child, &child_path, &own_name, group_type, found)?;
        }
    }
    Ok(())
}

/// A colour `$value`: `Ok(None)` for an alias (`"{a.b}"`), an error for
/// anything that is not a colour.
fn color_value(value: &Value) -> Result<Option<Rgba>, String> {
    match value {
        Value::String(text) if text.starts_with('{') && text.ends_with('}') => Ok(None),
        Value::String(text) => Rgba::from_hex(text.trim())
            .filter(|_| text.trim().starts_with('#'))
            .map(Some)
            .ok_or_else(|| format!("\"{text}\" is not a hex colour (#rrggbb or #rrggbbaa).")),
        Value::Object(object) => object_color(object).map(Some),
        _ => Err("A colour's $value is an object with colorSpace and components, or a hex string.".to_owned()),
    }
}

/// The object form: sRGB components (or `none`) with optional alpha, or a
/// `hex` fallback for other colour spaces.
fn object_color(object: &Map<String, Value>) -> Result<Rgba, String> {
    let space = object.get("colorSpace").and_then(Value::as_str).unwrap_or_default();
    let alpha = match object.get("alpha") {
        None | Some(Value::Null) => 255,
        Some(value) => unit(value).ok_or("alpha must be a number from 0 to 1.")?,
    };
    if space == "srgb" {
        let components = object
            .get("components")
            .and_then(Value::as_array)
            .filter(|c| c.len() == 3)
            .ok_or("components must be an array of three numbers from 0 to 1 (or \"none\").")?;
        let channel = |i: usize| {
            unit(&components[i]).ok_or(format!(
                "component {} must be a number from 0 to 1 (or \"none\").",
                i + 1
            ))
        };
        return Ok(Rgba {
            r: channel(0)?,
            g: channel(1)?,
            b: channel(2)?,
            a: alpha,
        });
    }
    let hex = object.get("hex").and_then(Value::as_str).and_then(Rgba::from_hex);
    match hex {
        Some(color) => Ok(Rgba { a: alpha, ..color }),
        None => Err(format!(
            "colorSpace \"{space}\" is not read here: give \"srgb\" components, or a \"hex\" fallback."
        )),
    }
}

/// A number from 0 to 1 (or `"none"`, which is 0) as a byte.
fn unit(value: &Value) -> Option<u8> {
    match value {
        Value::String(keyword) if keyword == "none" => Some(0),
        Value::Number(number) => number.as_f64().filter(|v| (0.0..=1.0).contains(v)).map(unit_to_byte),
        _ => None,
    }
}

/// The palette a design tokens file holds.
pub fn import(text: &str) -> Result<PaletteFile, ImportError> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| ImportError::line(e.line(), format!("Not valid JSON: {e}.")))?;
    let Value::Object(root) = root else {
        return Err(ImportError::file(
            "A design tokens file is a JSON object of groups and tokens.",
        ));
    };
    let groups: Vec<(&String, &Map<String, Value>)> = root
        .iter()
        .filter(|(key, _)| !key.starts_with('$'))
        .filter_map(|(key, value)| Some((key, value.as_object()?)))
        .collect();
    let mut palette = PaletteFile::default();
    let mut found = Vec::new();
    match groups.as_slice() {
        [(key, group)] if !group.contains_key("$value") => {
            palette.name = extension_name(group).unwrap_or(Some((*key).clone()));
            palette.description = group.get("$description").and_then(Value::as_str).map(str::to_owned);
            let group_type = root.get("$type").and_then(Value::as_str);
            walk(group, key, "", group_type, &mut found)?;
        }
        _ => walk(&root, "", "", None, &mut found)?,
    }
    let mut all = Vec::new();
    collect_all(&root, "", &mut all);
    for token in found {
        let color = resolve(token.value, &token.path, &all, 0)?;
        palette.swatches.push(Swatch {
            color,
            name: token.name,
        });
    }
    Ok(palette)
}

/// Every token of the file by its path, for aliases.
fn collect_all<'a>(node: &'a Map<String, Value>, path: &str, all: &mut Vec<(String, &'a Value)>) {
    for (key, child) in node {
        let Value::Object(child) = child else { continue };
        if key.starts_with('$') {
            continue;
        }
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match child.get("$value") {
            Some(value) => all.push((child_path, value)),
            None => collect_all(child, &child_path, all),
        }
    }
}

/// The colour of a `$value`, following aliases.
fn resolve(value: &Value, path: &str, all: &[(String, &Value)], depth: usize) -> Result<Rgba, ImportError> {
    match color_value(value).map_err(|message| ImportError::token(path, message))? {
        Some(color) => Ok(color),
        None => {
            let target = value
                .as_str()
                .unwrap_or_default()
                .trim_matches(|c| c == '{' || c == '}');
            if depth >= MAX_ALIAS_DEPTH {
                return Err(ImportError::token(path, "Aliases nest too deep (or loop)."));
            }
            let (_, aliased) = all.iter().find(|(other, _)| other == target).ok_or_else(|| {
                ImportError::token(path, format!("The alias {{{target}}} names no token of this file."))
            })?;
            resolve(aliased, path, all, depth + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sea() -> PaletteFile {
        PaletteFile {
            name: Some("Sea".to_owned()),
            description: Some("Blues".to_owned()),
            swatches: vec![
                Swatch::new(Rgba::rgb(0xaa, 0xbb, 0xcc), Some("Foam")),
                Swatch::new(
                    Rgba {
                        a: 0x80,
                        ..Rgba::rgb(0, 0x77, 0xbe)
                    },
                    None,
                ),
            ],
        }
    }

    #[test]
    fn exports_a_group_of_colour_tokens_in_the_object_form() {
        let value: Value = serde_json::from_str(&export(&sea())).expect("JSON");
        assert_eq!(
            value,
            json!({"Sea": {
                "$description": "Blues",
                "Foam": {"$type": "color", "$value": {
                    "colorSpace": "srgb", "components": [0.6667, 0.7333, 0.8], "alpha": 1.0, "hex": "#aabbcc"}},
                "color-2": {"$type": "color", "$value": {
                    "colorSpace": "srgb", "components": [0.0, 0.4667, 0.7451], "alpha": 0.502, "hex": "#0077be"},
                    "$extensions": {EXTENSION: {"name": null}}},
            }})
        );
        assert_eq!(import(&export(&sea())), Ok(sea()));
    }

    #[test]
    fn names_become_valid_and_unique_and_come_back_exact() {
        let mut odd = sea();
        odd.name = Some("$a.b".to_owned());
        odd.swatches[0].name = Some("{x}".to_owned());
        odd.swatches[1].name = Some("_x_".to_owned());
        let text = export(&odd);
        let value: Value = serde_json::from_str(&text).expect("JSON");
        let group = value["_a_b"].as_object().expect("group");
        assert!(group.contains_key("_x_") && group.contains_key("_x_ 2"), "{text}");
        assert_eq!(import(&text), Ok(odd));
    }

    #[test]
    fn reads_hex_strings_nested_groups_aliases_and_fallbacks() {
        let text = r##"{
          "brand": {"$type": "color",
            "blue": {"$value": "#0000ff"},
            "dark": {"deep": {"$value": {"colorSpace": "display-p3", "components": [0, 0, 0.5], "hex": "#000080"}}},
            "link": {"$value": "{brand.blue}"},
            "space": {"$type": "dimension", "$value": {"value": 4, "unit": "px"}}
          }
        }"##;
        let palette = import(text).expect("parses");
        assert_eq!(palette.name.as_deref(), Some("brand"));
        let got: Vec<_> = palette
            .swatches
            .iter()
            .map(|s| (s.color.hex(), s.name.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            [
                ("#0000ff".to_owned(), "blue".to_owned()),
                ("#000080".to_owned(), "dark.deep".to_owned()),
                ("#0000ff".to_owned(), "link".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_tokens_are_named() {
        let error = import(r#"{"p": {"a": {"$type": "color", "$value": "red"}}}"#).expect_err("not hex");
        assert_eq!(error.location.as_deref(), Some("Token \"p.a\""));
        let error = import("{\n\"p\": [}").expect_err("not JSON");
        assert_eq!(error.location.as_deref(), Some("Line 2"));
        let error = import(r#"{"p": {"a": {"$type": "color", "$value": "{p.b}"}}}"#).expect_err("alias");
        assert!(error.message.contains("{p.b}"), "{error}");
        let looped = r#"{"p": {"$type": "color", "a": {"$value": "{p.b}"}, "b": {"$value": "{p.a}"}}}"#;
        assert!(import(looped).is_err());
        assert!(import(
            r#"{"p": {"a": {"$type": "color", "$value": {"colorSpace": "srgb", "components": [2, 0, 0]}}}}"#
        )
        .is_err());
    }
}
