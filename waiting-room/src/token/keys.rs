//! The signing key: an Ed25519 key pair kept as a PKCS#8 PEM file, its public half
//! as a JWKS, and the HMAC key derived from it for local tokens.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::KeyError;

/// The Ed25519 key pair that signs purchase tokens, and the HMAC key derived from it
/// that signs the tokens only Floodgate reads (sessions).
#[derive(Clone)]
pub struct SigningKeys {
    pub(super) kid: String,
    pub(super) public: Vec<u8>,
    pub(super) encoding: EncodingKey,
    pub(super) decoding: DecodingKey,
    pub(super) local_encoding: EncodingKey,
    pub(super) local_decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// A fresh key pair, and its PKCS#8 PEM to keep.
    pub fn generate() -> (Self, String) {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng).expect("system RNG available");
        let pem = pem::encode_config(
            &pem::Pem::new("PRIVATE KEY", der.as_ref()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        (
            Self::from_pkcs8_der(der.as_ref()).expect("ring made it"),
            pem,
        )
    }

    /// Parses a PKCS#8 PEM (`openssl genpkey -algorithm ed25519` makes one).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let block = pem::parse(pem).map_err(|_| KeyError::Format("(inline)".into()))?;
        Self::from_pkcs8_der(block.contents()).ok_or_else(|| KeyError::Format("(inline)".into()))
    }

    /// Loads the PEM at `path`, or, when the file does not exist and `create` is set,
    /// generates a key and writes it there (mode 0600).
    pub fn load_or_create(path: &Path, create: bool) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                Self::from_pem(&pem).map_err(|_| KeyError::Format(path.display().to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let (keys, pem) = Self::generate();
                write_private(path, &pem).map_err(io)?;
                Ok(keys)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Option<Self> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
        let public = pair.public_key().as_ref().to_vec();
        let digest = ring::digest::digest(&ring::digest::SHA256, &public);
        let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]);
        let local = local_key(der);
        Some(Self {
            kid,
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(&public),
            local_encoding: EncodingKey::from_secret(&local),
            local_decoding: DecodingKey::from_secret(&local),
            public,
        })
    }

    /// The key id carried in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(&self.public),
            }]
        })
    }
}

/// The HMAC key for local tokens: HKDF-SHA256 of the private key's PKCS#8 bytes, so
/// every replica sharing the signing key derives the same one, and it reveals nothing
/// about the Ed25519 key.
fn local_key(der: &[u8]) -> [u8; 32] {
    struct Len;
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"floodgate").extract(der);
    let mut key = [0u8; 32];
    prk.expand(&[b"local-token-hs256-v1"], Len)
        .and_then(|okm| okm.fill(&mut key))
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
