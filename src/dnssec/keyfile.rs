//! BIND's key file pair: `K<zone>.+<alg>+<tag>.key` (the DNSKEY record in
//! zone-file form) and `.private` (the components, "Private-key-format:
//! v1.3"), written by `dnssec-keygen` and read by BIND, ldns and Knot
//! tools. Private files are created with mode 0600, never wider.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::keys::{Algorithm, KeyError, KeyPair, PrivateKey, RsaComponents};
use crate::zone::name::Name;

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Key { path: PathBuf, source: KeyError },
}

/// The base name (`K<zone>.+<alg>+<tag>`) of a key's files.
pub fn base_name(zone: &Name, key: &KeyPair) -> String {
    let zone = zone.to_lowercase().to_string();
    format!(
        "K{}+{:03}+{:05}",
        if zone.ends_with('.') {
            zone
        } else {
            format!("{zone}.")
        },
        key.algorithm.number(),
        key.key_tag()
    )
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `YYYYMMDDHHMMSS` of a Unix time (BIND's timing fields).
pub fn timestamp(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let s = t % 86_400;
    let (y, m, d) = crate::zone::serial::civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Writes both files into `dir`; returns the base path (without suffix).
pub fn write(
    dir: &Path,
    zone: &Name,
    key: &KeyPair,
    created: u64,
) -> Result<PathBuf, KeyFileError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let base = dir.join(base_name(zone, key));
    let role = if key.is_sep() {
        "key-signing"
    } else {
        "zone-signing"
    };
    let owner = zone.to_lowercase().to_string();
    let owner = if owner.ends_with('.') {
        owner
    } else {
        format!("{owner}.")
    };
    let public = format!(
        "; This is a {role} key, keyid {}, for {owner}\n; Created: {}\n{owner} IN DNSKEY {} 3 {} {}\n",
        key.key_tag(),
        timestamp(created),
        key.flags,
        key.algorithm.number(),
        B64.encode(key.public_key())
    );
    let key_path = PathBuf::from(format!("{}.key", base.display()));
    std::fs::write(&key_path, public).map_err(io(&key_path))?;
    let mut private = format!(
        "Private-key-format: v1.3\nAlgorithm: {} ({})\n",
        key.algorithm.number(),
        key.algorithm.mnemonic()
    );
    match key.private() {
        PrivateKey::Ecdsa { d, .. } => {
            let _ = writeln!(private, "PrivateKey: {}", B64.encode(d));
        }
        PrivateKey::Ed25519 { seed } => {
            let _ = writeln!(private, "PrivateKey: {}", B64.encode(seed));
        }
        PrivateKey::Rsa(c) => {
            for (label, v) in [
                ("Modulus", &c.n),
                ("PublicExponent", &c.e),
                ("PrivateExponent", &c.d),
                ("Prime1", &c.p),
                ("Prime2", &c.q),
                ("Exponent1", &c.dp),
                ("Exponent2", &c.dq),
                ("Coefficient", &c.qinv),
            ] {
                let _ = writeln!(private, "{label}: {}", B64.encode(v));
            }
        }
    }
    let t = timestamp(created);
    let _ = write!(private, "Created: {t}\nPublish: {t}\nActivate: {t}\n");
    let priv_path = PathBuf::from(format!("{}.private", base.display()));
    write_private(&priv_path, private.as_bytes())?;
    Ok(base)
}

/// Creates (or replaces) a file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io(path))?;
    // An existing file keeps its mode on open: narrow it explicitly.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// The DNSKEY fields of a `.key` file: owner, flags, algorithm, public key.
pub struct PublicKeyFile {
    pub owner: Name,
    pub flags: u16,
    pub algorithm: u8,
    pub public: Vec<u8>,
}

/// Parses a `.key` file: comment lines, then `owner [ttl] [IN] DNSKEY flags 3 alg base64...`.
pub fn parse_public(path: &Path, text: &str) -> Result<PublicKeyFile, KeyFileError> {
    let bad = |message: &str| KeyFileError::Format {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let line = text
        .lines()
        .map(|l| l.split(';').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
        .ok_or_else(|| bad("no DNSKEY record"))?;
    let toks: Vec<&str> = line.split_whitespace().collect();
    let at = toks
        .iter()
        .position(|t| t.eq_ignore_ascii_case("DNSKEY"))
        .ok_or_else(|| bad("no DNSKEY record"))?;
    let owner: Name = toks[0]
        .parse()
        .map_err(|e| bad(&format!("owner `{}`: {e}", toks[0])))?;
    let field = |i: usize| {
        toks.get(at + i)
            .copied()
            .ok_or_else(|| bad("DNSKEY too short"))
    };
    let flags: u16 = field(1)?.parse().map_err(|_| bad("bad flags"))?;
    let algorithm: u8 = field(3)?.parse().map_err(|_| bad("bad algorithm"))?;
    let b64: String = toks[at + 4..].concat();
    let public = B64.decode(b64).map_err(|_| bad("bad base64 public key"))?;
    Ok(PublicKeyFile {
        owner,
        flags,
        algorithm,
        public,
    })
}

/// Reads a key pair from `<base>.key` and `<base>.private` (base may be
/// given with either suffix).
pub fn read(path: &Path) -> Result<(PublicKeyFile, KeyPair), KeyFileError> {
    let s = path.to_string_lossy();
    let base = s
        .strip_suffix(".key")
        .or_else(|| s.strip_suffix(".private"))
        .unwrap_or(&s)
        .to_string();
    let key_path = PathBuf::from(format!("{base}.key"));
    let priv_path = PathBuf::from(format!("{base}.private"));
    let text = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
    let public = parse_public(&key_path, &text)?;
    let text = std::fs::read_to_string(&priv_path).map_err(io(&priv_path))?;
    let bad = |message: String| KeyFileError::Format {
        path: priv_path.clone(),
        message,
    };
    let mut fields = std::collections::HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            fields.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let num: u8 = fields
        .get("Algorithm")
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad("no Algorithm line".into()))?;
    let algorithm =
        Algorithm::from_number(num).ok_or_else(|| bad(format!("unsupported algorithm {num}")))?;
    if num != public.algorithm {
        return Err(bad(format!(
            "algorithm {num} differs from the .key file's {}",
            public.algorithm
        )));
    }
    let get = |k: &str| -> Result<Vec<u8>, KeyFileError> {
        let v = fields.get(k).ok_or_else(|| bad(format!("no {k} line")))?;
        B64.decode(v).map_err(|_| bad(format!("{k}: bad base64")))
    };
    let private = match algorithm {
        Algorithm::EcdsaP256Sha256 => PrivateKey::Ecdsa {
            // Some writers drop leading zero bytes of the scalar.
            d: left_pad(get("PrivateKey")?, 32),
            public: public.public.clone(),
        },
        Algorithm::Ed25519 => PrivateKey::Ed25519 {
            seed: get("PrivateKey")?,
        },
        Algorithm::RsaSha256 => PrivateKey::Rsa(RsaComponents {
            n: get("Modulus")?,
            e: get("PublicExponent")?,
            d: get("PrivateExponent")?,
            p: get("Prime1")?,
            q: get("Prime2")?,
            dp: get("Exponent1")?,
            dq: get("Exponent2")?,
            qinv: get("Coefficient")?,
        }),
    };
    let kp = KeyPair::from_private(algorithm, public.flags, private).map_err(|source| {
        KeyFileError::Key {
            path: priv_path.clone(),
            source,
        }
    })?;
    if kp.public_key() != public.public {
        return Err(bad("the private key does not match the .key file".into()));
    }
    Ok((public, kp))
}

/// `v` with leading zeros up to `len` bytes.
fn left_pad(v: Vec<u8>, len: usize) -> Vec<u8> {
    if v.len() >= len {
        return v;
    }
    let mut out = vec![0u8; len - v.len()];
    out.extend_from_slice(&v);
    out
}

/// Every key pair for `zone` in `dir` (files `K<zone>.+*.key`).
pub fn read_zone_keys(dir: &Path, zone: &Name) -> Result<Vec<KeyPair>, KeyFileError> {
    let prefix = {
        let z = zone.to_lowercase().to_string();
        format!("K{}+", if z.ends_with('.') { z } else { format!("{z}.") })
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .is_some_and(|n| n.starts_with(&prefix.to_lowercase()) && n.ends_with(".key"))
        })
        .collect();
    paths.sort();
    let mut keys = Vec::new();
    for p in paths {
        let (_, kp) = read(&p)?;
        keys.push(kp);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_each_algorithm() {
        let dir = tempfile::tempdir().unwrap();
        let zone: Name = "Example.COM".parse().unwrap();
        for alg in [
            Algorithm::EcdsaP256Sha256,
            Algorithm::Ed25519,
            Algorithm::RsaSha256,
        ] {
            let kp = KeyPair::generate(alg, 256).unwrap();
            let base = write(dir.path(), &zone, &kp, 1_700_000_000).unwrap();
            let priv_path = PathBuf::from(format!("{}.private", base.display()));
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&priv_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let (pubf, back) = read(&priv_path).unwrap();
            assert_eq!(pubf.flags, 256);
            assert_eq!(back.dnskey_rdata(), kp.dnskey_rdata());
            assert!(base
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("Kexample.com.+"));
        }
        assert_eq!(read_zone_keys(dir.path(), &zone).unwrap().len(), 3);
        assert_eq!(timestamp(0), "19700101000000");
    }
}
