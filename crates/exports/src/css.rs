//! CSS custom properties: one per colour in `:root`, after an opening
//! comment that names the palette.
//!
//! ```css
//! /* Palette: "Sea" */
//! :root {
//!   --foam: #aabbcc; /* "Foam" */
//!   --color-2: #0077be80;
//! }
//! ```
//!
//! Property names come from the colour names, made into identifiers (ASCII
//! letters lowercased, runs of anything but letters, digits, `-` and `_`
//! made one `-`) and unique; an unnamed colour is `--color-<position>`.
//! The exact names ride along in comments as JSON strings whose `/` is
//! written `\/`, so no name can close its comment, and an import gets them
//! back unchanged.
//!
//! An import reads every custom property of the file (in any rule) as a
//! colour: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()` or `rgba()`; a
//! custom property with another value is an error on its line, since
//! nothing is dropped without a word. A colour is named by the JSON-string
//! comment that follows it on its line; without one, by its property name
//! without `--`, except in a file of ours (whose opening comment names the
//! palette as a JSON string), where it has no name. The palette is named by
//! an opening comment `Palette: "<name>"` (or `Palette: <name>`).

use crate::color::unit_to_byte;
use crate::names::UniqueNames;
use crate::{ImportError, PaletteFile, Rgba, Swatch};

/// The label of the opening comment that names the palette.
const PALETTE_LABEL: &str = "Palette:";

/// `text` as a JSON string that cannot end a CSS comment.
fn comment_string(text: &str) -> String {
    serde_json::Value::from(text).to_string().replace('/', "\\/")
}

/// A custom property name (without `--`) made from a colour name; empty
/// when nothing of it is usable.
fn identifier(name: &str) -> String {
    let mut ident = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            ident.extend(c.to_lowercase());
        } else if !ident.ends_with('-') {
            ident.push('-');
        }
    }
    ident.trim_matches('-').to_owned()
}

/// The palette as a style sheet.
pub fn export(palette: &PaletteFile) -> String {
    let mut css = format!("/* {PALETTE_LABEL} {} */\n:root {{\n", comment_string(palette.title()));
    let mut names = UniqueNames::new("-");
    for (index, swatch) in palette.swatches.iter().enumerate() {
        let wanted = swatch.name.as_deref().map(identifier).unwrap_or_default();
        let wanted = if wanted.is_empty() {
            format!("color-{}", index + 1)
        } else {
            wanted
        };
        let property = names.claim(&wanted);
        css.push_str(&format!("  --{property}: {};", swatch.color.hex()));
        if let Some(name) = &swatch.name {
            css.push_str(&format!(" /* {} */", comment_string(name)));
        }
        css.push('\n');
    }
    css.push_str("}\n");
    css
}

/// A piece of a style sheet, with the line it starts on.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Comment(&'a str),
    /// Text between `{`, `;` and `}`: a selector or a declaration.
    Text(&'a str),
    /// `;`, `{` or `}`.
    Punct(char),
}

/// Splits a style sheet into comments, text and punctuation, skipping
/// strings whole (a `;` in a string ends nothing).
fn pieces(css: &str) -> Result<Vec<(usize, Piece<'_>)>, ImportError> {
    let mut pieces = Vec::new();
    let bytes = css.as_bytes();
    let mut line = 1;
    let mut start = 0;
    let mut start_line = 1;
    let mut i = 0;
    fn flush<'a>(pieces: &mut Vec<(usize, Piece<'a>)>, text: &'a str, at: usize) {
        if !text.trim().is_empty() {
            pieces.push((at, Piece::Text(text)));
        }
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                flush(&mut pieces, &css[start..i], start_line);
                let end = css[i + 2..]
                    .find("*/")
                    .ok_or_else(|| ImportError::line(line, "This comment is never closed (no \"*/\")."))?;
                let body = &css[i + 2..i + 2 + end];
                pieces.push((line, Piece::Comment(body)));
                line += body.matches('\n').count();
                i += end + 4;
                start = i;
                start_line = line;
                continue;
            }
            quote @ (b'"' | b'\'') => {
                let opened = line;
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'\n' => return Err(ImportError::line(opened, "This string is not closed on its line.")),
                        _ => {}
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(ImportError::line(opened, "This string is never closed."));
                }
            }
            punct @ (b'{' | b'}' | b';') => {
                flush(&mut pieces, &css[start..i], start_line);
                pieces.push((line, Piece::Punct(char::from(punct))));
                start = i + 1;
                start_line = line;
            }
            _ => {}
        }
        if start == i && bytes[i].is_ascii_whitespace() {
            // Text starts at its first visible character, for its line number.
            start = i + 1;
            start_line = line;
        }
        i += 1;
    }
    flush(&mut pieces, &css[start..], start_line);
    Ok(pieces)
}

/// The text of a comment that names something: a JSON string, or for the
/// palette's opening comment plain text too.
fn comment_name(body: &str) -> Option<String> {
    serde_json::from_str::<String>(body.trim()).ok()
}

/// The palette a style sheet holds.
pub fn import(css: &str) -> Result<PaletteFile, ImportError> {
    let pieces = pieces(css)?;
    let mut palette = PaletteFile::default();
    // Our exports name the palette with a JSON string: there, a colour without a name comment has no name.
    let mut ours = false;
    if let Some((_, Piece::Comment(body))) = pieces.first() {
        if let Some(label) = body.trim().strip_prefix(PALETTE_LABEL) {
            let label = label.trim();
            let exact = comment_name(label);
            ours = exact.is_some();
            palette.name = exact.or_else(|| Some(label.to_owned()).filter(|l| !l.is_empty()));
        }
    }
    let mut depth = 0usize;
    let mut index = 0;
    while index < pieces.len() {
        let (line, piece) = &pieces[index];
        index += 1;
        match piece {
            Piece::Punct('{') => depth += 1,
            Piece::Punct('}') => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| ImportError::line(*line, "This \"}\" closes no block."))?;
            }
            Piece::Text(text) if depth > 0 => {
                let Some((property, value)) = text.trim().split_once(':') else {
                    continue;
                };
                let Some(ident) = property.trim().strip_prefix("--") else {
                    continue;
                };
                let color = parse_color(value.trim()).ok_or_else(|| {
                    ImportError::line(
                        *line,
                        format!(
                            "--{ident} is \"{}\", not a colour: use #rgb, #rgba, #rrggbb, #rrggbbaa, rgb() or rgba().",
                            value.trim()
                        ),
                    )
                })?;
                // A JSON-string comment after the `;`, on the same line, names the colour.
                let mut name = None;
                if let Some((_, Piece::Punct(';'))) = pieces.get(index) {
                    if let Some((comment_line, Piece::Comment(body))) = pieces.get(index + 1) {
                        if *comment_line == pieces[index].0 {
                            name = comment_name(body);
                        }
                    }
                }
                let name = name.or_else(|| (!ours).then(|| ident.trim().to_owned()));
                palette.swatches.push(Swatch { color, name });
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(ImportError::file("A \"{\" block is never closed."));
    }
    Ok(palette)
}

/// A CSS colour value: hex, `rgb()` or `rgba()` (numbers or percentages,
/// commas or spaces, alpha after `/` or a fourth comma).
fn parse_color(value: &str) -> Option<Rgba> {
    let value = value.trim_end_matches("!important").trim();
    if let Some(hex) = value.strip_prefix('#') {
        return Rgba::from_hex(hex);
    }
    let lower = value.to_ascii_lowercase();
    let inner = lower
        .strip_prefix("rgba(")
        .or_else(|| lower.strip_prefix("rgb("))?
        .strip_suffix(')')?;
    let (channels, alpha) = match inner.split_once('/') {
        Some((channels, alpha)) => (channels, Some(alpha.trim())),
        None => (inner, None),
    };
    let parts: Vec<&str> = channels
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let (channels, alpha) = match (parts.as_slice(), alpha) {
        ([r, g, b], alpha) => ([*r, *g, *b], alpha),
        ([r, g, b, a], None) => ([*r, *g, *b], Some(*a)),
        _ => return None,
    };
    let channel = |text: &str| -> Option<u8> {
        match text.strip_suffix('%') {
            Some(percent) => Some(unit_to_byte(percent.parse::<f64>().ok()? / 100.0)),
            None => Some(unit_to_byte(text.parse::<f64>().ok()? / 255.0)),
        }
    };
    let alpha = match alpha {
        None => 255,
        Some(text) => match text.strip_suffix('%') {
            Some(percent) => unit_to_byte(percent.parse::<f64>().ok()? / 100.0),
            None => unit_to_byte(text.parse::<f64>().ok()?),
        },
    };
    Some(Rgba {
        r: channel(channels[0])?,
        g: channel(channels[1])?,
        b: channel(channels[2])?,
        a: alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn palette(name: &str, swatches: &[(&str, Option<&str>)]) -> PaletteFile {
        PaletteFile {
            name: Some(name.to_owned()),
            description: None,
            swatches: swatches
                .iter()
                .map(|(hex, name)| Swatch::new(Rgba::from_hex(hex).expect("hex"), *name))
                .collect(),
        }
    }

    #[test]
    fn exports_properties_named_from_colours_with_the_names_in_comments() {
        let sea = palette(
            "Sea",
            &[
                ("#aabbcc", Some("Foam")),
                ("#0077be80", None),
                ("#000", Some("Ink blue!")),
            ],
        );
        assert_eq!(
            export(&sea),
            "/* Palette: \"Sea\" */\n:root {\n  --foam: #aabbcc; /* \"Foam\" */\n  --color-2: #0077be80;\n  \
             --ink-blue: #000000; /* \"Ink blue!\" */\n}\n"
        );
    }

    #[test]
    fn names_cannot_close_their_comment_and_properties_stay_unique() {
        let odd = palette(
            "*/ body { display: none } /*",
            &[("#fff", Some("a */ b")), ("#000", Some("A  */ B"))],
        );
        let css = export(&odd);
        assert_eq!(css.matches("*/").count(), 3, "{css}");
        assert!(
            css.contains("--a-b: #ffffff;") && css.contains("--a-b-2: #000000;"),
            "{css}"
        );
        assert_eq!(import(&css), Ok(odd));
    }

    #[test]
    fn reads_foreign_style_sheets() {
        let css =
            "/* brand */\n.dark, :root {\n  --Brand-Blue: #00F;\n  color: red;\n  --accent: rgb(255 0 0 / 50%);\n}\n\
                   a { --b: rgba(0, 128, 255, 0.25) !important; }";
        let imported = import(css).expect("parses");
        assert_eq!(imported.name, None);
        assert_eq!(
            imported.hex_and_names(),
            [
                ("#0000ff".to_owned(), Some("Brand-Blue".to_owned())),
                ("#ff000080".to_owned(), Some("accent".to_owned())),
                ("#0080ff40".to_owned(), Some("b".to_owned())),
            ]
        );
    }

    #[test]
    fn a_custom_property_that_is_not_a_colour_is_refused_on_its_line() {
        let error = import(":root {\n  --ok: #fff;\n\n  --space: 4px;\n}").expect_err("not a colour");
        assert_eq!(error.location.as_deref(), Some("Line 4"));
        assert!(error.message.contains("--space"), "{error}");
        assert_eq!(
            import("/* x */\n:root {\n /* open")
                .expect_err("open comment")
                .location
                .as_deref(),
            Some("Line 3")
        );
        assert!(import(":root { --a: #fff;").is_err());
        assert!(import("}").is_err());
    }

    #[test]
    fn the_palette_name_may_be_plain_text_in_the_opening_comment() {
        assert_eq!(
            import("/* Palette: Sea blues */").expect("parses").name.as_deref(),
            Some("Sea blues")
        );
    }
}
