//! A picture of the palette, for documentation and chat previews: its name,
//! then one swatch per colour in a grid, each with its hex and name written
//! in black or white, whichever contrasts more with the swatch (WCAG).
//!
//! Every text is escaped for XML, and characters XML cannot hold become
//! spaces, so any name makes a well-formed file. Long names are cut with an
//! ellipsis on the picture; the full ones are in each swatch's `<title>`,
//! which browsers show on hover and screen readers read. Translucent
//! colours are drawn over a light checkerboard, and their text colour is
//! chosen against the colour as it shows over white.

use crate::contrast;
use crate::{PaletteFile, Rgba};

const SWATCH: u32 = 120;
const GAP: u32 = 12;
const PADDING: u32 = 24;
const HEADER: u32 = 56;
const MAX_COLUMNS: u32 = 6;
/// Characters of a name shown on a swatch, and in the heading.
const SWATCH_CHARS: usize = 14;
const HEADING_CHARS: usize = 60;

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
const MONO: &str = "ui-monospace, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace";

/// `text` made safe inside XML text or an attribute: `& < > " '` as
/// entities, characters XML 1.0 cannot hold (control characters, U+FFFE,
/// U+FFFF) as spaces.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => escaped.push(' '),
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// At most `max` characters of `text`, with `…` when cut; a cut never
/// leaves a joiner or variation selector dangling at the end.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max - 1).collect();
    let cut = cut.trim_end_matches(['\u{200d}', '\u{fe0f}', '\u{fe0e}']).trim_end();
    format!("{cut}…")
}

/// The palette as an SVG picture.
pub fn export(palette: &PaletteFile) -> String {
    let count = u32::try_from(palette.swatches.len()).unwrap_or(u32::MAX);
    let columns = count.clamp(1, MAX_COLUMNS);
    let rows = count.div_ceil(MAX_COLUMNS).max(1);
    let width = PADDING * 2 + columns * SWATCH + (columns - 1) * GAP;
    let width = width.max(360);
    let height = PADDING * 2 + HEADER + rows * SWATCH + (rows - 1) * GAP;
    let title = palette.title();
    let mut svg = String::with_capacity(1024 + palette.swatches.len() * 512);
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"palette-title\">\n\
         <title id=\"palette-title\">{}</title>\n",
        escape(title)
    ));
    let translucent = palette.swatches.iter().any(|s| !s.color.is_opaque());
    if translucent {
        svg.push_str(
            "<defs><pattern id=\"checker\" width=\"16\" height=\"16\" patternUnits=\"userSpaceOnUse\">\
             <rect width=\"16\" height=\"16\" fill=\"#ffffff\"/>\
             <rect width=\"8\" height=\"8\" fill=\"#e6e6e6\"/><rect x=\"8\" y=\"8\" width=\"8\" height=\"8\" fill=\"#e6e6e6\"/>\
             </pattern></defs>\n",
        );
    }
    svg.push_str(&format!(
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n\
         <text x=\"{PADDING}\" y=\"{}\" font-family=\"{FONT}\" font-size=\"22\" font-weight=\"600\" fill=\"#1a1a1a\">{}</text>\n",
        PADDING + 26,
        escape(&shorten(title, HEADING_CHARS))
    ));
    if palette.swatches.is_empty() {
        svg.push_str(&format!(
            "<text x=\"{PADDING}\" y=\"{}\" font-family=\"{FONT}\" font-size=\"15\" fill=\"#4d4d4d\">No colours yet</text>\n",
            PADDING + HEADER + 24
        ));
    }
    for (index, swatch) in palette.swatches.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let x = PADDING + (index % MAX_COLUMNS) * (SWATCH + GAP);
        let y = PADDING + HEADER + (index / MAX_COLUMNS) * (SWATCH + GAP);
        let color = swatch.color;
        let shown = color.over(Rgba::rgb(255, 255, 255));
        let ink = contrast::readable_text_on(shown);
        let hex = color.hex();
        let label = match &swatch.name {
            Some(name) => format!("{name}: {hex}"),
            None => hex.clone(),
        };
        // Text that would still overflow (wide letters) is clipped to the swatch.
        svg.push_str(&format!(
            "<g>\n<title>{}</title>\n<clipPath id=\"swatch-{index}\"><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{SWATCH}\"/></clipPath>\n",
            escape(&label),
            SWATCH - 6
        ));
        if !color.is_opaque() {
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{SWATCH}\" height=\"{SWATCH}\" rx=\"8\" fill=\"url(#checker)\"/>\n"
            ));
        }
        let opacity = if color.is_opaque() {
            String::new()
        } else {
            format!(" fill-opacity=\"{:.3}\"", f64::from(color.a) / 255.0)
        };
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{SWATCH}\" height=\"{SWATCH}\" rx=\"8\" fill=\"{}\"{opacity} \
             stroke=\"#000000\" stroke-opacity=\"0.15\"/>\n",
            color.hex6()
        ));
        if let Some(name) = &swatch.name {
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-family=\"{FONT}\" font-size=\"13\" font-weight=\"600\" fill=\"{}\" \
                 clip-path=\"url(#swatch-{index})\">{}</text>\n",
                x + 10,
                y + SWATCH - 32,
                ink.hex6(),
                escape(&shorten(name, SWATCH_CHARS))
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-family=\"{MONO}\" font-size=\"13\" fill=\"{}\">{hex}</text>\n</g>\n",
            x + 10,
            y + SWATCH - 12,
            ink.hex6(),
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Swatch;

    #[test]
    fn every_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>\u{0}\n"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;  "
        );
    }

    #[test]
    fn long_names_are_cut_on_a_whole_character() {
        assert_eq!(shorten("Deep ocean blue at night", 15), "Deep ocean blu…");
        assert_eq!(shorten("Deep ocean blue at night", SWATCH_CHARS), "Deep ocean bl…");
        assert_eq!(shorten("short", 15), "short");
        assert_eq!(shorten("aaaaaaaaaaaaa\u{200d}🎨🎨", 15), "aaaaaaaaaaaaa…");
    }

    #[test]
    fn text_is_white_on_dark_swatches_and_black_on_light_ones() {
        let palette = PaletteFile {
            name: Some("Ink & paper".to_owned()),
            description: None,
            swatches: vec![
                Swatch::new(Rgba::rgb(0, 0, 0x40), Some("Navy")),
                Swatch::new(Rgba::rgb(0xff, 0xee, 0x99), Some("Sand")),
            ],
        };
        let svg = export(&palette);
        assert!(
            svg.contains("fill=\"#ffffff\" clip-path=\"url(#swatch-0)\">Navy</text>"),
            "{svg}"
        );
        assert!(
            svg.contains("fill=\"#000000\" clip-path=\"url(#swatch-1)\">Sand</text>"),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"palette-title\">Ink &amp; paper</title>"));
    }
}
