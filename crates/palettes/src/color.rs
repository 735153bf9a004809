//! Colour parsing and normalisation.
//!
//! Accepted input: `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`, hexadecimal in
//! any case, the `#` optional. The canonical form, which is what is stored and
//! returned, is lowercase `#rrggbb`, or `#rrggbbaa` when the alpha is not `ff`.
//! Nothing else is accepted: no surrounding spaces, no names, no `rgb()`.

use std::fmt;

/// A colour with 8-bit red, green, blue and alpha channels: the exports
/// crate's, which reads the same forms.
pub use exports::Rgba;

/// Why a colour was refused; its message names the value when it is short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorError {
    input: String,
}

/// Values longer than this are not repeated in error messages.
const MAX_ECHOED_CHARS: usize = 16;

impl fmt::Display for ColorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMS: &str = "use #rgb, #rgba, #rrggbb or #rrggbbaa in hexadecimal (the # is optional)";
        if self.input.is_empty() {
            write!(f, "This field may not be blank: {FORMS}.")
        } else if self.input.chars().count() <= MAX_ECHOED_CHARS {
            write!(f, "\"{}\" is not a valid colour: {FORMS}.", self.input)
        } else {
            write!(f, "Not a valid colour: {FORMS}.")
        }
    }
}

impl std::error::Error for ColorError {}

/// Parses any accepted form.
pub fn parse(input: &str) -> Result<Rgba, ColorError> {
    Rgba::from_hex(input).ok_or_else(|| ColorError {
        input: input.to_owned(),
    })
}

/// The canonical form of any accepted colour.
pub fn normalize(input: &str) -> Result<String, ColorError> {
    parse(input).map(Rgba::hex)
}

/// Whether `hex` is already canonical (what the database's check allows, and more).
pub fn is_canonical(hex: &str) -> bool {
    let Some(digits) = hex.strip_prefix('#') else {
        return false;
    };
    let lower_hex = digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    lower_hex && (digits.len() == 6 || (digits.len() == 8 && !digits.ends_with("ff")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise() {
        let table = [
            // #rgb, with and without #, any case
            ("#abc", "#aabbcc"),
            ("#ABC", "#aabbcc"),
            ("aBc", "#aabbcc"),
            ("#000", "#000000"),
            ("fff", "#ffffff"),
            // #rgba; an opaque alpha is dropped
            ("#abcd", "#aabbccdd"),
            ("#ABCF", "#aabbcc"),
            ("0008", "#00000088"),
            ("#f00f", "#ff0000"),
            // #rrggbb
            ("#ff0000", "#ff0000"),
            ("#FF0000", "#ff0000"),
            ("12aB9f", "#12ab9f"),
            // #rrggbbaa
            ("ff000080", "#ff000080"),
            ("#FF0000FF", "#ff0000"),
            ("#ff0000fF", "#ff0000"),
            ("#00000000", "#00000000"),
            ("#123456Fe", "#123456fe"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn other_forms_are_refused() {
        let refused = [
            "",
            "#",
            "##abc",
            "#12",
            "12",
            "#ggg",
            "ggg",
            "12345",
            "#12345",
            "#1234567",
            "1234567",
            "#123456789",
            " #abc",
            "#abc ",
            "# abc",
            "#ab c",
            "+abc",
            "-abc",
            "0x123",
            "#éab",
            "éabc",
            "red",
            "rgb(0,0,0)",
            "#abcdeg",
            "#ABCDEFGH",
            "\u{0}abc",
            "#１２３",
        ];
        for input in refused {
            assert!(parse(input).is_err(), "{input:?} accepted");
        }
    }

    #[test]
    fn messages_name_short_values_only() {
        let short = normalize("#12").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(short.starts_with("\"#12\" is not a valid colour"), "{short}");
        let long = normalize(&"z".repeat(100))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(long.starts_with("Not a valid colour"), "{long}");
        let blank = normalize("").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(blank.starts_with("This field may not be blank"), "{blank}");
    }

    /// The property: a valid input normalises to a canonical form that parses
    /// back to the same colour and normalises to itself.
    fn check_round_trip(input: &str) {
        let rgba = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let canonical = rgba.hex();
        assert!(is_canonical(&canonical), "{input} -> {canonical}");
        assert_eq!(parse(&canonical), Ok(rgba), "{input} -> {canonical}");
        assert_eq!(normalize(&canonical).as_deref(), Ok(canonical.as_str()), "{input}");
        let upper = input.to_ascii_uppercase();
        assert_eq!(normalize(&upper).as_deref(), Ok(canonical.as_str()), "{upper}");
        let bare = input.trim_start_matches('#');
        assert_eq!(normalize(bare).as_deref(), Ok(canonical.as_str()), "{bare}");
    }

    #[test]
    fn every_short_form_round_trips() {
        for n in 0..0x1000_u32 {
            let short = format!("#{n:03x}");
            check_round_trip(&short);
            let rgba = parse(&short).unwrap_or_else(|e| panic!("{e}"));
            // Each short digit doubles: #abc is #aabbcc.
            let long: String = short[1..].chars().flat_map(|c| [c, c]).collect();
            assert_eq!(rgba.hex(), format!("#{long}"));
        }
        for n in 0..0x1_0000_u32 {
            check_round_trip(&format!("#{n:04x}"));
        }
    }

    /// A small xorshift, so the "random" inputs are the same on every run.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn random_long_forms_round_trip() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..50_000 {
            let bits = rng.next();
            let rgb = bits & 0xff_ffff;
            check_round_trip(&format!("#{rgb:06x}"));
            check_round_trip(&format!("{rgb:06X}"));
            let rgba = bits >> 24 & 0xffff_ffff;
            check_round_trip(&format!("#{rgba:08x}"));
            // Alpha ff is always dropped; anything else is kept.
            let canonical = normalize(&format!("{rgba:08x}")).unwrap_or_default();
            assert_eq!(canonical.len(), if rgba & 0xff == 0xff { 7 } else { 9 });
        }
    }

    #[test]
    fn random_strings_never_panic_and_accepted_ones_are_hex() {
        const ALPHABET: &[u8] = b"#0123456789abcdefABCDEFgxyz G\xc3\xa9";
        let mut rng = XorShift(42);
        for _ in 0..50_000 {
            let len = (rng.next() % 11) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
                .collect();
            let input = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(canonical) = normalize(&input) {
                let digits = input.strip_prefix('#').unwrap_or(&input);
                assert!(matches!(digits.len(), 3 | 4 | 6 | 8), "{input:?}");
                assert!(digits.bytes().all(|b| b.is_ascii_hexdigit()), "{input:?}");
                check_round_trip(&input);
                assert!(is_canonical(&canonical));
            }
        }
    }

    #[test]
    fn canonical_check_matches_the_database_rule() {
        assert!(is_canonical("#aabbcc"));
        assert!(is_canonical("#aabbcc80"));
        assert!(!is_canonical("#aabbccff"));
        assert!(!is_canonical("#AABBCC"));
        assert!(!is_canonical("aabbcc"));
        assert!(!is_canonical("#abc"));
    }
}
