//! The signing keys: Ed25519 key pairs kept as PKCS#8 PEM files, their public halves
//! as a JWKS, and the HMAC keys derived from them for local tokens.
//!
//! One key signs; others may be configured verify-only while a rotation is under way.
//! Every token names its key in the `kid` header, and is verified under that key alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::Serialize;

use super::batch::Batcher;
use super::{KeyError, VerifiedTokens};

/// The Ed25519 key pair that signs purchase tokens, and the HMAC key derived from it
/// that signs the tokens only Floodgate reads (sessions); plus, during a rotation, the
/// verify-only keys whose tokens are still accepted. Cheap to clone.
#[derive(Clone)]
pub struct SigningKeys {
    /// The signing key first, then the verify-only ones; `kid`s are distinct.
    pub(super) keys: Arc<[Key]>,
    /// Purchase tokens verified under these keys (see [`VerifiedTokens`]).
    pub(super) verified: Arc<VerifiedTokens>,
    /// The batch checks of purchase tokens' signatures (see [`Batcher`]).
    pub(super) batcher: Arc<Batcher>,
}

/// One key pair and its derived HMAC key.
#[derive(Clone)]
pub(super) struct Key {
    pub(super) kid: String,
    pub(super) public: Vec<u8>,
    pub(super) encoding: EncodingKey,
    /// The public key, decompressed once, for verifying purchase tokens.
    pub(super) verifying: ed25519_dalek::VerifyingKey,
    pub(super) local_encoding: EncodingKey,
    pub(super) local_decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid())
            .field("verify_only", &self.verify_only_kids().collect::<Vec<_>>())
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

    /// These keys, signing as before, and also accepting tokens of every key of
    /// `others` (verify-only). A key already present is not added twice, so the
    /// signing key may sit in the verify-only list too.
    pub fn with_verify_only(self, others: impl IntoIterator<Item = SigningKeys>) -> Self {
        let mut keys: Vec<Key> = self.keys.to_vec();
        for other in others {
            for key in other.keys.iter() {
                if keys.iter().all(|k| k.kid != key.kid) {
                    keys.push(key.clone());
                }
            }
        }
        Self {
            keys: keys.into(),
            verified: Arc::default(),
            batcher: Arc::default(),
        }
    }

    /// Loads verify-only keys: each path is a PEM file, or a directory whose `*.pem`
    /// files are read in name order (hidden entries, like the `..data` links of a
    /// Kubernetes Secret volume, are skipped).
    pub fn load_verify_only(paths: &[PathBuf]) -> Result<Vec<Self>, KeyError> {
        let mut keys = Vec::new();
        for path in paths {
            let io = |source| KeyError::Io {
                path: path.display().to_string(),
                source,
            };
            if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(io)?
                    .map(|entry| entry.map(|e| e.path()))
                    .collect::<Result<_, _>>()
                    .map_err(io)?;
                files.retain(|f| {
                    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    !name.starts_with('.') && name.ends_with(".pem")
                });
                files.sort();
                for file in files {
                    keys.push(Self::load_or_create(&file, false)?);
                }
            } else {
                keys.push(Self::load_or_create(path, false)?);
            }
        }
        Ok(keys)
    }

    fn from_pkcs8_der(der: &[u8]) -> Option<Self> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
        let public = pair.public_key().as_ref().to_vec();
        let digest = ring::digest::digest(&ring::digest::SHA256, &public);
        let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]);
        let local = local_key(der);
        let verifying =
            ed25519_dalek::VerifyingKey::from_bytes(public.as_slice().try_into().ok()?).ok()?;
        let key = Key {
            kid,
            verifying,
            encoding: EncodingKey::from_ed_der(der),
            local_encoding: EncodingKey::from_secret(&local),
            local_decoding: DecodingKey::from_secret(&local),
            public,
        };
        Some(Self {
            keys: Arc::new([key]),
            verified: Arc::default(),
            batcher: Arc::default(),
        })
    }

    /// The signing key.
    pub(super) fn signing(&self) -> &Key {
        &self.keys[0]
    }

    /// The key named `kid`, signing or verify-only.
    pub(super) fn by_kid(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The id of the signing key, carried in the header of every token it signs.
    pub fn kid(&self) -> &str {
        &self.signing().kid
    }

    /// The ids of the verify-only keys.
    pub fn verify_only_kids(&self) -> impl Iterator<Item = &str> {
        self.keys[1..].iter().map(|k| k.kid.as_str())
    }

    /// The public keys as a JSON Web Key Set: the signing key first, then the
    /// verify-only ones, so verifiers elsewhere accept tokens of either during a
    /// rotation.
    pub fn jwk_set(&self) -> Jwks {
        let keys = self
            .keys
            .iter()
            .map(|k| Jwk {
                kty: KeyType::Okp,
                crv: Curve::Ed25519,
                alg: Algorithm::EdDsa,
                use_: KeyUse::Sig,
                kid: k.kid.clone(),
                x: URL_SAFE_NO_PAD.encode(&k.public),
            })
            .collect();
        Jwks { keys }
    }

    /// [`Self::jwk_set`] as JSON.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::to_value(self.jwk_set()).expect("a JWKS serialises")
    }
}

/// A JSON Web Key Set (RFC 7517) of Ed25519 public keys.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (RFC 8037).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    pub kty: KeyType,
    pub crv: Curve,
    pub alg: Algorithm,
    #[serde(rename = "use")]
    pub use_: KeyUse,
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

/// `kty`: an octet key pair.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyType {
    #[serde(rename = "OKP")]
    Okp,
}

/// `crv`.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Curve {
    Ed25519,
}

/// `alg`.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Algorithm {
    #[serde(rename = "EdDSA")]
    EdDsa,
}

/// `use`: signatures.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyUse {
    #[serde(rename = "sig")]
    Sig,
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
