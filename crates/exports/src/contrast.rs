//! WCAG 2.2 contrast: relative luminance, contrast ratio, and the AA and
//! AAA thresholds for normal and large text.
//!
//! The maths is the `palette` crate's (`Wcag21RelativeContrast`: the exact
//! sRGB transfer function, luminance from the linear channels, ratio
//! `(L1 + 0.05) / (L2 + 0.05)`); WCAG 2.2 did not change it.
//!
//! Passing is decided on the exact ratio, never on the rounded one shown
//! (WCAG: 4.499 does not pass 4.5). A translucent colour counts as it shows:
//! a foreground over its background, a background over white.

use palette::color_difference::Wcag21RelativeContrast;
use palette::Srgb;

use crate::Rgba;

/// AA for normal text, AAA for large text.
pub const AA_NORMAL: f64 = 4.5;
/// AA for large text.
pub const AA_LARGE: f64 = 3.0;
/// AAA for normal text.
pub const AAA_NORMAL: f64 = 7.0;
/// AAA for large text.
pub const AAA_LARGE: f64 = 4.5;

const WHITE: Rgba = Rgba::rgb(255, 255, 255);
const BLACK: Rgba = Rgba::rgb(0, 0, 0);

fn srgb(color: Rgba) -> Srgb<f64> {
    Srgb::new(color.r, color.g, color.b).into_format()
}

/// The WCAG relative luminance of an opaque colour (alpha ignored), 0 to 1.
pub fn relative_luminance(color: Rgba) -> f64 {
    srgb(color).relative_luminance().luma
}

/// The contrast ratio of two opaque colours (alpha ignored), 1 to 21.
pub fn ratio(a: Rgba, b: Rgba) -> f64 {
    srgb(a).relative_contrast(srgb(b))
}

/// The contrast of `foreground` text on `background`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    /// The exact ratio, 1 to 21.
    pub ratio: f64,
    /// At least 4.5.
    pub aa_normal: bool,
    /// At least 3.
    pub aa_large: bool,
    /// At least 7.
    pub aaa_normal: bool,
    /// At least 4.5.
    pub aaa_large: bool,
}

impl Contrast {
    /// The ratio to two decimals, as shown.
    pub fn rounded_ratio(&self) -> f64 {
        (self.ratio * 100.0).round() / 100.0
    }
}

/// The contrast of `foreground` over `background`, each as it shows.
pub fn of(foreground: Rgba, background: Rgba) -> Contrast {
    let background = background.over(WHITE);
    let foreground = foreground.over(background);
    let ratio = ratio(foreground, background);
    Contrast {
        ratio,
        aa_normal: ratio >= AA_NORMAL,
        aa_large: ratio >= AA_LARGE,
        aaa_normal: ratio >= AAA_NORMAL,
        aaa_large: ratio >= AAA_LARGE,
    }
}

/// Black or white, whichever contrasts more with the opaque `background`.
pub fn readable_text_on(background: Rgba) -> Rgba {
    if ratio(BLACK, background) >= ratio(WHITE, background) {
        BLACK
    } else {
        WHITE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Rgba {
        Rgba::from_hex(text).expect("hex")
    }

    #[test]
    fn known_ratios() {
        assert_eq!(of(BLACK, WHITE).rounded_ratio(), 21.0);
        assert_eq!(of(WHITE, WHITE).rounded_ratio(), 1.0);
        // #777777 on white is the classic near miss: 4.48, not AA.
        let grey = of(hex("#777777"), WHITE);
        assert_eq!(grey.rounded_ratio(), 4.48);
        assert!(!grey.aa_normal && grey.aa_large && !grey.aaa_normal && !grey.aaa_large);
        let blue = of(hex("#0000ff"), WHITE);
        assert_eq!(blue.rounded_ratio(), 8.59);
        assert!(blue.aa_normal && blue.aaa_normal);
        assert!((relative_luminance(hex("#808080")) - 0.2158605).abs() < 1e-6);
    }

    #[test]
    fn order_does_not_change_the_ratio_but_alpha_does() {
        let (a, b) = (hex("#336699"), hex("#ffcc00"));
        assert_eq!(of(a, b).ratio, of(b, a).ratio);
        assert!(of(hex("#00000080"), WHITE).ratio < of(BLACK, WHITE).ratio);
    }

    #[test]
    fn text_colour_is_the_one_that_contrasts_more() {
        assert_eq!(readable_text_on(hex("#000040")), WHITE);
        assert_eq!(readable_text_on(hex("#ffee99")), BLACK);
        assert_eq!(readable_text_on(hex("#777777")), BLACK);
    }
}
