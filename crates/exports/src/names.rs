//! Names made unique within a file, for formats whose names are keys.

use std::collections::HashSet;

/// Hands out names unique within one file, ignoring case: the second
/// `blue` becomes `blue-2`, and so on.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
    separator: &'static str,
}

impl UniqueNames {
    /// Names whose duplicates get `separator` and a number.
    pub fn new(separator: &'static str) -> Self {
        Self {
            taken: HashSet::new(),
            separator,
        }
    }

    /// `wanted`, or `wanted` with the first number that makes it unique.
    pub fn claim(&mut self, wanted: &str) -> String {
        let mut candidate = wanted.to_owned();
        let mut number = 2;
        while !self.taken.insert(candidate.to_lowercase()) {
            candidate = format!("{wanted}{}{number}", self.separator);
            number += 1;
        }
        candidate
    }
}

/// `text` with line breaks, tabs and other control characters as spaces,
/// for formats whose names live on one line.
pub fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_get_the_next_free_number_ignoring_case() {
        let mut names = UniqueNames::new("-");
        assert_eq!(names.claim("blue"), "blue");
        assert_eq!(names.claim("Blue"), "Blue-2");
        assert_eq!(names.claim("blue-2"), "blue-2-2");
        assert_eq!(names.claim("blue"), "blue-3");
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(one_line("a\nb\tc\r\u{7}"), "a b c  ");
    }
}
