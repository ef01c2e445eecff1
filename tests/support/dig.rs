//! dig and kdig, run against a test server, their text output parsed into
//! one shape ([`Reply`]) so a test can assert on rcode, flags and exact
//! sections with either tool.

use crate::common::Server;

#[derive(Clone, Copy, Debug)]
pub enum Tool {
    Dig,
    Kdig,
}

/// Both clients: BIND's and Knot's parsers disagree on enough corner cases
/// (EDNS handling, truncation, retries) that each one catches different bugs.
pub const TOOLS: [Tool; 2] = [Tool::Dig, Tool::Kdig];

/// One resource record as printed by dig/kdig (class is always IN here).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rr {
    pub owner: String,
    pub ttl: u32,
    pub rtype: String,
    pub rdata: String,
}

impl Rr {
    /// Parses `owner ttl [IN] TYPE rdata...`; whitespace inside rdata is
    /// collapsed, and hex blobs (DS digests) are joined, because dig and kdig
    /// split long digests at different places.
    pub fn parse(line: &str) -> Option<Rr> {
        let mut t = line.split_whitespace();
        let owner = t.next()?.to_string();
        let ttl = t.next()?.parse().ok()?;
        let mut rtype = t.next()?.to_string();
        if rtype == "IN" {
            rtype = t.next()?.to_string();
        }
        let rest: Vec<&str> = t.collect();
        let rdata = if rtype == "DS" && rest.len() > 3 {
            format!(
                "{} {}",
                rest[..3].join(" "),
                rest[3..].concat().to_uppercase()
            )
        } else {
            rest.join(" ")
        };
        Some(Rr {
            owner,
            ttl,
            rtype,
            rdata,
        })
    }
}

impl std::fmt::Display for Rr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.owner, self.ttl, self.rtype, self.rdata
        )
    }
}

/// Expected records written as `owner ttl TYPE rdata`.
pub fn rrs(lines: &[&str]) -> Vec<Rr> {
    let mut v: Vec<Rr> = lines
        .iter()
        .map(|l| Rr::parse(l).unwrap_or_else(|| panic!("bad expected record {l:?}")))
        .collect();
    v.sort();
    v
}

#[derive(Debug, Default)]
pub struct Reply {
    pub raw: String,
    pub status: String,
    pub flags: Vec<String>,
    /// EDNS version of the OPT record in the reply, when there is one.
    pub edns_version: Option<u8>,
    /// Question names exactly as printed (case kept).
    pub question: Vec<String>,
    pub answer: Vec<Rr>,
    pub authority: Vec<Rr>,
    pub additional: Vec<Rr>,
    pub size: Option<usize>,
}

impl Reply {
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }

    fn sorted(v: &[Rr]) -> Vec<Rr> {
        let mut v = v.to_vec();
        v.sort();
        v
    }

    /// Asserts the rcode and the AA bit, printing the whole reply on failure.
    pub fn rcode_aa(&self, status: &str, aa: bool) -> &Self {
        assert_eq!(self.status, status, "rcode\n{}", self.raw);
        assert_eq!(self.has_flag("aa"), aa, "AA flag\n{}", self.raw);
        assert!(!self.has_flag("tc"), "unexpected TC\n{}", self.raw);
        self
    }

    pub fn answer_is(&self, want: &[&str]) -> &Self {
        assert_eq!(
            Self::sorted(&self.answer),
            rrs(want),
            "answer section\n{}",
            self.raw
        );
        self
    }

    pub fn authority_is(&self, want: &[&str]) -> &Self {
        assert_eq!(
            Self::sorted(&self.authority),
            rrs(want),
            "authority section\n{}",
            self.raw
        );
        self
    }

    pub fn additional_is(&self, want: &[&str]) -> &Self {
        assert_eq!(
            Self::sorted(&self.additional),
            rrs(want),
            "additional section\n{}",
            self.raw
        );
        self
    }

    /// NXDOMAIN/NODATA shape (RFC 2308 §2): empty answer, the SOA alone in
    /// authority.
    pub fn negative(&self, status: &str, soa: &str) -> &Self {
        self.rcode_aa(status, true)
            .answer_is(&[])
            .authority_is(&[soa])
    }
}

#[derive(PartialEq)]
enum Section {
    None,
    Question,
    Answer,
    Authority,
    Additional,
}

/// Parses dig's and kdig's text output. The two differ in punctuation
/// (`status: X,` vs `status: X;`, `flags:` vs `Flags:`, `MSG SIZE rcvd: N`
/// vs `Received N B`, `; EDNS: version: 0` vs `;; Version: 0`), not in the
/// record lines, so one tolerant parser serves both.
fn parse(raw: String) -> Reply {
    let mut r = Reply {
        raw: raw.clone(),
        ..Reply::default()
    };
    let mut section = Section::None;
    for line in raw.lines() {
        let l = line.trim();
        if let Some(i) = l.find("status: ") {
            r.status = l[i + 8..]
                .split([',', ';'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            continue;
        }
        let bare = l.trim_start_matches(';').trim();
        if let Some(rest) = bare
            .strip_prefix("flags:")
            .or_else(|| bare.strip_prefix("Flags:"))
        {
            if r.flags.is_empty() && rest.contains("QUERY") {
                let f = rest.split(';').next().unwrap_or("");
                r.flags = f.split_whitespace().map(str::to_string).collect();
                continue;
            }
        }
        let ver = bare
            .strip_prefix("EDNS: version:")
            .or_else(|| bare.strip_prefix("Version:"));
        if let Some(v) = ver {
            r.edns_version = v
                .trim()
                .split([',', ';'])
                .next()
                .and_then(|n| n.trim().parse().ok());
            continue;
        }
        if let Some(n) = bare.strip_prefix("MSG SIZE  rcvd:") {
            r.size = n.trim().parse().ok();
            continue;
        }
        if let Some(n) = bare.strip_prefix("Received ") {
            r.size = n.split_whitespace().next().and_then(|n| n.parse().ok());
            continue;
        }
        if l.starts_with(";;") && l.ends_with("SECTION:") {
            section = if l.contains("QUESTION") {
                Section::Question
            } else if l.contains("ANSWER") {
                Section::Answer
            } else if l.contains("AUTHORITY") {
                Section::Authority
            } else if l.contains("ADDITIONAL") {
                Section::Additional
            } else {
                Section::None // OPT/EDNS pseudosection
            };
            continue;
        }
        if l.is_empty() {
            // A blank line ends a section (both tools), so the trailing
            // `;; Query time`/`;; Received` comments are never taken for
            // question entries.
            section = Section::None;
            continue;
        }
        if section == Section::Question && l.starts_with(';') {
            if let Some(name) = bare.split_whitespace().next() {
                r.question.push(name.to_string());
            }
            continue;
        }
        if l.starts_with(';') {
            continue;
        }
        let Some(rr) = Rr::parse(l) else { continue };
        match section {
            Section::Answer => r.answer.push(rr),
            Section::Authority => r.authority.push(rr),
            Section::Additional => r.additional.push(rr),
            _ => {}
        }
    }
    r
}

/// Queries with one tool. dig sends EDNS (1232) by default and kdig does
/// not, so the plain tests cover both the EDNS and the non-EDNS path.
pub fn ask(s: &Server, tool: Tool, args: &[&str]) -> Reply {
    let mut a: Vec<&str> = args.to_vec();
    match tool {
        Tool::Dig => {
            // No cookie: the server does not do RFC 7873 yet, and dig would
            // otherwise comment on the missing server cookie.
            a.extend(["+nocookie", "+noall", "+comments", "+question", "+answer"]);
            a.extend(["+authority", "+additional", "+stats"]);
            parse(s.dig(&a))
        }
        Tool::Kdig => {
            a.extend([
                "+noall",
                "+header",
                "+comments",
                "+opt",
                "+question",
                "+answer",
            ]);
            a.extend(["+authority", "+additional", "+stats"]);
            parse(s.kdig(&a))
        }
    }
}
