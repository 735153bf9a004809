//! The embedded files and the version that names them.

use std::borrow::Cow;
use std::sync::OnceLock;

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

/// One embedded file.
pub struct Asset {
    /// The file's bytes.
    pub bytes: Cow<'static, [u8]>,
    /// Its strong entity tag (a hash of its bytes).
    pub etag: String,
    /// Its media type.
    pub content_type: &'static str,
}

/// The file at `path` (relative to `assets/`), if there is one.
pub fn get(path: &str) -> Option<Asset> {
    let file = Files::get(path)?;
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    Some(Asset {
        bytes: file.data,
        etag,
        content_type: content_type(path),
    })
}

/// A hash of every file's path and bytes: the assets' version.
pub fn version() -> String {
    fn compute() -> String {
        let mut paths: Vec<_> = Files::iter().collect();
        paths.sort();
        let mut hasher = Sha256::new();
        for path in paths {
            if let Some(file) = Files::get(&path) {
                hasher.update(path.as_bytes());
                hasher.update([0]);
                hasher.update(file.metadata.sha256_hash());
            }
        }
        hex(&hasher.finalize()[..6])
    }
    // A debug build reads the files from disk, where they change.
    if cfg!(debug_assertions) {
        return compute();
    }
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(compute).clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The media type of the kinds of file the console has; anything else is
/// served as bytes, which `nosniff` keeps a browser from running.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_served_as_javascript() {
        // A module script with any other type is refused under `nosniff`.
        assert_eq!(content_type("views/palette.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("console.CSS"), "text/css; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn the_version_names_the_files() {
        assert_eq!(version().len(), 12);
        assert!(get("index.html").is_some(), "the page is embedded");
    }
}
