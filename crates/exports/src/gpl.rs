//! GIMP palettes, as GIMP 2.10 and 3, Inkscape and Krita read them (a tab
//! between the channels and the name):
//!
//! ```text
//! GIMP Palette
//! Name: Sea
//! Columns: 2
//! #
//! 170 187 204 Foam
//!   0 119 190
//! ```
//!
//! The format has no alpha: a translucent colour is written opaque, and a
//! comment line says so, so a reader of the file knows what was lost. A
//! colour without a name is written without one (GIMP shows `Untitled`).
//! Names live on one line: line breaks and tabs in them become spaces.
//! An import takes `Name:` as the palette's name and ignores `Columns:` and
//! other `Key: value` headers before the first colour, and `#` comments.

use crate::names::one_line;
use crate::{ImportError, PaletteFile, Rgba, Swatch};

/// The first line of every GIMP palette.
const MAGIC: &str = "GIMP Palette";

/// Most columns GIMP is asked to show the swatches in.
const MAX_COLUMNS: usize = 16;

/// The palette as a GIMP palette.
pub fn export(palette: &PaletteFile) -> String {
    let columns = palette.swatches.len().clamp(1, MAX_COLUMNS);
    let mut gpl = format!(
        "{MAGIC}\nName: {}\nColumns: {columns}\n#\n",
        one_line(palette.title()).trim()
    );
    for (index, swatch) in palette.swatches.iter().enumerate() {
        if !swatch.color.is_opaque() {
            gpl.push_str(&format!(
                "# Colour {} is {}: written opaque, GIMP palettes have no alpha.\n",
                index + 1,
                swatch.color.hex()
            ));
        }
        let Rgba { r, g, b, .. } = swatch.color;
        gpl.push_str(&format!("{r:3} {g:3} {b:3}"));
        if let Some(name) = &swatch.name {
            gpl.push('\t');
            gpl.push_str(one_line(name).trim());
        }
        gpl.push('\n');
    }
    gpl
}

/// The palette a GIMP palette holds.
pub fn import(text: &str) -> Result<PaletteFile, ImportError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')));
    match lines.next() {
        Some((_, first)) if first.trim() == MAGIC => {}
        _ => {
            return Err(ImportError::line(
                1,
                format!("A GIMP palette starts with the line \"{MAGIC}\"."),
            ))
        }
    }
    let mut palette = PaletteFile::default();
    for (number, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if palette.swatches.is_empty() {
            if let Some(name) = trimmed.strip_prefix("Name:") {
                palette.name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
                continue;
            }
            if let Some((key, _)) = trimmed.split_once(':') {
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphabetic()) {
                    continue;
                }
            }
        }
        palette.swatches.push(color_line(number, trimmed)?);
    }
    Ok(palette)
}

/// `r g b name`: three whole numbers from 0 to 255, then an optional name.
fn color_line(number: usize, line: &str) -> Result<Swatch, ImportError> {
    let invalid = || {
        ImportError::line(
            number,
            "Expected red, green and blue as whole numbers from 0 to 255, then an optional name.",
        )
    };
    let mut rest = line;
    let mut channels = [0u8; 3];
    for channel in &mut channels {
        rest = rest.trim_start();
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        *channel = rest[..end].parse().map_err(|_| invalid())?;
        rest = &rest[end..];
    }
    let name = rest.trim();
    let [r, g, b] = channels;
    Ok(Swatch {
        color: Rgba::rgb(r, g, b),
        name: Some(name.to_owned()).filter(|n| !n.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_gimps_layout_and_says_when_alpha_is_dropped() {
        let palette = PaletteFile {
            name: Some("Sea\nside".to_owned()),
            description: None,
            swatches: vec![
                Swatch::new(Rgba::rgb(170, 187, 204), Some("Foam\tline")),
                Swatch::new(
                    Rgba {
                        a: 0x80,
                        ..Rgba::rgb(0, 119, 190)
                    },
                    None,
                ),
            ],
        };
        assert_eq!(
            export(&palette),
            "GIMP Palette\nName: Sea side\nColumns: 2\n#\n170 187 204\tFoam line\n\
             # Colour 2 is #0077be80: written opaque, GIMP palettes have no alpha.\n  0 119 190\n"
        );
    }

    #[test]
    fn reads_what_gimp_and_krita_write() {
        let gpl = "GIMP Palette\r\nName: Krita set\r\nColumns: 8\r\n#\r\n255   0   0\tRed\r\n  0 255 0 Bright green \r\n0 0 255\r\n";
        let palette = import(gpl).expect("parses");
        assert_eq!(palette.name.as_deref(), Some("Krita set"));
        assert_eq!(
            palette.hex_and_names(),
            [
                ("#ff0000".to_owned(), Some("Red".to_owned())),
                ("#00ff00".to_owned(), Some("Bright green".to_owned())),
                ("#0000ff".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(
            import("Palette\n").expect_err("magic").location.as_deref(),
            Some("Line 1")
        );
        let error = import("GIMP Palette\nName: x\n0 0 0 black\n256 0 0 too red\n").expect_err("range");
        assert_eq!(error.location.as_deref(), Some("Line 4"));
        assert!(import("GIMP Palette\n1 2\n").is_err());
        assert!(import("GIMP Palette\n1.5 2 3\n").is_err());
    }
}
