//! The `Content-Disposition` of a download, made safe from a palette's name.

/// Longest file name stem we send, in characters.
const MAX_STEM_CHARS: usize = 100;

/// `attachment` with an ASCII `filename` (quotes, slashes, control and
/// non-ASCII characters replaced by `_`) and an RFC 8187 `filename*` (the
/// name in UTF-8, percent-encoded), for a palette called `name` exported with
/// `extension`. Nothing in `name` can end the parameter or the header.
pub fn content_disposition(name: &str, extension: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let stem = stem.trim().trim_matches('.').trim();
    let stem = if stem.is_empty() { "palette" } else { stem };
    let ascii: String = stem
        .chars()
        .map(|c| match c {
            ' ' | '-' | '.' | '(' | ')' | '+' | ',' | '!' | '&' | '\'' => c,
            c if c.is_ascii_alphanumeric() || c == '_' => c,
            _ => '_',
        })
        .collect();
    let encoded = percent_encode(&format!("{stem}.{extension}"));
    format!("attachment; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{encoded}")
}

/// RFC 8187 `value-chars`: `attr-char`s as they are, every other byte as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(
            content_disposition("Sea blue", "css"),
            "attachment; filename=\"Sea blue.css\"; filename*=UTF-8''Sea%20blue.css"
        );
    }

    #[test]
    fn quotes_slashes_controls_and_non_ascii_cannot_escape_the_header() {
        let header = content_disposition("a\"b/c\\d\r\nSet-Cookie: x=1; é🎨", "gpl");
        assert_eq!(
            header,
            "attachment; filename=\"a_b_c_d__Set-Cookie_ x_1_ __.gpl\"; \
             filename*=UTF-8''a%22b_c_d__Set-Cookie%3A%20x%3D1%3B%20%C3%A9%F0%9F%8E%A8.gpl"
        );
        assert!(header.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
    }

    #[test]
    fn names_of_dots_or_spaces_get_a_stem_and_long_names_are_cut() {
        assert!(content_disposition("..", "svg").starts_with("attachment; filename=\"palette.svg\""));
        let long = content_disposition(&"x".repeat(255), "ase");
        assert!(long.contains(&format!("filename=\"{}.ase\"", "x".repeat(100))));
    }
}
