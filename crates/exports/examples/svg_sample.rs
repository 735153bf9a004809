//! Writes the SVG export of a sample palette (odd names, translucent and
//! unnamed colours, more than one row) to standard output, to look at in a
//! browser: `cargo run -p exports --example svg_sample > sample.svg`.

use exports::{Format, PaletteFile, Rgba, Swatch};

fn main() {
    let swatches = [
        ("#0077be", Some("Sea \"deep\" */ </text>")),
        ("#aabbcc80", Some("أزرق البحر")),
        ("#102030", None),
        ("#ffee99", Some("Sand 🎨")),
        (
            "#ff0000",
            Some("A very long colour name that will not fit on the swatch"),
        ),
        ("#000000", Some("Ink")),
        ("#ffffff", Some("Paper")),
        ("#777777", Some("Grey")),
    ];
    let palette = PaletteFile {
        name: Some("Coast & sea <2026> 👩‍🎨".to_owned()),
        description: None,
        swatches: swatches
            .iter()
            .map(|(hex, name)| Swatch::new(Rgba::from_hex(hex).unwrap_or(Rgba::rgb(0, 0, 0)), *name))
            .collect(),
    };
    print!("{}", String::from_utf8_lossy(&Format::Svg.export(&palette)));
}
