//! Every format read back by a reader written here from the format's
//! published description (not by this crate's own decoders), and every
//! format's export imported back to the same palette, for odd names and for
//! any palette (property tests).

use exports::{Format, PaletteFile, Rgba, Swatch};
use proptest::prelude::*;
use serde_json::Value;

/// Names that break naive writers: quotes, comment ends, markup, line
/// breaks, right-to-left text, emoji, 255 characters.
fn odd_names() -> Vec<String> {
    vec![
        "Quote \" and 'single'".to_owned(),
        "Ends */ a comment /* and opens one".to_owned(),
        "</text><script>alert(1)</script>".to_owned(),
        "Line\nbreak".to_owned(),
        "أزرق البحر".to_owned(),
        "🎨 Palette 👩‍🎨".to_owned(),
        "x".repeat(255),
        "$dollar.dot{brace}".to_owned(),
        "--already-dashed".to_owned(),
    ]
}

fn odd_palette() -> PaletteFile {
    let names = odd_names();
    PaletteFile {
        name: Some(names.join(" | ").chars().take(255).collect()),
        description: None,
        swatches: names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let byte = u8::try_from(i * 25).expect("small");
                Swatch::new(Rgba::rgb(byte, 255 - byte, byte / 2), Some(name))
            })
            .chain([
                Swatch::new(
                    Rgba {
                        a: 0x40,
                        ..Rgba::rgb(1, 2, 3)
                    },
                    None,
                ),
                Swatch::new(Rgba::rgb(0, 0, 0), Some("Quote \" and 'single'")),
            ])
            .collect(),
    }
}

/// What a format keeps of `palette`: alpha where it has it, names on one
/// line in GIMP palettes, descriptions in design tokens only.
fn kept_by(format: Format, palette: &PaletteFile) -> PaletteFile {
    let one_line = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let mut kept = palette.clone();
    if format != Format::Tokens {
        kept.description = None;
    }
    for swatch in &mut kept.swatches {
        if matches!(format, Format::Gpl | Format::Ase) {
            swatch.color.a = 255;
        }
        if format == Format::Gpl {
            swatch.name = swatch.name.as_deref().map(one_line).filter(|n| !n.is_empty());
        }
    }
    if format == Format::Gpl {
        kept.name = kept.name.as_deref().map(one_line).filter(|n| !n.is_empty());
    }
    kept
}

// --- Independent readers -------------------------------------------------

/// Adobe Swatch Exchange 1.0 as its layout describes it: the group names,
/// and each colour's name, model, values and type.
/// An ASE colour block: name, model, values, type.
type AseColor = (String, String, Vec<f32>, u16);

fn read_ase(bytes: &[u8]) -> (Vec<String>, Vec<AseColor>) {
    let u16_at = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    assert_eq!(&bytes[..4], b"ASEF");
    assert_eq!((u16_at(4), u16_at(6)), (1, 0), "version 1.0");
    let count = u32_at(8) as usize;
    let name_at = |at: usize| -> (String, usize) {
        let units = u16_at(at) as usize;
        let code_units: Vec<u16> = (0..units).map(|i| u16_at(at + 2 + i * 2)).collect();
        assert_eq!(code_units.last(), Some(&0), "names end with NUL, counted in the length");
        (
            String::from_utf16(&code_units[..units - 1]).expect("UTF-16"),
            at + 2 + units * 2,
        )
    };
    let (mut groups, mut colors, mut blocks, mut open) = (Vec::new(), Vec::new(), 0, 0);
    let mut at = 12;
    while at < bytes.len() {
        let (kind, length) = (u16_at(at), u32_at(at + 2) as usize);
        let (start, end) = (at + 6, at + 6 + length);
        blocks += 1;
        match kind {
            0xC001 => {
                let (name, next) = name_at(start);
                assert_eq!(next, end, "a group start holds its name only");
                groups.push(name);
                open += 1;
            }
            0xC002 => {
                assert_eq!(length, 0);
                open -= 1;
            }
            0x0001 => {
                let (name, next) = name_at(start);
                let model = String::from_utf8(bytes[next..next + 4].to_vec()).expect("ASCII model");
                let count = match model.as_str() {
                    "RGB " | "LAB " => 3,
                    "CMYK" => 4,
                    "Gray" => 1,
                    other => panic!("model {other}"),
                };
                let values = (0..count)
                    .map(|i| f32::from_be_bytes(bytes[next + 4 + i * 4..next + 8 + i * 4].try_into().expect("4")))
                    .collect();
                let kind_at = next + 4 + count * 4;
                assert_eq!(kind_at + 2, end, "a colour ends with its type");
                colors.push((name, model, values, u16_at(kind_at)));
            }
            other => panic!("block type {other:#x}"),
        }
        at = end;
    }
    assert_eq!(at, bytes.len());
    assert_eq!(open, 0, "every group ends");
    assert_eq!(blocks, count, "the header counts every block");
    (groups, colors)
}

/// A GIMP palette: its name, and each line's channels and name.
fn read_gpl(text: &str) -> (String, Vec<([u8; 3], String)>) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("GIMP Palette"));
    let name = lines
        .next()
        .and_then(|l| l.strip_prefix("Name: "))
        .expect("Name:")
        .to_owned();
    let columns: u32 = lines
        .next()
        .and_then(|l| l.strip_prefix("Columns: "))
        .expect("Columns:")
        .parse()
        .expect("a number");
    assert!((1..=256).contains(&columns));
    let mut colors = Vec::new();
    for line in lines.filter(|l| !l.starts_with('#')) {
        let mut fields = line.split_whitespace();
        let mut channel = || fields.next().expect("three channels").parse::<u8>().expect("0 to 255");
        let rgb = [channel(), channel(), channel()];
        let name = line.split_once('\t').map_or("", |(_, name)| name);
        colors.push((rgb, name.to_owned()));
    }
    (name, colors)
}

/// The CSS export: the palette name in the opening comment, then one
/// custom property per line with its name, if any, in a comment.
fn read_css(text: &str) -> (String, Vec<(String, String, Option<String>)>) {
    let mut lines = text.lines();
    let opening = lines.next().expect("opening comment");
    let name = opening
        .strip_prefix("/* Palette: ")
        .and_then(|l| l.strip_suffix(" */"))
        .expect("opening comment names the palette");
    let name: String = serde_json::from_str(name).expect("a JSON string");
    assert_eq!(lines.next(), Some(":root {"));
    let mut properties = Vec::new();
    for line in lines.by_ref() {
        if line == "}" {
            break;
        }
        let line = line.strip_prefix("  --").expect("a custom property");
        let (ident, rest) = line.split_once(": ").expect("name: value");
        assert!(
            ident
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii()),
            "{ident:?} is an identifier"
        );
        let (value, comment) = rest.split_once(';').expect("ends with ;");
        let comment = comment.trim();
        let color_name = (!comment.is_empty()).then(|| {
            let json = comment
                .strip_prefix("/* ")
                .and_then(|c| c.strip_suffix(" */"))
                .expect("comment");
            serde_json::from_str::<String>(json).expect("JSON string")
        });
        properties.push((ident.to_owned(), value.to_owned(), color_name));
    }
    assert_eq!(lines.next(), None);
    let mut idents: Vec<&str> = properties.iter().map(|p| p.0.as_str()).collect();
    idents.sort_unstable();
    idents.dedup();
    assert_eq!(idents.len(), properties.len(), "property names are unique");
    (name, properties)
}

/// The design tokens export: one group, colour tokens in the 2025.10 object form.
/// A colour token: name, components, alpha, hex.
type Token = (String, [f64; 3], f64, String);

fn read_tokens(text: &str) -> (String, Vec<Token>) {
    let valid = |name: &str| !name.starts_with('$') && !name.contains(['{', '}', '.']);
    let root: Value = serde_json::from_str(text).expect("JSON");
    let root = root.as_object().expect("an object");
    assert_eq!(root.len(), 1, "one group");
    let (group_name, group) = root.iter().next().expect("group");
    assert!(valid(group_name), "{group_name:?}");
    let mut tokens = Vec::new();
    for (key, token) in group.as_object().expect("group object") {
        if key.starts_with('$') {
            continue;
        }
        assert!(valid(key), "{key:?}");
        assert_eq!(token["$type"], "color");
        let value = &token["$value"];
        assert_eq!(value["colorSpace"], "srgb");
        let components: Vec<f64> = value["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| c.as_f64().expect("number"))
            .collect();
        assert!(components.iter().all(|c| (0.0..=1.0).contains(c)));
        let hex = value["hex"].as_str().expect("hex").to_owned();
        assert!(hex.len() == 7 && hex.starts_with('#') && hex[1..].chars().all(|c| c.is_ascii_hexdigit()));
        let alpha = value["alpha"].as_f64().expect("alpha");
        tokens.push((key.clone(), [components[0], components[1], components[2]], alpha, hex));
    }
    (group_name.clone(), tokens)
}

// --- Readers against the exports ----------------------------------------

#[test]
fn ase_export_is_one_group_of_rgb_colours_with_utf16_names() {
    let palette = odd_palette();
    let (groups, colors) = read_ase(&Format::Ase.export(&palette));
    assert_eq!(groups, [palette.name.clone().expect("name")]);
    assert_eq!(colors.len(), palette.swatches.len());
    for ((name, model, values, kind), swatch) in colors.iter().zip(&palette.swatches) {
        assert_eq!(model, "RGB ");
        assert!(*kind == 0 || *kind == 2, "global or normal");
        let byte = |v: f32| (v * 255.0).round() as u8;
        let c = swatch.color;
        assert_eq!([byte(values[0]), byte(values[1]), byte(values[2])], [c.r, c.g, c.b]);
        assert_eq!(name, swatch.name.as_deref().unwrap_or(&c.hex6()));
    }
    // An emoji is two UTF-16 code units: "🎨" is stored as 3 units with the NUL.
    let emoji = PaletteFile {
        name: Some("🎨".to_owned()),
        ..PaletteFile::default()
    };
    let bytes = Format::Ase.export(&emoji);
    assert_eq!(u16::from_be_bytes([bytes[18], bytes[19]]), 3);
}

#[test]
fn gpl_export_is_what_gimp_reads() {
    let palette = odd_palette();
    let text = String::from_utf8(Format::Gpl.export(&palette)).expect("UTF-8");
    let (name, colors) = read_gpl(&text);
    let kept = kept_by(Format::Gpl, &palette);
    assert_eq!(Some(name), kept.name);
    assert_eq!(colors.len(), kept.swatches.len());
    for ((rgb, name), swatch) in colors.iter().zip(&kept.swatches) {
        assert_eq!(*rgb, [swatch.color.r, swatch.color.g, swatch.color.b]);
        assert_eq!(name, swatch.name.as_deref().unwrap_or(""));
    }
    assert!(text.contains("# Colour 10 is #01020340: written opaque"), "{text}");
}

#[test]
fn css_export_is_custom_properties_with_exact_names_in_comments() {
    let palette = odd_palette();
    let text = String::from_utf8(Format::Css.export(&palette)).expect("UTF-8");
    let (name, properties) = read_css(&text);
    assert_eq!(Some(name), palette.name);
    for ((ident, value, color_name), swatch) in properties.iter().zip(&palette.swatches) {
        assert_eq!(*value, swatch.color.hex());
        assert_eq!(*color_name, swatch.name);
        assert!(!ident.is_empty());
    }
    assert_eq!(properties[9].0, "color-10");
    assert_eq!(properties[10].0, "quote-and-single-2");
}

#[test]
fn tokens_export_is_the_2025_colour_object_form() {
    let palette = odd_palette();
    let text = String::from_utf8(Format::Tokens.export(&palette)).expect("UTF-8");
    let (_, tokens) = read_tokens(&text);
    assert_eq!(tokens.len(), palette.swatches.len());
    for ((_, components, alpha, hex), swatch) in tokens.iter().zip(&palette.swatches) {
        let c = swatch.color;
        let byte = |v: f64| (v * 255.0).round() as u8;
        assert_eq!(
            [byte(components[0]), byte(components[1]), byte(components[2])],
            [c.r, c.g, c.b]
        );
        assert_eq!(byte(*alpha), c.a);
        assert_eq!(*hex, c.hex6());
    }
}

#[test]
fn svg_export_is_well_formed_and_shows_every_colour_and_name() {
    let palette = odd_palette();
    let text = String::from_utf8(Format::Svg.export(&palette)).expect("UTF-8");
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    let texts: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    let titles: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    for swatch in &palette.swatches {
        assert!(texts.contains(&swatch.color.hex().as_str()), "hex of {swatch:?}");
        let label = match &swatch.name {
            Some(name) => format!("{}: {}", name.replace('\n', " "), swatch.color.hex()),
            None => swatch.color.hex(),
        };
        assert!(titles.contains(&label.as_str()), "{label:?} in {titles:?}");
    }
    assert!(texts.contains(&"</text><scrip…"), "{texts:?}");
    let fills: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("stroke").is_some())
        .filter_map(|n| n.attribute("fill"))
        .collect();
    let expected: Vec<String> = palette.swatches.iter().map(|s| s.color.hex6()).collect();
    assert_eq!(fills, expected);
    assert!(!root.descendants().any(|n| n.has_tag_name("script")));
}

#[test]
fn odd_names_survive_every_round_trip() {
    let palette = odd_palette();
    for format in Format::importable_formats() {
        let imported = format.import(&format.export(&palette)).expect("imports");
        assert_eq!(imported, kept_by(format, &palette), "{}", format.name());
    }
}

#[test]
fn a_malformed_file_of_each_format_is_refused() {
    let cases: [(Format, &[u8]); 4] = [
        (Format::Css, b":root {\n  --a: #12345;\n}"),
        (
            Format::Tokens,
            b"{\"p\": {\"a\": {\"$type\": \"color\", \"$value\": 7}}}",
        ),
        (Format::Gpl, b"GIMP Palette\nName: p\n1 2 three\n"),
        (
            Format::Ase,
            b"ASEF\x00\x01\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\xff",
        ),
    ];
    for (format, bytes) in cases {
        let error = format.import(bytes).expect_err(format.name());
        assert!(error.location.is_some(), "{}: {error}", format.name());
    }
    assert!(Format::Svg.import(b"<svg/>").is_err());
}

// --- Property tests ------------------------------------------------------

/// A name as palettes store one: trimmed, not empty, no NUL.
fn stored_name(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..max)
        .prop_map(|chars| {
            chars
                .into_iter()
                .filter(|c| *c != '\0')
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .prop_filter("not blank", |name| !name.is_empty())
}

fn any_palette() -> impl Strategy<Value = PaletteFile> {
    let swatch = (any::<[u8; 4]>(), prop::option::of(stored_name(24))).prop_map(|(c, name)| Swatch {
        color: Rgba {
            r: c[0],
            g: c[1],
            b: c[2],
            a: if c[3] > 200 { 255 } else { c[3] },
        },
        name,
    });
    (
        stored_name(40),
        prop::option::of(stored_name(40)),
        prop::collection::vec(swatch, 0..24),
    )
        .prop_map(|(name, description, swatches)| PaletteFile {
            name: Some(name),
            description,
            swatches,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_palette_exports_to_a_file_that_imports_back_to_it(palette in any_palette()) {
        for format in Format::importable_formats() {
            let imported = format.import(&format.export(&palette));
            prop_assert_eq!(imported, Ok(kept_by(format, &palette)), "{}", format.name());
        }
    }

    #[test]
    fn any_palette_makes_a_well_formed_svg(palette in any_palette()) {
        let svg = String::from_utf8(Format::Svg.export(&palette)).expect("UTF-8");
        prop_assert!(roxmltree::Document::parse(&svg).is_ok(), "{}", svg);
    }

    #[test]
    fn no_input_makes_an_importer_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        for format in Format::ALL {
            let _ = format.import(&bytes);
        }
    }
}

/// An ASE file built by hand from the layout: a loose Gray colour, a group
/// of a CMYK and a LAB colour, a second group of one RGB colour.
fn hand_built_ase() -> Vec<u8> {
    fn name(text: &str) -> Vec<u8> {
        let units: Vec<u16> = text.encode_utf16().chain([0]).collect();
        let mut bytes = (units.len() as u16).to_be_bytes().to_vec();
        units.iter().for_each(|u| bytes.extend(u.to_be_bytes()));
        bytes
    }
    fn block(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut bytes = kind.to_be_bytes().to_vec();
        bytes.extend((body.len() as u32).to_be_bytes());
        bytes.extend(body);
        bytes
    }
    fn color(text: &str, model: &[u8; 4], values: &[f32], kind: u16) -> Vec<u8> {
        let mut body = name(text);
        body.extend(model);
        values.iter().for_each(|v| body.extend(v.to_be_bytes()));
        body.extend(kind.to_be_bytes());
        block(0x0001, &body)
    }
    let blocks = [
        color("Mid grey", b"Gray", &[0.5], 2),
        block(0xC001, &name("Print")),
        color("Process cyan", b"CMYK", &[1.0, 0.0, 0.0, 0.0], 0),
        color("Lab red", b"LAB ", &[0.5429, 80.8, 69.89], 1),
        block(0xC002, &[]),
        block(0xC001, &name("Screen")),
        color("Blue", b"RGB ", &[0.0, 0.0, 1.0], 2),
        block(0xC002, &[]),
    ];
    let mut file = b"ASEF".to_vec();
    file.extend(1u16.to_be_bytes());
    file.extend(0u16.to_be_bytes());
    file.extend((blocks.len() as u32).to_be_bytes());
    blocks.iter().for_each(|b| file.extend(b));
    file
}

#[test]
fn ase_import_reads_loose_colours_several_groups_and_every_colour_model() {
    let palette = Format::Ase.import(&hand_built_ase()).expect("imports");
    // Two groups name no one palette.
    assert_eq!(palette.name, None);
    let got: Vec<(String, String)> = palette
        .swatches
        .iter()
        .map(|s| (s.name.clone().unwrap_or_default(), s.color.hex()))
        .collect();
    assert_eq!(got[0], ("Mid grey".to_owned(), "#808080".to_owned()));
    assert_eq!(got[1], ("Process cyan".to_owned(), "#00ffff".to_owned()));
    assert_eq!(got[3], ("Blue".to_owned(), "#0000ff".to_owned()));
    // L*a*b* (D50) 54.29, 80.8, 69.89 is sRGB red, within rounding.
    let red = palette.swatches[2].color;
    assert_eq!(got[2].0, "Lab red");
    assert!(red.r >= 253 && red.g <= 3 && red.b <= 3, "{red}");
}
