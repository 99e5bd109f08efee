//! Random tokens and receipt numbers.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Letters for receipt numbers: no 0/O, 1/I/L, so they can be read aloud over the phone.
const RECEIPT_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new random token (256 bits, URL-safe), for sessions, drafts and CSRF.
pub fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token as stored: only its SHA-256, so a leaked table cannot be replayed.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new receipt number (受付番号): the date in JST and 8 random characters, e.g. `20261123-7KQ4M9XW`.
pub fn new_receipt_number(now_ms: i64) -> String {
    let date = crate::time::jst(now_ms).format("%Y%m%d");
    let mut rng = rand::thread_rng();
    let code: String = (0..8)
        .map(|_| RECEIPT_ALPHABET[rng.gen_range(0..RECEIPT_ALPHABET.len())] as char)
        .collect();
    format!("{date}-{code}")
}

/// Whether text looks like a receipt number (used to route inbox searches).
pub fn looks_like_receipt(text: &str) -> bool {
    let t = text.trim();
    t.len() == 17 && t.as_bytes()[8] == b'-' && t[..8].bytes().all(|b| b.is_ascii_digit())
}

/// Hex SHA-256 of bytes (attachment integrity).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
