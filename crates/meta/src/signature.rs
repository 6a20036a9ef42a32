//! Webhook authenticity and request signing: `X-Hub-Signature-256` checks and `appsecret_proof`.
//! Both are HMAC-SHA256 keyed with the Meta app secret; checks are constant-time over the raw bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// The header Meta signs every webhook delivery with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Why a delivery is refused. Messages name the problem, never the secret or the expected digest.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
    /// An empty key would make every signature forgeable by anyone who guesses it is empty.
    #[error("no app secret is configured, so no signature can be trusted")]
    NoSecret,
}

/// Checks `X-Hub-Signature-256: sha256=<64 hex>` against HMAC-SHA256 of `body` keyed with
/// `app_secret`.
///
/// `body` must be the bytes exactly as received. Meta signs its escaped form (`\u00e9`), so a
/// re-serialised body would not match. The comparison is constant-time (`verify_slice`), so a
/// forger learns nothing from how long a rejection takes.
pub fn verify_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let digest = parse_header(header)?;
    let mut mac = keyed(app_secret);
    mac.update(body);
    mac.verify_slice(&digest).map_err(|_| SignatureError::Mismatch)
}

/// `appsecret_proof` for a Graph call: lowercase hex of HMAC-SHA256(key = app secret,
/// message = access token). Sent with every call so a leaked token alone is not enough.
pub fn appsecret_proof(app_secret: &[u8], access_token: &str) -> String {
    let mut mac = keyed(app_secret);
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Signs a body the way Meta does; for the simulator and tests that send webhooks.
pub fn sign_body(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = keyed(app_secret);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of any length (long keys are hashed, short ones padded), and the
    // `hmac` crate's `new_from_slice` for `Hmac<D>` never returns an error.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn parse_header(header: &str) -> Result<[u8; 32], SignatureError> {
    let (scheme, hex_digest) =
        header.split_once('=').ok_or(SignatureError::Malformed("expected `sha256=<hex digest>`"))?;
    if !scheme.trim().eq_ignore_ascii_case("sha256") {
        return Err(SignatureError::Malformed("the algorithm is not sha256"));
    }
    let hex_digest = hex_digest.trim();
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed("the digest is not 64 hex characters"));
    }
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut digest)
        .map_err(|_| SignatureError::Malformed("the digest is not hexadecimal"))?;
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Meta's documented envelope example, signed with its documented verify-token string as a
    /// stand-in secret; the expected digest was computed with Python's `hmac` module.
    const META_EXAMPLE_BODY: &[u8] = br#"{"entry":[{"time":1520383571,"changes":[{"field":"photos","value":{"verb":"update","object_id":"10211885744794461"}}],"id":"10210299214172187","uid":"10210299214172187"}],"object":"user"}"#;
    const META_EXAMPLE_SECRET: &[u8] = b"meatyhamhock";
    const META_EXAMPLE_SIGNATURE: &str =
        "sha256=574e6c568a1f5c99e928586cea605d0d7c7ae1a0693ffeb464c228f42ad83871";

    #[test]
    fn a_correctly_signed_body_is_accepted() {
        assert_eq!(
            verify_signature(META_EXAMPLE_SECRET, META_EXAMPLE_BODY, Some(META_EXAMPLE_SIGNATURE)),
            Ok(())
        );
    }

    #[test]
    fn uppercase_hex_and_surrounding_whitespace_are_accepted() {
        let upper = format!("  SHA256={} ", META_EXAMPLE_SIGNATURE["sha256=".len()..].to_uppercase());
        assert_eq!(verify_signature(META_EXAMPLE_SECRET, META_EXAMPLE_BODY, Some(&upper)), Ok(()));
    }

    #[test]
    fn one_changed_body_byte_is_a_mismatch() {
        let mut body = META_EXAMPLE_BODY.to_vec();
        body[10] ^= 1;
        assert_eq!(
            verify_signature(META_EXAMPLE_SECRET, &body, Some(META_EXAMPLE_SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_wrong_secret_is_a_mismatch() {
        assert_eq!(
            verify_signature(b"another-secret", META_EXAMPLE_BODY, Some(META_EXAMPLE_SIGNATURE)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_or_blank_header_is_missing() {
        for header in [None, Some(""), Some("   ")] {
            assert_eq!(
                verify_signature(META_EXAMPLE_SECRET, META_EXAMPLE_BODY, header),
                Err(SignatureError::Missing)
            );
        }
    }

    #[test]
    fn malformed_headers_are_told_apart_from_mismatches() {
        let digest = &META_EXAMPLE_SIGNATURE["sha256=".len()..];
        let cases = [
            digest.to_owned(),                    // no scheme
            format!("sha1={digest}"),             // legacy algorithm name
            format!("sha256={}", &digest[..63]),  // one character short
            format!("sha256={}z", &digest[..63]), // not hex
            format!("sha256={digest}00"),         // too long
        ];
        for header in &cases {
            assert!(
                matches!(
                    verify_signature(META_EXAMPLE_SECRET, META_EXAMPLE_BODY, Some(header)),
                    Err(SignatureError::Malformed(_))
                ),
                "{header} should be malformed"
            );
        }
    }

    #[test]
    fn an_empty_app_secret_never_verifies() {
        let signed_with_empty_key = sign_body(b"", META_EXAMPLE_BODY);
        assert_eq!(
            verify_signature(b"", META_EXAMPLE_BODY, Some(&signed_with_empty_key)),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn sign_body_produces_what_verify_signature_accepts() {
        assert_eq!(sign_body(META_EXAMPLE_SECRET, META_EXAMPLE_BODY), META_EXAMPLE_SIGNATURE);
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            sign_body(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn appsecret_proof_is_lowercase_hex_hmac_of_the_token() {
        // Expected value from Python: hmac.new(secret, token, hashlib.sha256).hexdigest().
        assert_eq!(
            appsecret_proof(b"0123456789abcdef0123456789abcdef", "EAAB-not-a-real-token"),
            "451be9868cfd64f48cb6f688088c962777c07fb06158d8829a5511ce35fc872b"
        );
    }

    #[test]
    fn error_messages_never_contain_the_expected_digest() {
        let err = verify_signature(META_EXAMPLE_SECRET, b"{}", Some(META_EXAMPLE_SIGNATURE))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.is_empty());
        assert!(!err.contains("574e6c"));
    }
}
