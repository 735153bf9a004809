//! Why a file cannot be imported, and where.

use std::fmt;

/// A file that does not read as its format: where (a line, a block, a
/// token) and what is wrong, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// Where in the file: `Line 3`, `Block 2 (byte 40)`, `Token "sea.blue"`; `None` for the whole file.
    pub location: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    /// A problem with the file as a whole.
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            location: None,
            message: message.into(),
        }
    }

    /// A problem on line `line` (1-based) of a text file.
    pub fn line(line: usize, message: impl Into<String>) -> Self {
        Self {
            location: Some(format!("Line {line}")),
            message: message.into(),
        }
    }

    /// A problem in block `block` (1-based) of a binary file, which starts at byte `offset`.
    pub fn block(block: usize, offset: usize, message: impl Into<String>) -> Self {
        Self {
            location: Some(format!("Block {block} (byte {offset})")),
            message: message.into(),
        }
    }

    /// A problem at `path` (a token or group, dot-separated) of a JSON file.
    pub fn token(path: &str, message: impl Into<String>) -> Self {
        Self {
            location: Some(format!("Token \"{path}\"")),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(location) => write!(f, "{location}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
