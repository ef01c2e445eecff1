//! DNSSEC key pairs: generation, signing, and the public forms derived
//! from them (DNSKEY rdata, key tag, DS digest).
//!
//! Three algorithms (RFC 8624 "MUST"/"RECOMMENDED" set): ECDSAP256SHA256
//! (13, the default), ED25519 (15) and RSASHA256 (8, 2048 bits). ring does
//! the signing for all three; RSA keys are generated with the `rsa` crate
//! because ring cannot generate them. Keys are kept as their raw components
//! (the form of BIND's `.private` files, see [`super::keyfile`]) so that
//! keys made by `dnssec-keygen` load the same way as ours.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use sha2::Digest;

/// A DNSSEC signing algorithm (IANA number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Algorithm {
    RsaSha256,
    EcdsaP256Sha256,
    Ed25519,
}

impl Algorithm {
    /// The IANA algorithm number.
    pub fn number(self) -> u8 {
        match self {
            Algorithm::RsaSha256 => 8,
            Algorithm::EcdsaP256Sha256 => 13,
            Algorithm::Ed25519 => 15,
        }
    }
    pub fn from_number(n: u8) -> Option<Algorithm> {
        match n {
            8 => Some(Algorithm::RsaSha256),
            13 => Some(Algorithm::EcdsaP256Sha256),
            15 => Some(Algorithm::Ed25519),
            _ => None,
        }
    }
    /// The mnemonic of RFC 4034 / RFC 8080 (as BIND writes it).
    pub fn mnemonic(self) -> &'static str {
        match self {
            Algorithm::RsaSha256 => "RSASHA256",
            Algorithm::EcdsaP256Sha256 => "ECDSAP256SHA256",
            Algorithm::Ed25519 => "ED25519",
        }
    }
    /// Parses a config spelling (`ecdsap256sha256`, `ed25519`, `rsasha256`).
    pub fn from_name(s: &str) -> Option<Algorithm> {
        [
            Algorithm::RsaSha256,
            Algorithm::EcdsaP256Sha256,
            Algorithm::Ed25519,
        ]
        .into_iter()
        .find(|a| a.mnemonic().eq_ignore_ascii_case(s))
    }
}

/// Why a key could not be made, loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("the key material is not a valid {alg} key: {reason}")]
    Rejected { alg: &'static str, reason: String },
    #[error("signing failed")]
    Sign,
}

/// The private half of a key, as stored (BIND's component form).
#[derive(Clone)]
pub enum PrivateKey {
    /// The 32-byte private scalar and the 64-byte public point (x || y).
    Ecdsa { d: Vec<u8>, public: Vec<u8> },
    /// The 32-byte seed.
    Ed25519 { seed: Vec<u8> },
    /// All CRT components, big-endian without leading zeros.
    Rsa(RsaComponents),
}

/// RSA private key components (the fields of a BIND `.private` file).
#[derive(Clone, Default)]
pub struct RsaComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qinv: Vec<u8>,
}

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A usable key pair: its algorithm, DNSKEY flags, public key in DNSKEY
/// form, and the ring key that signs.
pub struct KeyPair {
    pub algorithm: Algorithm,
    /// DNSKEY flags: 257 for a KSK/CSK (SEP bit), 256 for a ZSK.
    pub flags: u16,
    public: Vec<u8>,
    private: PrivateKey,
    signer: Signer,
    rng: SystemRandom,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.algorithm)
            .field("flags", &self.flags)
            .field("tag", &self.key_tag())
            .finish()
    }
}

fn rejected(alg: Algorithm, e: impl std::fmt::Display) -> KeyError {
    KeyError::Rejected {
        alg: alg.mnemonic(),
        reason: e.to_string(),
    }
}

/// Finds `marker` in `doc` and returns the `len` bytes after it.
fn after_marker<'a>(doc: &'a [u8], marker: &[u8], len: usize) -> Option<&'a [u8]> {
    let at = doc.windows(marker.len()).position(|w| w == marker)?;
    doc.get(at + marker.len()..at + marker.len() + len)
}

/// A random-number source in the shape the `rsa` crate wants.
struct OsRng;

impl rsa::rand_core::TryRng for OsRng {
    type Error = std::io::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        getrandom::u32().map_err(|e| std::io::Error::other(e.to_string()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        getrandom::u64().map_err(|e| std::io::Error::other(e.to_string()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst).map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl rsa::rand_core::TryCryptoRng for OsRng {}

impl KeyPair {
    /// A new random key.
    pub fn generate(algorithm: Algorithm, flags: u16) -> Result<KeyPair, KeyError> {
        let rng = SystemRandom::new();
        let gen = |e: ring::error::Unspecified| KeyError::Generate(e.to_string());
        let private = match algorithm {
            Algorithm::EcdsaP256Sha256 => {
                let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
                let doc = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(gen)?;
                let kp = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), &rng)
                    .map_err(|e| rejected(algorithm, e))?;
                // ring's PKCS#8 holds the RFC 5915 ECPrivateKey: version 1,
                // then the 32-byte scalar as an OCTET STRING.
                let d = after_marker(doc.as_ref(), &[0x02, 0x01, 0x01, 0x04, 0x20], 32)
                    .ok_or_else(|| KeyError::Generate("unexpected PKCS#8 layout".into()))?;
                PrivateKey::Ecdsa {
                    d: d.to_vec(),
                    public: kp.public_key().as_ref()[1..].to_vec(),
                }
            }
            Algorithm::Ed25519 => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(gen)?;
                // RFC 8410: the private key is an OCTET STRING wrapping the
                // 32-byte seed.
                let seed = after_marker(doc.as_ref(), &[0x04, 0x22, 0x04, 0x20], 32)
                    .ok_or_else(|| KeyError::Generate("unexpected PKCS#8 layout".into()))?;
                PrivateKey::Ed25519 {
                    seed: seed.to_vec(),
                }
            }
            Algorithm::RsaSha256 => PrivateKey::Rsa(generate_rsa(2048)?),
        };
        KeyPair::from_private(algorithm, flags, private)
    }

    /// A key from its stored components.
    pub fn from_private(
        algorithm: Algorithm,
        flags: u16,
        private: PrivateKey,
    ) -> Result<KeyPair, KeyError> {
        let rng = SystemRandom::new();
        let (signer, public) = match (&private, algorithm) {
            (PrivateKey::Ecdsa { d, public }, Algorithm::EcdsaP256Sha256) => {
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(public);
                let kp = EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    d,
                    &point,
                    &rng,
                )
                .map_err(|e| rejected(algorithm, e))?;
                (Signer::Ecdsa(kp), public.clone())
            }
            (PrivateKey::Ed25519 { seed }, Algorithm::Ed25519) => {
                let kp = Ed25519KeyPair::from_seed_unchecked(seed)
                    .map_err(|e| rejected(algorithm, e))?;
                let public = kp.public_key().as_ref().to_vec();
                (Signer::Ed25519(kp), public)
            }
            (PrivateKey::Rsa(c), Algorithm::RsaSha256) => {
                let comps = ring::rsa::KeyPairComponents {
                    public_key: ring::rsa::PublicKeyComponents {
                        n: &c.n[..],
                        e: &c.e[..],
                    },
                    d: &c.d[..],
                    p: &c.p[..],
                    q: &c.q[..],
                    dP: &c.dp[..],
                    dQ: &c.dq[..],
                    qInv: &c.qinv[..],
                };
                let kp = RsaKeyPair::from_components(&comps).map_err(|e| rejected(algorithm, e))?;
                (Signer::Rsa(kp), rsa_dnskey_public(&c.e, &c.n))
            }
            _ => return Err(rejected(algorithm, "key material of another algorithm")),
        };
        Ok(KeyPair {
            algorithm,
            flags,
            public,
            private,
            signer,
            rng,
        })
    }

    /// The stored components (for writing the `.private` file).
    pub fn private(&self) -> &PrivateKey {
        &self.private
    }

    /// The public key field of the DNSKEY record.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// True for a key with the SEP bit (a KSK or CSK).
    pub fn is_sep(&self) -> bool {
        self.flags & 1 == 1
    }

    /// DNSKEY rdata (RFC 4034 §2.1): flags, protocol 3, algorithm, key.
    pub fn dnskey_rdata(&self) -> Vec<u8> {
        dnskey_rdata(self.flags, self.algorithm.number(), &self.public)
    }

    /// The key tag (RFC 4034 Appendix B).
    pub fn key_tag(&self) -> u16 {
        key_tag(&self.dnskey_rdata())
    }

    /// Signs `data`; the signature in the form RRSIG wants (RFC 5702,
    /// RFC 6605 r||s, RFC 8080).
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.signer {
            Signer::Ecdsa(kp) => kp
                .sign(&self.rng, data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Signer::Ed25519(kp) => Ok(kp.sign(data).as_ref().to_vec()),
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
        }
    }
}

/// DNSKEY rdata from its fields.
pub fn dnskey_rdata(flags: u16, algorithm: u8, public: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + public.len());
    out.extend_from_slice(&flags.to_be_bytes());
    out.push(3);
    out.push(algorithm);
    out.extend_from_slice(public);
    out
}

/// RFC 3110 §2 public key: exponent length, exponent, modulus.
fn rsa_dnskey_public(e: &[u8], n: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + e.len() + n.len());
    if e.len() < 256 {
        out.push(e.len() as u8);
    } else {
        out.push(0);
        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(e);
    out.extend_from_slice(n);
    out
}

/// The key tag of DNSKEY rdata (RFC 4034 Appendix B; all our algorithms
/// use the checksum, algorithm 1 is not supported).
pub fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, b) in rdata.iter().enumerate() {
        ac += if i & 1 == 1 {
            *b as u32
        } else {
            (*b as u32) << 8
        };
    }
    ac += (ac >> 16) & 0xFFFF;
    (ac & 0xFFFF) as u16
}

/// DS rdata with a SHA-256 digest (RFC 4509) for a DNSKEY at `owner`
/// (lowercase wire form).
pub fn ds_rdata(owner_lower_wire: &[u8], dnskey: &[u8]) -> Vec<u8> {
    let mut h = sha2::Sha256::new();
    h.update(owner_lower_wire);
    h.update(dnskey);
    let digest = h.finalize();
    let mut out = Vec::with_capacity(4 + digest.len());
    out.extend_from_slice(&key_tag(dnskey).to_be_bytes());
    out.push(dnskey.get(3).copied().unwrap_or(0));
    out.push(2); // SHA-256
    out.extend_from_slice(&digest);
    out
}

/// Big-endian bytes of a big integer, without leading zeros.
fn be_trimmed(v: &rsa::BoxedUint) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// A new RSA key of `bits` with exponent 65537, as components.
fn generate_rsa(bits: usize) -> Result<RsaComponents, KeyError> {
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let mut key = rsa::PrivateKey::new(&mut OsRng, bits)
        .map_err(|e| KeyError::Generate(format!("RSA: {e}")))?;
    key.precompute()
        .map_err(|e| KeyError::Generate(format!("RSA: {e}")))?;
    let primes = key.primes();
    let (p, q) = match primes {
        [p, q] => (p.as_ref().clone(), q.as_ref().clone()),
        _ => return Err(KeyError::Generate("RSA: not two primes".into())),
    };
    let missing = || KeyError::Generate("RSA: CRT values missing".into());
    let dp = key.dp().ok_or_else(missing)?.clone();
    let dq = key.dq().ok_or_else(missing)?.clone();
    let qinv = key.crt_coefficient().ok_or_else(missing)?;
    Ok(RsaComponents {
        n: be_trimmed(key.n().as_ref()),
        e: be_trimmed(key.e()),
        d: be_trimmed(key.d()),
        p: be_trimmed(&p),
        q: be_trimmed(&q),
        dp: be_trimmed(&dp),
        dq: be_trimmed(&dq),
        qinv: be_trimmed(&qinv),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(kp: &KeyPair, data: &[u8], sig: &[u8]) -> bool {
        let public: Vec<u8>;
        let (alg, key): (&dyn signature::VerificationAlgorithm, &[u8]) = match kp.algorithm {
            Algorithm::EcdsaP256Sha256 => {
                public = [&[4u8][..], kp.public_key()].concat();
                (&signature::ECDSA_P256_SHA256_FIXED, &public)
            }
            Algorithm::Ed25519 => (&signature::ED25519, kp.public_key()),
            Algorithm::RsaSha256 => {
                let PrivateKey::Rsa(c) = kp.private() else {
                    return false;
                };
                return signature::RsaPublicKeyComponents { n: &c.n, e: &c.e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, data, sig)
                    .is_ok();
            }
        };
        signature::UnparsedPublicKey::new(alg, key)
            .verify(data, sig)
            .is_ok()
    }

    #[test]
    fn generate_sign_reload_each_algorithm() {
        for alg in [
            Algorithm::EcdsaP256Sha256,
            Algorithm::Ed25519,
            Algorithm::RsaSha256,
        ] {
            let kp = KeyPair::generate(alg, 257).unwrap();
            let sig = kp.sign(b"data").unwrap();
            assert!(verify(&kp, b"data", &sig), "{alg:?}");
            assert!(!verify(&kp, b"other", &sig), "{alg:?}");
            let again = KeyPair::from_private(alg, 257, kp.private().clone()).unwrap();
            assert_eq!(again.dnskey_rdata(), kp.dnskey_rdata());
            assert!(verify(&again, b"x", &again.sign(b"x").unwrap()));
        }
    }

    #[test]
    fn key_tag_and_ds_vector() {
        // RFC 4034 §5.4: the DNSKEY of dskey.example.com, key tag 60485.
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD
            .decode(
                "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
            )
            .unwrap();
        let rd = dnskey_rdata(256, 5, &key);
        assert_eq!(key_tag(&rd), 60485);
        // The DS digest is SHA-256 over owner || rdata (RFC 4509 §1).
        let owner = b"\x06dskey\x07example\x03com\x00";
        let ds = ds_rdata(owner, &rd);
        assert_eq!(&ds[..4], &[0xEC, 0x45, 5, 2]);
        let digest = sha2::Sha256::digest([&owner[..], &rd[..]].concat());
        assert_eq!(&ds[4..], &digest[..]);
    }
}
