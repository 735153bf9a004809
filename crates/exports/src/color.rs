//! An 8-bit sRGB colour with alpha, as palettes store it.

use std::fmt;

/// An sRGB colour, 8 bits per channel, with alpha (255 is opaque).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgba {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha: 0 transparent, 255 opaque.
    pub a: u8,
}

impl Rgba {
    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    /// Reads `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa` (the `#` optional, any case).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let digits = hex.strip_prefix('#').unwrap_or(hex);
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let nibble = |i: usize| u8::from_str_radix(&digits[i..=i], 16).ok().map(|v| v * 17);
        let byte = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
        Some(match digits.len() {
            3 => Self::rgb(nibble(0)?, nibble(1)?, nibble(2)?),
            4 => Self {
                a: nibble(3)?,
                ..Self::rgb(nibble(0)?, nibble(1)?, nibble(2)?)
            },
            6 => Self::rgb(byte(0)?, byte(2)?, byte(4)?),
            8 => Self {
                a: byte(6)?,
                ..Self::rgb(byte(0)?, byte(2)?, byte(4)?)
            },
            _ => return None,
        })
    }

    /// Whether it is fully opaque.
    pub fn is_opaque(self) -> bool {
        self.a == 255
    }

    /// Lowercase `#rrggbb`, alpha left out.
    pub fn hex6(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// The canonical form: lowercase `#rrggbb`, or `#rrggbbaa` when not opaque.
    pub fn hex(self) -> String {
        if self.is_opaque() {
            self.hex6()
        } else {
            format!("{}{:02x}", self.hex6(), self.a)
        }
    }

    /// This colour drawn over the opaque colour `background`.
    pub fn over(self, background: Rgba) -> Rgba {
        let alpha = f64::from(self.a) / 255.0;
        let mix = |top: u8, bottom: u8| {
            unit_to_byte(f64::from(top) / 255.0 * alpha + f64::from(bottom) / 255.0 * (1.0 - alpha))
        };
        Rgba::rgb(
            mix(self.r, background.r),
            mix(self.g, background.g),
            mix(self.b, background.b),
        )
    }
}

impl fmt::Display for Rgba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// A channel from 0 to 1 as a byte, rounded; out-of-range values are clamped.
pub fn unit_to_byte(value: f64) -> u8 {
    // The clamp makes the cast exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let byte = (value.clamp(0.0, 1.0) * 255.0).round() as u8;
    byte
}

/// A byte as a channel from 0 to 1.
pub fn byte_to_unit(value: u8) -> f64 {
    f64::from(value) / 255.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_hex_form_and_writes_the_canonical_one() {
        assert_eq!(Rgba::from_hex("#ABC"), Some(Rgba::rgb(0xaa, 0xbb, 0xcc)));
        assert_eq!(Rgba::from_hex("abcd").map(Rgba::hex).as_deref(), Some("#aabbccdd"));
        assert_eq!(Rgba::from_hex("#0077BE").map(Rgba::hex).as_deref(), Some("#0077be"));
        assert_eq!(Rgba::from_hex("#0077beff").map(Rgba::hex).as_deref(), Some("#0077be"));
        assert_eq!(Rgba::from_hex("#0077be80").map(Rgba::hex).as_deref(), Some("#0077be80"));
        for bad in ["", "#", "#12", "#12345", "#1234567", "#gggggg", "#+1234", "#ééé"] {
            assert_eq!(Rgba::from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn half_transparent_black_over_white_is_mid_grey() {
        let black = Rgba {
            a: 128,
            ..Rgba::rgb(0, 0, 0)
        };
        assert_eq!(black.over(Rgba::rgb(255, 255, 255)), Rgba::rgb(127, 127, 127));
        assert_eq!(Rgba::rgb(1, 2, 3).over(Rgba::rgb(255, 255, 255)), Rgba::rgb(1, 2, 3));
    }

    #[test]
    fn units_and_bytes_round_trip() {
        for byte in 0..=255u8 {
            assert_eq!(unit_to_byte(byte_to_unit(byte)), byte);
        }
        assert_eq!(unit_to_byte(1.5), 255);
        assert_eq!(unit_to_byte(-0.5), 0);
    }
}
