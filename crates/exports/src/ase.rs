//! Adobe Swatch Exchange 1.0, as Illustrator, Photoshop and InDesign write
//! and read it. Big-endian throughout:
//!
//! - header: `ASEF`, version 1.0 (two `u16`), the number of blocks (`u32`),
//!   group starts and ends included;
//! - each block: its type (`u16`: `0xC001` group start, `0xC002` group end,
//!   `0x0001` colour), the length of what follows (`u32`), then
//!   - for a group start: the name;
//!   - for a colour: the name, the colour model (four ASCII bytes: `RGB `,
//!     `CMYK`, `LAB `, `Gray`), its values (`f32`: three, four, three, one),
//!     and its type (`u16`: 0 global, 1 spot, 2 normal);
//!   - for a group end: nothing;
//! - a name is its length in UTF-16 code units, the terminating NUL
//!   included (`u16`; an emoji counts two), then those units (UTF-16BE).
//!
//! The export is one group named after the palette holding one `RGB `
//! colour of type normal per swatch, its values the 8-bit channels over 255
//! (which read back exactly). The format has no alpha: colours are written
//! opaque. A colour without a name is named by its hex, which an import
//! reads back as no name.
//!
//! An import reads loose colours and any number of groups, in file order,
//! converting to sRGB: `RGB ` as is, `Gray` as a grey of that lightness,
//! `CMYK` by the plain formula (no colour profile: printed colours may
//! differ), and `LAB ` as CIE L\*a\*b\* under D50 (Adobe's reference white;
//! L stored from 0 to 1 for 0 to 100, a and b as they are), adapted to
//! sRGB's D65 (Bradford). The palette is named after the file's only group,
//! if it has just one. Blocks of other types are skipped, as Adobe's
//! readers do.

use palette::chromatic_adaptation::AdaptIntoUnclamped;
use palette::white_point::{D50, D65};
use palette::{FromColor, Lab, Srgb, Xyz};

use crate::color::{byte_to_unit, unit_to_byte};
use crate::{ImportError, PaletteFile, Rgba, Swatch};

const MAGIC: &[u8; 4] = b"ASEF";
const GROUP_START: u16 = 0xC001;
const GROUP_END: u16 = 0xC002;
const COLOR: u16 = 0x0001;
/// Colour type "normal" (neither global nor spot).
const NORMAL: u16 = 2;

fn push_name(out: &mut Vec<u8>, name: &str) {
    let units: Vec<u16> = name.encode_utf16().chain(std::iter::once(0)).collect();
    // Names are at most a few hundred characters: the length fits a u16.
    out.extend_from_slice(&u16::try_from(units.len()).unwrap_or(u16::MAX).to_be_bytes());
    for unit in units.iter().take(usize::from(u16::MAX)) {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

fn push_block(out: &mut Vec<u8>, kind: u16, content: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&u32::try_from(content.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(content);
}

/// The palette as an ASE file.
pub fn export(palette: &PaletteFile) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + palette.swatches.len() * 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    let blocks = u32::try_from(palette.swatches.len() + 2).unwrap_or(u32::MAX);
    out.extend_from_slice(&blocks.to_be_bytes());
    let mut content = Vec::new();
    push_name(&mut content, palette.title());
    push_block(&mut out, GROUP_START, &content);
    for swatch in &palette.swatches {
        content.clear();
        let color = swatch.color;
        push_name(&mut content, swatch.name.as_deref().unwrap_or(&color.hex6()));
        content.extend_from_slice(b"RGB ");
        for channel in [color.r, color.g, color.b] {
            // Exact: every 8-bit value over 255 rounds back to itself from an f32.
            #[allow(clippy::cast_possible_truncation)]
            let value = byte_to_unit(channel) as f32;
            content.extend_from_slice(&value.to_be_bytes());
        }
        content.extend_from_slice(&NORMAL.to_be_bytes());
        push_block(&mut out, COLOR, &content);
    }
    push_block(&mut out, GROUP_END, &[]);
    out
}

/// A reader of big-endian values, for the content of one block.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self) -> Option<f32> {
        self.take(4).map(|b| f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A name: its length in UTF-16 units (NUL included), then the units.
    fn name(&mut self) -> Result<String, &'static str> {
        let units = self.u16().ok_or("The name's length is missing.")?;
        let bytes = self
            .take(usize::from(units) * 2)
            .ok_or("The name is longer than its block.")?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        let units = units.strip_suffix(&[0]).unwrap_or(&units);
        String::from_utf16(units).map_err(|_| "The name is not valid UTF-16.")
    }
}

/// The palette an ASE file holds.
pub fn import(bytes: &[u8]) -> Result<PaletteFile, ImportError> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(4) != Some(MAGIC.as_slice()) {
        return Err(ImportError::file(
            "Not an Adobe Swatch Exchange file: it does not start with \"ASEF\".",
        ));
    }
    let (Some(major), Some(_minor), Some(_count)) = (reader.u16(), reader.u16(), reader.u32()) else {
        return Err(ImportError::file("The file ends inside its header."));
    };
    if major != 1 {
        return Err(ImportError::file(format!(
            "This is version {major} of the format; version 1 is read."
        )));
    }
    let mut palette = PaletteFile::default();
    let mut groups = Vec::new();
    let mut depth = 0usize;
    let mut number = 0;
    while reader.at < bytes.len() {
        number += 1;
        let offset = reader.at;
        let fail = |message: &str| ImportError::block(number, offset, message);
        let (Some(kind), Some(length)) = (reader.u16(), reader.u32()) else {
            return Err(fail("The file ends inside this block's type and length."));
        };
        let content = usize::try_from(length)
            .ok()
            .and_then(|length| reader.take(length))
            .ok_or_else(|| fail("The block is longer than what is left of the file."))?;
        let mut block = Reader { bytes: content, at: 0 };
        match kind {
            GROUP_START => {
                groups.push(block.name().map_err(fail)?);
                depth += 1;
            }
            GROUP_END => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| fail("A group ends that never started."))?;
            }
            COLOR => palette.swatches.push(color(&mut block).map_err(|m| fail(&m))?),
            _ => {}
        }
    }
    if depth > 0 {
        return Err(ImportError::file("A group is never closed: the file may be cut short."));
    }
    if let [name] = groups.as_slice() {
        palette.name = Some(name.clone()).filter(|n| !n.trim().is_empty());
    }
    Ok(palette)
}

/// A colour block's content as an sRGB swatch.
fn color(block: &mut Reader<'_>) -> Result<Swatch, String> {
    let name = block.name()?;
    let model = block.take(4).ok_or("The colour model is missing.")?;
    let count = match model {
        b"RGB " | b"LAB " => 3,
        b"CMYK" => 4,
        b"Gray" => 1,
        other => {
            return Err(format!(
                "Unknown colour model \"{}\": RGB, CMYK, LAB and Gray are read.",
                String::from_utf8_lossy(other).trim()
            ))
        }
    };
    let mut values = [0f64; 4];
    for value in values.iter_mut().take(count) {
        let read = block.f32().ok_or("The colour's values are cut short.")?;
        if !read.is_finite() {
            return Err("A colour value is not a number.".to_owned());
        }
        *value = f64::from(read);
    }
    let color = match model {
        b"RGB " => Rgba::rgb(
            unit_to_byte(values[0]),
            unit_to_byte(values[1]),
            unit_to_byte(values[2]),
        ),
        b"Gray" => {
            let grey = unit_to_byte(values[0]);
            Rgba::rgb(grey, grey, grey)
        }
        b"CMYK" => {
            let [c, m, y, k] = values.map(|v| v.clamp(0.0, 1.0));
            let channel = |ink: f64| unit_to_byte((1.0 - ink) * (1.0 - k));
            Rgba::rgb(channel(c), channel(m), channel(y))
        }
        _ => lab_to_srgb(values[0] * 100.0, values[1], values[2]),
    };
    let name = Some(name).filter(|n| !n.is_empty() && *n != color.hex6());
    Ok(Swatch { color, name })
}

/// CIE L\*a\*b\* (D50) as 8-bit sRGB, out-of-gamut colours clamped.
fn lab_to_srgb(l: f64, a: f64, b: f64) -> Rgba {
    let xyz50 = Xyz::from_color(Lab::<D50, f64>::new(l, a, b));
    let xyz65: Xyz<D65, f64> = xyz50.adapt_into_unclamped();
    let rgb: Srgb<u8> = Srgb::<f64>::from_color(xyz65).into_format();
    Rgba::rgb(rgb.red, rgb.green, rgb.blue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_white_black_and_a_red_convert_to_srgb() {
        assert_eq!(lab_to_srgb(100.0, 0.0, 0.0), Rgba::rgb(255, 255, 255));
        assert_eq!(lab_to_srgb(0.0, 0.0, 0.0), Rgba::rgb(0, 0, 0));
        // sRGB red is L*a*b* (D50) 54.29, 80.80, 69.89.
        let red = lab_to_srgb(54.29, 80.8, 69.89);
        assert!(red.r >= 253 && red.g <= 3 && red.b <= 3, "{red}");
    }

    #[test]
    fn an_unnamed_colour_is_named_by_its_hex_and_read_back_unnamed() {
        let palette = PaletteFile {
            name: Some("Sea".to_owned()),
            description: None,
            swatches: vec![Swatch::new(Rgba::rgb(0, 0x77, 0xbe), None)],
        };
        assert_eq!(import(&export(&palette)), Ok(palette));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused_where_they_break() {
        let whole = export(&PaletteFile {
            name: Some("x".to_owned()),
            description: None,
            swatches: vec![Swatch::new(Rgba::rgb(1, 2, 3), Some("a"))],
        });
        let error = import(&whole[..whole.len() - 8]).expect_err("cut");
        assert_eq!(error.location.as_deref(), Some("Block 2 (byte 24)"));
        assert!(import(b"GIMP").is_err());
        assert!(import(b"ASEF\x00\x02\x00\x00\x00\x00\x00\x00").is_err());
    }
}
