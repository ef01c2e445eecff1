//! `polyzone tsig generate NAME [--algorithm hmac-sha256]`: a new TSIG key.
//!
//! The secret is as long as the hash output (RFC 8945 §6: shorter secrets
//! weaken the MAC, longer ones add nothing) and comes from the operating
//! system's CSPRNG through `getrandom`; if that fails the command fails
//! rather than fall back to anything weaker. The key is printed twice:
//! as a `[[tsig]]` table for `polyzone.toml`, and as a BIND `key` clause,
//! which `nsupdate -k FILE`, `named.conf` (`include`) and
//! `knsupdate`/`kdig -k FILE` read. Nothing is written to disk here: the
//! caller decides where the secret goes.

use anyhow::{bail, Context};
use base64::Engine;

use crate::server::tsig::{TsigAlgorithm, TsigKey};
use crate::zone::name::Name;

/// A freshly generated key.
pub struct GeneratedKey {
    /// The name as the user wrote it, without a final dot.
    pub name: String,
    pub algorithm: TsigAlgorithm,
    pub secret: Vec<u8>,
}

impl GeneratedKey {
    /// A new random key. The name must be a domain name made of letters,
    /// digits, `-` and `_` (so that it needs no quoting in TOML or BIND).
    pub fn new(name: &str, algorithm: &str) -> anyhow::Result<GeneratedKey> {
        let bare = name.strip_suffix('.').unwrap_or(name);
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if bare.is_empty() || !bare.chars().all(plain) {
            bail!("key name {name:?}: use letters, digits, '-', '_' and dots (e.g. update-key)");
        }
        Name::parse(bare, Some(&Name::root()))
            .with_context(|| format!("key name {name:?} is not a valid domain name"))?;
        let alg = TsigAlgorithm::from_config_str(algorithm).with_context(|| {
            format!(
                "unknown algorithm {algorithm:?}: use hmac-sha256 (default), hmac-sha512, \
                 hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5"
            )
        })?;
        let mut secret = vec![0u8; alg.output_len()];
        getrandom::fill(&mut secret)
            .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
        Ok(GeneratedKey {
            name: bare.to_string(),
            algorithm: alg,
            secret,
        })
    }

    fn secret_b64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.secret)
    }

    /// The `[[tsig]]` table for `polyzone.toml`.
    pub fn polyzone_toml(&self) -> String {
        format!(
            "[[tsig]]\nname = \"{}\"\nalgorithm = \"{}\"\nsecret = \"{}\"\n",
            self.name,
            self.algorithm.config_str(),
            self.secret_b64()
        )
    }

    /// The BIND `key` clause (what `tsig-keygen` prints).
    pub fn bind_key(&self) -> String {
        format!(
            "key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};\n",
            self.name,
            self.algorithm.config_str(),
            self.secret_b64()
        )
    }

    /// The key as the server uses it.
    pub fn to_key(&self) -> anyhow::Result<TsigKey> {
        Ok(TsigKey::from_config(
            &self.name,
            self.algorithm.config_str(),
            &self.secret_b64(),
        )?)
    }
}

/// A new key as text: the polyzone config snippet, then the BIND clause
/// for `nsupdate -k` (each preceded by a `#` comment, which both formats
/// read as a comment).
pub fn generate(name: &str, algorithm: &str) -> anyhow::Result<String> {
    let key = GeneratedKey::new(name, algorithm)?;
    Ok(format!(
        "# polyzone.toml\n{}\n# BIND key clause: save as {}.key for `nsupdate -k {}.key` or include it in named.conf\n{}",
        key.polyzone_toml(),
        key.name,
        key.name,
        key.bind_key()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_both_formats_with_a_full_length_secret() {
        for alg in TsigAlgorithm::ALL {
            let k = GeneratedKey::new("update-key", alg.config_str()).unwrap();
            assert_eq!(k.secret.len(), alg.output_len());
            let table: toml::Table = toml::from_str(&k.polyzone_toml()).unwrap();
            let entry = &table["tsig"].as_array().unwrap()[0];
            assert_eq!(entry["name"].as_str(), Some("update-key"));
            assert_eq!(entry["algorithm"].as_str(), Some(alg.config_str()));
            let b64 = entry["secret"].as_str().unwrap();
            let parsed = TsigKey::from_config("update-key", alg.config_str(), b64).unwrap();
            assert_eq!(parsed, k.to_key().unwrap());
            assert!(k
                .bind_key()
                .contains(&format!("algorithm {};", alg.config_str())));
        }
    }

    #[test]
    fn secrets_differ_and_text_holds_both() {
        let a = generate("k1.example.", "hmac-sha256").unwrap();
        let b = generate("k1.example.", "hmac-sha256").unwrap();
        assert_ne!(a, b);
        assert!(a.contains("[[tsig]]\nname = \"k1.example\"\nalgorithm = \"hmac-sha256\""));
        assert!(a.contains("key \"k1.example\" {\n\talgorithm hmac-sha256;\n\tsecret \""));
    }

    #[test]
    fn refuses_bad_names_and_algorithms() {
        assert!(generate("bad name", "hmac-sha256").is_err());
        assert!(generate("quo\"te", "hmac-sha256").is_err());
        assert!(generate("", "hmac-sha256").is_err());
        assert!(generate("a..b", "hmac-sha256").is_err());
        let e = generate("k", "hmac-sha3").unwrap_err().to_string();
        assert!(e.contains("hmac-sha256"), "{e}");
    }
}
