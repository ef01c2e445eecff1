//! RFC 2136 DNS UPDATE to any primary (BIND, Knot, PowerDNS...), signed
//! with TSIG (RFC 8945): the zone is read by AXFR (RFC 5936) and each batch
//! of RRset changes is one UPDATE message, which the server applies
//! atomically. A changed RRset is deleted and re-added in the same message
//! (deletes first, so a name may switch to CNAME). REFUSED/NOTAUTH answers
//! stop the target like a 401 would; SERVFAIL and silence are retried.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::common::{required_secret, with_common};
use super::{
    parse_values, BoxFuture, Capabilities, Change, Provider, ProviderError, ReadResult, TxtStyle,
    COMMON_TYPES,
};
use crate::rdata::RType;
use crate::server::tsig::{sign_request, verify_response, StreamStep, TsigKey, TsigStreamVerifier};
use crate::sync::target::TargetConfig;
use crate::zone::name::Name;

/// What a primary takes beyond [`COMMON_TYPES`].
const EXTRA_TYPES: &[RType] = &[
    RType::LOC,
    RType::URI,
    RType::DNAME,
    RType::HINFO,
    RType::RP,
    RType::SVCB,
    RType::HTTPS,
    RType::CERT,
    RType::OPENPGPKEY,
    RType::SMIMEA,
    RType::CDS,
    RType::CDNSKEY,
];
const TYPES: &[RType] = &with_common::<{ COMMON_TYPES.len() + EXTRA_TYPES.len() }>(EXTRA_TYPES);

/// A primary that takes UPDATEs.
pub struct Rfc2136 {
    server: SocketAddr,
    key: Option<TsigKey>,
    timeout: Duration,
    caps: Capabilities,
    requests: AtomicU64,
}

impl Rfc2136 {
    pub fn new(t: &TargetConfig) -> Result<Rfc2136, ProviderError> {
        let server = t.server.ok_or_else(|| {
            ProviderError::Config(format!(
                "target {}: an rfc2136 target needs server = \"addr:port\"",
                t.name
            ))
        })?;
        let key = match &t.tsig_key {
            Some(name) => {
                let secret = required_secret(
                    t,
                    "TSIG secret",
                    "tsig_key needs api_key_env or api_key_file (the base64 secret)",
                )?;
                Some(
                    TsigKey::from_config(name, &t.tsig_algorithm, &secret)
                        .map_err(|e| ProviderError::Config(format!("target {}: {e}", t.name)))?,
                )
            }
            None => None,
        };
        Ok(Rfc2136 {
            server,
            key,
            timeout: t.timeout,
            caps: Capabilities {
                ttl_min: 0,
                ttl_max: i32::MAX as u32,
                types: TYPES,
                apex_ns: true,
                atomic_batch: true,
                max_batch: 200,
                // Whether the primary signs is its business; our signatures
                // would not match its keys.
                signs_itself: true,
                txt: TxtStyle::Quoted,
            },
            requests: AtomicU64::new(0),
        })
    }

    fn id() -> u16 {
        let mut b = [0u8; 2];
        let _ = getrandom::fill(&mut b);
        u16::from_be_bytes(b)
    }

    /// Signs `msg` if a key is configured; returns the request MAC.
    fn sign(&self, msg: &mut Vec<u8>) -> Result<Option<Vec<u8>>, ProviderError> {
        match &self.key {
            Some(k) => sign_request(msg, k, crate::commit::now())
                .map(Some)
                .map_err(|e| ProviderError::Invalid(format!("TSIG: {e}"))),
            None => Ok(None),
        }
    }

    async fn connect(&self) -> Result<TcpStream, ProviderError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::timeout(self.timeout, TcpStream::connect(self.server))
            .await
            .map_err(|_| ProviderError::Transport(format!("{}: connect timed out", self.server)))?
            .map_err(|e| {
                ProviderError::Transport(format!("cannot connect to {}: {e}", self.server))
            })
    }

    async fn read_msg(&self, s: &mut TcpStream) -> Result<Vec<u8>, ProviderError> {
        let work = async {
            let len = s.read_u16().await? as usize;
            let mut m = vec![0u8; len];
            s.read_exact(&mut m).await?;
            Ok::<_, std::io::Error>(m)
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| ProviderError::Transport(format!("{}: no answer in time", self.server)))?
            .map_err(|e| ProviderError::Transport(format!("{}: {e}", self.server)))
    }

    async fn write_msg(&self, s: &mut TcpStream, msg: &[u8]) -> Result<(), ProviderError> {
        let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(msg);
        s.write_all(&framed)
            .await
            .map_err(|e| ProviderError::Transport(format!("{}: {e}", self.server)))
    }

    async fn axfr(&self, zone: &Name) -> Result<ReadResult, ProviderError> {
        let mut q = Vec::with_capacity(64);
        q.extend_from_slice(&Self::id().to_be_bytes());
        q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        q.extend_from_slice(zone.as_wire());
        q.extend_from_slice(&252u16.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes());
        let mac = self.sign(&mut q)?;
        let mut s = self.connect().await?;
        self.write_msg(&mut s, &q).await?;
        let mut verifier = match (&self.key, &mac) {
            (Some(k), Some(m)) => Some(TsigStreamVerifier::new(k, m)),
            _ => None,
        };
        let mut records = Vec::new();
        let mut soas = 0;
        while soas < 2 {
            let msg = self.read_msg(&mut s).await?;
            if let Some(v) = verifier.as_mut() {
                match v.verify(&msg, crate::commit::now()) {
                    Ok(StreamStep::Signed | StreamStep::Unsigned) => {}
                    Err(e) => {
                        return Err(ProviderError::Auth {
                            status: 0,
                            message: format!("AXFR TSIG: {e}"),
                        })
                    }
                }
            }
            let a = crate::sync::dnsq::parse(&msg)
                .ok_or_else(|| ProviderError::Invalid("malformed AXFR message".into()))?;
            match a.rcode {
                0 => {}
                5 | 9 => {
                    return Err(ProviderError::Auth {
                        status: a.rcode as u16,
                        message: format!("AXFR of {zone} refused (rcode {})", a.rcode),
                    })
                }
                r => return Err(ProviderError::Invalid(format!("AXFR of {zone}: rcode {r}"))),
            }
            if a.records.is_empty() {
                return Err(ProviderError::Invalid("empty AXFR message".into()));
            }
            for r in a.records {
                if r.rtype == RType::SOA {
                    soas += 1;
                    if soas == 2 {
                        break;
                    }
                }
                records.push(r);
            }
        }
        if let Some(v) = &verifier {
            v.finish().map_err(|e| ProviderError::Auth {
                status: 0,
                message: format!("AXFR TSIG: {e}"),
            })?;
        }
        // Group into RRsets (the text round trip keeps one parsing path).
        let mut grouped: std::collections::BTreeMap<(Name, RType), (u32, Vec<String>)> =
            Default::default();
        for r in records {
            let text = crate::rdata::to_text(r.rtype, &r.rdata)
                .map_err(|e| ProviderError::Invalid(e.to_string()))?;
            grouped
                .entry((r.owner.clone(), r.rtype))
                .or_insert_with(|| (r.ttl, vec![]))
                .1
                .push(text);
        }
        let mut out = ReadResult::default();
        for ((name, rtype), (ttl, values)) in grouped {
            parse_values(zone, &name, rtype, ttl, &values, &mut out);
        }
        Ok(out)
    }

    async fn update(&self, zone: &Name, changes: &[Change]) -> Result<(), ProviderError> {
        let mut m = Vec::with_capacity(512);
        m.extend_from_slice(&Self::id().to_be_bytes());
        m.extend_from_slice(&0x2800u16.to_be_bytes()); // opcode UPDATE
        let mut count: u16 = 0;
        let mut body = Vec::new();
        // Deletes (whole RRsets) first, then the new content.
        for c in changes {
            body.extend_from_slice(c.key.name.as_wire());
            body.extend_from_slice(&c.key.rtype.0.to_be_bytes());
            body.extend_from_slice(&255u16.to_be_bytes()); // class ANY: delete the RRset
            body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            count += 1;
        }
        for c in changes {
            let Some(d) = &c.new else { continue };
            for rd in &d.rdatas {
                let len = u16::try_from(rd.len())
                    .map_err(|_| ProviderError::Invalid(format!("{}: rdata too long", c.key)))?;
                body.extend_from_slice(c.key.name.as_wire());
                body.extend_from_slice(&c.key.rtype.0.to_be_bytes());
                body.extend_from_slice(&1u16.to_be_bytes());
                body.extend_from_slice(&d.ttl.to_be_bytes());
                body.extend_from_slice(&len.to_be_bytes());
                body.extend_from_slice(rd);
                count = count.checked_add(1).ok_or_else(|| {
                    ProviderError::Invalid("too many records for one UPDATE".into())
                })?;
            }
        }
        m.extend_from_slice(&1u16.to_be_bytes()); // ZOCOUNT
        m.extend_from_slice(&0u16.to_be_bytes()); // PRCOUNT
        m.extend_from_slice(&count.to_be_bytes()); // UPCOUNT
        m.extend_from_slice(&0u16.to_be_bytes()); // ADCOUNT
        m.extend_from_slice(zone.as_wire());
        m.extend_from_slice(&RType::SOA.0.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&body);
        if m.len() > 65_000 {
            return Err(ProviderError::Invalid(
                "UPDATE message over 64 KiB: lower the batch".into(),
            ));
        }
        let mac = self.sign(&mut m)?;
        let mut s = self.connect().await?;
        self.write_msg(&mut s, &m).await?;
        let resp = self.read_msg(&mut s).await?;
        if resp.len() < 12 || resp[..2] != m[..2] {
            return Err(ProviderError::Invalid(
                "UPDATE answer does not match".into(),
            ));
        }
        let rcode = resp[3] & 0x0F;
        if let (Some(k), Some(mac)) = (&self.key, &mac) {
            if let Err(e) = verify_response(&resp, k, mac, crate::commit::now()) {
                return Err(ProviderError::Auth {
                    status: rcode as u16,
                    message: format!("UPDATE answer TSIG: {e}"),
                });
            }
        }
        match rcode {
            0 => Ok(()),
            5 | 9 => Err(ProviderError::Auth {
                status: rcode as u16,
                message: format!(
                    "UPDATE of {zone} refused (rcode {})",
                    if rcode == 5 { "REFUSED" } else { "NOTAUTH" }
                ),
            }),
            2 => Err(ProviderError::Transport(format!(
                "UPDATE of {zone}: SERVFAIL"
            ))),
            r => Err(ProviderError::Invalid(format!(
                "UPDATE of {zone}: rcode {r}"
            ))),
        }
    }
}

impl Provider for Rfc2136 {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn list_zones(&self) -> BoxFuture<'_, Result<Vec<Name>, ProviderError>> {
        Box::pin(async { Err(ProviderError::Config("DNS UPDATE has no zone list".into())) })
    }

    fn read<'a>(&'a self, zone: &'a Name) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(self.axfr(zone))
    }

    fn apply<'a>(
        &'a self,
        zone: &'a Name,
        changes: &'a [Change],
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(self.update(zone, changes))
    }
}
