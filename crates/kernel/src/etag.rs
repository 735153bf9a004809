//! Entity tags: a small stable hash of what a client sees.

/// 64-bit FNV-1a: small, stable across builds and platforms (unlike
/// `DefaultHasher`), which is what an `ETag` needs; not a defence against
/// deliberate collisions, which an `ETag` does not need.
pub struct Fnv64(u64);

impl Fnv64 {
    /// The hash of nothing.
    pub fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    /// Adds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Adds an integer.
    pub fn write_i64(&mut self, value: i64) {
        self.write(&value.to_le_bytes());
    }

    /// Adds a string, length first, so that `("ab", "c")` and `("a", "bc")` differ.
    pub fn write_str(&mut self, value: &str) {
        self.write_i64(i64::try_from(value.len()).unwrap_or(i64::MAX));
        self.write(value.as_bytes());
    }

    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}
