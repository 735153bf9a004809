//! Shapes of the file routes (export, import, contrast), the same in both
//! versions: the import's query, what an imported file becomes, and the
//! contrast report.

use exports::{Format, PaletteFile};
use kernel::input::NUL_MESSAGE;
use kernel::FieldErrors;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{
    NewColors, PaletteChanges, MAX_COLORS, MAX_COLOR_NAME_CHARS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};

/// A format of `GET /api/palettes/{id}/export/{format}`.
#[derive(Debug, Serialize, ToSchema)]
pub enum ExportFormat {
    /// CSS custom properties (`text/css`).
    #[serde(rename = "css")]
    Css,
    /// W3C design tokens (`application/design-tokens+json`).
    #[serde(rename = "tokens.json")]
    Tokens,
    /// GIMP palette (`application/x-gimp-palette`).
    #[serde(rename = "gpl")]
    Gpl,
    /// Adobe Swatch Exchange (`application/x-adobe-ase`).
    #[serde(rename = "ase")]
    Ase,
    /// A picture of the palette (`image/svg+xml`).
    #[serde(rename = "svg")]
    Svg,
}

/// A format of `POST /api/palettes/import/`.
#[derive(Debug, Serialize, ToSchema)]
pub enum ImportFormat {
    /// CSS custom properties.
    #[serde(rename = "css")]
    Css,
    /// W3C design tokens.
    #[serde(rename = "tokens.json")]
    Tokens,
    /// GIMP palette.
    #[serde(rename = "gpl")]
    Gpl,
    /// Adobe Swatch Exchange.
    #[serde(rename = "ase")]
    Ase,
}

/// A palette file's content, as the request body of an import or the
/// response of an export.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PaletteFileBody(pub Vec<u8>);

/// A design tokens file: a JSON object of groups and tokens (W3C Design Tokens 2025.10).
#[derive(Debug, ToSchema)]
#[schema(value_type = Object)]
pub struct DesignTokensFile(pub serde_json::Value);

/// The query of an import: `format`, `team_id` and an optional `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    /// The file's format.
    pub format: Format,
    /// The team to create the palette in.
    pub team_id: i64,
    /// The palette's name, instead of the file's.
    pub name: Option<String>,
}

impl ImportRequest {
    /// Reads the query, reporting every problem at once, by parameter.
    pub fn read(query: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let value = |key: &str| query.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let importable = Format::names(&Format::importable_formats());
        let format = match value("format").map(str::trim) {
            None | Some("") => {
                errors.add("format", format!("This parameter is required: one of {importable}."));
                None
            }
            Some(name) => match Format::parse(name) {
                Some(format) if format.importable() => Some(format),
                Some(_) => {
                    errors.add(
                        "format",
                        format!("SVG pictures are exported only: import one of {importable}."),
                    );
                    None
                }
                None => {
                    errors.add("format", format!("Unknown format \"{name}\": use one of {importable}."));
                    None
                }
            },
        };
        let team_id = match value("team_id").map(str::trim) {
            None | Some("") => {
                errors.add("team_id", "This parameter is required: the id of a team I am in.");
                None
            }
            Some(id) => {
                let parsed = id.parse::<i64>().ok();
                if parsed.is_none() {
                    errors.add("team_id", "Enter a whole number: the id of a team.");
                }
                parsed
            }
        };
        let name = value("name").and_then(|name| {
            let name = name.trim();
            let problem = if name.is_empty() {
                Some("This parameter may not be blank: leave it out to use the file's name.".to_owned())
            } else if name.chars().count() > MAX_NAME_CHARS {
                Some(format!(
                    "Ensure this parameter has no more than {MAX_NAME_CHARS} characters."
                ))
            } else if name.contains('\0') {
                Some(NUL_MESSAGE.to_owned())
            } else {
                None
            };
            match problem {
                Some(problem) => {
                    errors.add("name", problem);
                    None
                }
                None => Some(name.to_owned()),
            }
        });
        match (format, team_id) {
            (Some(format), Some(team_id)) if errors.is_empty() => Ok(Self { format, team_id, name }),
            _ => Err(errors),
        }
    }

    /// The palette to create from `file`: names trimmed and cut to the
    /// contract's limits (a blank colour name is none), at most 256 colours,
    /// named by `?name=` or else by the file.
    pub fn changes(&self, file: PaletteFile) -> Result<PaletteChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .clone()
            .or_else(|| file.name.as_deref().and_then(|n| fit(n, MAX_NAME_CHARS)));
        if name.is_none() {
            errors.add(
                "name",
                "The file names no palette: give the palette a name with ?name=.",
            );
        }
        // A file without colours is not one a palette was exported to (an
        // empty palette is made with a `POST`, not a file).
        if file.swatches.is_empty() {
            errors.add(
                "file",
                format!("The file holds no colours: is it a {} file?", self.format.name()),
            );
        }
        if file.swatches.len() > MAX_COLORS {
            errors.add(
                "colors",
                format!(
                    "The file holds {} colours; a palette holds at most {MAX_COLORS}.",
                    file.swatches.len()
                ),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (hexes, names) = file
            .swatches
            .iter()
            .map(|swatch| {
                let name = swatch.name.as_deref().and_then(|n| fit(n, MAX_COLOR_NAME_CHARS));
                (swatch.color.hex(), name)
            })
            .unzip();
        Ok(PaletteChanges {
            name,
            description: Some(
                file.description
                    .as_deref()
                    .and_then(|d| fit(d, MAX_DESCRIPTION_CHARS))
                    .unwrap_or_default(),
            ),
            team_id: Some(self.team_id),
            colors: Some(NewColors {
                hexes,
                names: Some(names),
            }),
        })
    }
}

/// `text` without NULs, trimmed, cut to `max` characters; `None` when blank.
fn fit(text: &str, max: usize) -> Option<String> {
    let clean: String = text.chars().filter(|c| *c != '\0').collect();
    let cut: String = clean.trim().chars().take(max).collect();
    let cut = cut.trim_end();
    (!cut.is_empty()).then(|| cut.to_owned())
}

/// A colour of a contrast pair: its position in the palette and its hex.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContrastColor {
    /// Position in the palette, from 0.
    pub index: usize,
    /// Lowercase `#rrggbb`, or `#rrggbbaa` when not opaque.
    pub hex: String,
}

/// The WCAG 2.2 contrast of one colour as text on another.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContrastPair {
    /// The text colour (over the background where translucent).
    pub foreground: ContrastColor,
    /// The background colour (over white where translucent).
    pub background: ContrastColor,
    /// The contrast ratio, 1 to 21, to two decimals.
    pub ratio: f64,
    /// The ratio is at least 4.5 (AA, normal text); judged on the exact ratio.
    pub aa_normal: bool,
    /// At least 3 (AA, large text).
    pub aa_large: bool,
    /// At least 7 (AAA, normal text).
    pub aaa_normal: bool,
    /// At least 4.5 (AAA, large text).
    pub aaa_large: bool,
}

/// The contrast of every ordered pair of a palette's colours.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContrastReport {
    /// Every pair of two positions, each order once: n × (n − 1) pairs.
    pub pairs: Vec<ContrastPair>,
}

impl ContrastReport {
    /// The report of colours given as canonical hex values, in order.
    pub fn of(hexes: &[String]) -> Self {
        let colors: Vec<exports::Rgba> = hexes
            .iter()
            .map(|hex| exports::Rgba::from_hex(hex).unwrap_or(exports::Rgba::rgb(0, 0, 0)))
            .collect();
        let color = |index: usize| ContrastColor {
            index,
            hex: hexes[index].clone(),
        };
        let mut pairs = Vec::with_capacity(colors.len() * colors.len().saturating_sub(1));
        for (f, foreground) in colors.iter().enumerate() {
            for (b, background) in colors.iter().enumerate() {
                if f == b {
                    continue;
                }
                let contrast = exports::contrast::of(*foreground, *background);
                pairs.push(ContrastPair {
                    foreground: color(f),
                    background: color(b),
                    ratio: contrast.rounded_ratio(),
                    aa_normal: contrast.aa_normal,
                    aa_large: contrast.aa_large,
                    aaa_normal: contrast.aaa_normal,
                    aaa_large: contrast.aaa_large,
                });
            }
        }
        Self { pairs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exports::{Rgba, Swatch};
    use serde_json::json;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn every_query_problem_is_named() {
        let errors =
            ImportRequest::read(&query(&[("format", "svg"), ("team_id", "x"), ("name", " ")])).expect_err("bad");
        let nested = errors.to_nested();
        assert!(nested["format"][0]
            .as_str()
            .is_some_and(|m| m.contains("exported only")));
        assert!(nested["team_id"][0]
            .as_str()
            .is_some_and(|m| m.contains("whole number")));
        assert!(nested["name"][0].as_str().is_some_and(|m| m.contains("blank")));
        let missing = ImportRequest::read(&[]).expect_err("missing").to_nested();
        assert!(missing.get("format").is_some() && missing.get("team_id").is_some());
        let ok = ImportRequest::read(&query(&[("format", "gpl"), ("team_id", "7"), ("name", " Sea ")]));
        assert_eq!(
            ok,
            Ok(ImportRequest {
                format: Format::Gpl,
                team_id: 7,
                name: Some("Sea".to_owned())
            })
        );
    }

    #[test]
    fn imported_names_are_fitted_to_the_limits() {
        let request = ImportRequest {
            format: Format::Css,
            team_id: 1,
            name: None,
        };
        let file = PaletteFile {
            name: Some(format!("  {}  ", "p".repeat(300))),
            description: None,
            swatches: vec![
                Swatch::new(Rgba::rgb(1, 2, 3), Some(&format!(" {} x", "n".repeat(99)))),
                Swatch::new(
                    Rgba {
                        a: 0,
                        ..Rgba::rgb(1, 2, 3)
                    },
                    Some("  \0 "),
                ),
            ],
        };
        let changes = request.changes(file).expect("fits");
        assert_eq!(changes.name.as_deref().map(str::len), Some(255));
        let colors = changes.colors.expect("colours");
        assert_eq!(colors.hexes, ["#010203", "#01020300"]);
        assert_eq!(colors.names, Some(vec![Some("n".repeat(99)), None]));
        let unnamed = request
            .changes(PaletteFile::default())
            .expect_err("no name")
            .to_nested();
        assert_eq!(
            unnamed,
            json!({
                "name": ["The file names no palette: give the palette a name with ?name=."],
                "file": ["The file holds no colours: is it a css file?"],
            })
        );
    }

    #[test]
    fn contrast_covers_every_ordered_pair() {
        let report = ContrastReport::of(&["#000000".to_owned(), "#ffffff".to_owned(), "#777777".to_owned()]);
        assert_eq!(report.pairs.len(), 6);
        let first = serde_json::to_value(&report.pairs[0]).expect("JSON");
        assert_eq!(
            first,
            json!({"foreground": {"index": 0, "hex": "#000000"}, "background": {"index": 1, "hex": "#ffffff"},
                   "ratio": 21.0, "aa_normal": true, "aa_large": true, "aaa_normal": true, "aaa_large": true})
        );
        let grey_on_white = &report.pairs[5];
        assert_eq!((grey_on_white.foreground.index, grey_on_white.background.index), (2, 1));
        assert_eq!(grey_on_white.ratio, 4.48);
        assert!(!grey_on_white.aa_normal && grey_on_white.aa_large);
    }
}
