//! Palettes as the files that designers' tools and builds read, and back;
//! and the WCAG contrast of their colours.
//!
//! Everything here is a pure function from a [`PaletteFile`] to bytes or
//! from bytes to one: no database, no HTTP, so each format is tested on its
//! own. The palettes crate serves them over HTTP.
//!
//! | format | export | import | colour names | alpha |
//! | --- | --- | --- | --- | --- |
//! | [`css`] | custom properties in `:root` | yes | kept (a comment beside each property) | kept |
//! | [`tokens`] | W3C Design Tokens 2025.10 | yes (also the older hex strings) | kept | kept |
//! | [`gpl`] | GIMP palette | yes | kept | dropped (the format has none; the file says so) |
//! | [`ase`] | Adobe Swatch Exchange 1.0 | yes (RGB, CMYK, LAB, Gray) | kept | dropped (the format has none) |
//! | [`svg`] | a picture of the palette | no | shown | shown |
//!
//! Exporting and importing back gives the same palette: its name, its
//! colours in order and their names, with alpha where the format has it
//! (the property tests in `tests/` hold the formats to it). GIMP palettes
//! are lines of text, so line breaks and tabs in names become spaces there.
//!
//! Colour maths (WCAG luminance, CIE Lab to sRGB) comes from the `palette`
//! crate: well kept, exact about the sRGB transfer function and white
//! points, and small without its default features.

#![warn(missing_docs)]
pub mod ase;
pub mod color;
pub mod contrast;
pub mod css;
pub mod error;
pub mod filename;
pub mod gpl;
mod names;
pub mod svg;
pub mod tokens;

pub use color::Rgba;
pub use error::ImportError;

/// One colour of a palette, with its optional name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swatch {
    /// The colour.
    pub color: Rgba,
    /// Its name, if it has one.
    pub name: Option<String>,
}

impl Swatch {
    /// A colour with a name.
    pub fn new(color: Rgba, name: Option<&str>) -> Self {
        Self {
            color,
            name: name.map(str::to_owned),
        }
    }
}

/// A palette as files hold it: a name, a description, colours in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaletteFile {
    /// The palette's name; an imported file may name none.
    pub name: Option<String>,
    /// A description, where the format has one (design tokens).
    pub description: Option<String>,
    /// The colours, in order.
    pub swatches: Vec<Swatch>,
}

impl PaletteFile {
    /// Each colour's canonical hex and name, in order: what a palette is
    /// compared by.
    pub fn hex_and_names(&self) -> Vec<(String, Option<String>)> {
        self.swatches.iter().map(|s| (s.color.hex(), s.name.clone())).collect()
    }

    /// The name to write into a file: the palette's, or `Palette`.
    fn title(&self) -> &str {
        self.name.as_deref().unwrap_or("Palette")
    }
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CSS custom properties.
    Css,
    /// W3C design tokens (JSON).
    Tokens,
    /// GIMP palette.
    Gpl,
    /// Adobe Swatch Exchange.
    Ase,
    /// An SVG picture (export only).
    Svg,
}

impl Format {
    /// Every format, in the order the API lists them.
    pub const ALL: [Format; 5] = [Self::Css, Self::Tokens, Self::Gpl, Self::Ase, Self::Svg];

    /// The format a path segment or query value names (`css`, `tokens.json`, ...).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.name() == name)
    }

    /// Its name in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Css => "css",
            Self::Tokens => "tokens.json",
            Self::Gpl => "gpl",
            Self::Ase => "ase",
            Self::Svg => "svg",
        }
    }

    /// The names of every format, comma-separated, for messages.
    pub fn names(formats: &[Format]) -> String {
        formats.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
    }

    /// The media type of its files.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Css => "text/css; charset=utf-8",
            Self::Tokens => "application/design-tokens+json",
            Self::Gpl => "application/x-gimp-palette",
            Self::Ase => "application/x-adobe-ase",
            Self::Svg => "image/svg+xml",
        }
    }

    /// The file name extension, without the dot: the format's name
    /// (`tokens.json` as the design tokens format recommends).
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// Whether files of this format can be imported.
    pub fn importable(self) -> bool {
        self != Self::Svg
    }

    /// The formats that can be imported.
    pub fn importable_formats() -> Vec<Format> {
        Self::ALL.into_iter().filter(|f| f.importable()).collect()
    }

    /// `palette` as a file of this format.
    pub fn export(self, palette: &PaletteFile) -> Vec<u8> {
        match self {
            Self::Css => css::export(palette).into_bytes(),
            Self::Tokens => tokens::export(palette).into_bytes(),
            Self::Gpl => gpl::export(palette).into_bytes(),
            Self::Ase => ase::export(palette),
            Self::Svg => svg::export(palette).into_bytes(),
        }
    }

    /// The palette a file of this format holds; SVG is not read.
    pub fn import(self, bytes: &[u8]) -> Result<PaletteFile, ImportError> {
        match self {
            Self::Css => css::import(text(bytes)?),
            Self::Tokens => tokens::import(text(bytes)?),
            Self::Gpl => gpl::import(text(bytes)?),
            Self::Ase => ase::import(bytes),
            Self::Svg => Err(ImportError::file("SVG pictures are not imported.")),
        }
    }
}

/// A text file's content: UTF-8, without a byte order mark.
fn text(bytes: &[u8]) -> Result<&str, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        ImportError::line(line, "The file is not UTF-8 text.")
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_their_url_names() {
        for format in Format::ALL {
            assert_eq!(Format::parse(format.name()), Some(format));
        }
        assert_eq!(Format::parse("json"), None);
        assert_eq!(Format::names(&Format::ALL), "css, tokens.json, gpl, ase, svg");
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_line() {
        let error = text(b"GIMP Palette\n\xff\n").expect_err("not UTF-8");
        assert_eq!(error.to_string(), "Line 2: The file is not UTF-8 text.");
        assert_eq!(text("\u{feff}abc".as_bytes()).ok(), Some("abc"));
    }
}
