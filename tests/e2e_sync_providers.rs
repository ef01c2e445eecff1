//! The behavioural suite for providers without a local server, run against
//! fakes that follow each provider's documented API (auth, pagination,
//! error bodies, throttling): full sync of every type the provider takes,
//! incremental add/change/delete, an empty second plan, pagination past
//! three pages, 30% of requests failing (429, 500 before and after the
//! write) still converging without duplicates, and 401/403 stopping the
//! target with a clear status.

mod common;
#[path = "support/fake_cloudflare.rs"]
mod fake_cloudflare;
#[path = "support/fake_desec.rs"]
mod fake_desec;
#[path = "support/fake_digitalocean.rs"]
mod fake_digitalocean;
#[path = "support/fake_gandi.rs"]
mod fake_gandi;
#[path = "support/fake_hetzner.rs"]
mod fake_hetzner;
#[path = "support/fake_kit.rs"]
mod fake_kit;
#[path = "support/nsupdate.rs"]
mod nsupdate;
#[path = "support/sync_kit.rs"]
mod sync_kit;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{require, wait_for, Server};
use fake_cloudflare::FakeCloudflare;
use fake_desec::FakeDesec;
use fake_digitalocean::FakeDigitalOcean;
use fake_gandi::FakeGandi;
use fake_hetzner::FakeHetzner;
use fake_kit::Faults;
use nsupdate::{send, Client};
use sync_kit::{sync_config, target_status};

const ZONE: &str = "fake.test";
const SECRET: &str = "ZmFrZS1wcm92aWRlci1zZWNyZXQtMDEyMzQ1Njc4OWFi";
const KEY: &str = "hmac-sha256:k:ZmFrZS1wcm92aWRlci1zZWNyZXQtMDEyMzQ1Njc4OWFi";
/// Records beyond the fixed head: 350 = four pages of 100.
const BULK: usize = 350;

fn zone_file() -> String {
    let mut z = String::from(
        r#"$ORIGIN fake.test.
$TTL 300
@      IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@      NS    ns1
ns1    A     127.0.0.1
www    A     192.0.2.1
www    A     192.0.2.2
v6     AAAA  2001:db8::1
@      MX    10 mail
@      MX    20 mail2
mail   A     192.0.2.3
mail2  A     192.0.2.4
txt    TXT   "hello world" "second string"
cn     CNAME www
ptr    PTR   www.fake.test.
sub    NS    ns.elsewhere.example.
short  30 A  192.0.2.5
_sip._tcp SRV 0 5 5060 www
"#,
    );
    bulk(&mut z, 0..BULK);
    z
}

/// The zone with `h<i>` records up to `n`, for providers whose pages are
/// larger (paging must still be exercised).
fn zone_with(n: usize) -> String {
    let mut z = zone_file();
    bulk(&mut z, BULK..n);
    z
}

fn bulk(z: &mut String, range: std::ops::Range<usize>) {
    for i in range {
        z.push_str(&format!("h{i} A 198.51.{}.{}\n", i / 250, i % 250));
    }
}

fn config_for(kind: &str, url: &str, token_file: &str) -> String {
    let target = format!(
        r#"
[[target]]
name = "cf"
kind = "{kind}"
url = "{url}"
api_key_file = "zones/{token_file}"
retries = 3
"#
    );
    sync_config(ZONE, SECRET, &["cf"], &target)
}

fn status(s: &Server) -> serde_json::Value {
    target_status(s, "cf")
}

fn update(s: &Server, body: &str) {
    assert_eq!(send(s, Client::NsupdateY(KEY), ZONE, body), "NOERROR");
}

fn in_sync(s: &Server) -> bool {
    let st = status(s);
    st["state"] == "ok" && st["applied_serial"] == st["current_serial"]
}

/// No two of `records` alike in `key`: a create retried after it was
/// done would make a second.
fn assert_no_duplicates<R: std::fmt::Debug, K: Ord>(records: &[R], key: impl Fn(&R) -> K) {
    let mut seen = BTreeSet::new();
    for r in records {
        assert!(
            seen.insert(key(r)),
            "duplicate record at the provider: {r:?}"
        );
    }
}

fn no_duplicates(f: &FakeCloudflare) {
    assert_no_duplicates(&f.records(), |r| {
        (
            r.name.clone(),
            r.rtype.clone(),
            r.content.clone(),
            r.priority,
        )
    });
}

/// What every fake offers the scenario: its gate's switches and counters.
trait Fake {
    fn url(&self) -> &str;
    fn faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R;
}

macro_rules! fake_with_gate {
    ($($t:ty),*) => {$(
        impl Fake for $t {
            fn url(&self) -> &str {
                &self.url
            }

            fn faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
                f(&mut self.lock().gate)
            }
        }
    )*};
}
fake_with_gate!(
    FakeCloudflare,
    FakeDesec,
    FakeGandi,
    FakeHetzner,
    FakeDigitalOcean
);

/// One provider's run of the behavioural scenario: the steps are the same
/// for every provider, what is checked after each is the provider's own
/// (its record shapes, TTL limits, paging).
struct Case<'a, F: Fake> {
    fake: &'a F,
    /// Target `kind`, token file name and token.
    kind: &'a str,
    token_file: &'a str,
    token: &'a str,
    zone: String,
    /// How long the first full sync may take.
    first_sync: Duration,
    /// Checks after the first full sync (including the empty second plan).
    synced: &'a dyn Fn(&Server, &F),
    /// An incremental update (add, change, delete, type switch) and its
    /// checks.
    incremental: &'a str,
    incremental_ok: &'a dyn Fn(&F),
    /// Updates sent while 30% of requests fail (429 with Retry-After, 500
    /// before and after the write), the fewest faults that must have been
    /// injected, and the checks after convergence.
    faulty: Vec<String>,
    min_faults: u64,
    faulty_ok: &'a dyn Fn(&F),
    /// A record added while the token is refused, and the error the
    /// stopped target must show.
    denied: &'a str,
    refused_error: &'a str,
    /// A stopped target sends nothing more.
    check_quiet: bool,
    /// After the token is accepted again, `sync apply` brings the refused
    /// change through; the check that it did.
    recovered: Option<&'a dyn Fn(&F)>,
}

fn behavioural_scenario<F: Fake>(c: Case<'_, F>) {
    require("nsupdate");
    let s = Server::start(
        &config_for(c.kind, c.fake.url(), c.token_file),
        &[("fake.test.zone", &c.zone), (c.token_file, c.token)],
        ZONE,
    );

    // Full sync, then the provider's checks and the empty second plan.
    assert!(
        wait_for(c.first_sync, || in_sync(&s)),
        "{}\n{}",
        status(&s),
        s.log()
    );
    (c.synced)(&s, c.fake);

    // Incremental add, change, delete.
    update(&s, c.incremental);
    assert!(
        wait_for(Duration::from_secs(5), || in_sync(&s)),
        "{}",
        status(&s)
    );
    (c.incremental_ok)(c.fake);

    // 30% of requests fail; still converges.
    c.fake.faults(|f| f.fail_percent = 30);
    for body in &c.faulty {
        update(&s, body);
    }
    assert!(
        wait_for(Duration::from_secs(60), || in_sync(&s)),
        "no convergence under faults: {}\n{}",
        status(&s),
        s.log()
    );
    c.fake.faults(|f| f.fail_percent = 0);
    let faults = c.fake.faults(|f| f.faults);
    assert!(faults > c.min_faults, "only {faults} faults injected");
    (c.faulty_ok)(c.fake);
    assert_plan_empty(&s);

    // A refused token stops the target with a clear status, no retry loop.
    c.fake.faults(|f| f.unauthorized = true);
    update(&s, c.denied);
    assert!(
        wait_for(Duration::from_secs(10), || status(&s)["state"] == "stopped"),
        "{}",
        status(&s)
    );
    let st = status(&s);
    assert!(
        st["last_error"]
            .as_str()
            .unwrap_or("")
            .contains(c.refused_error),
        "{st}"
    );
    if c.check_quiet {
        let n = c.fake.faults(|f| f.requests);
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(
            c.fake.faults(|f| f.requests),
            n,
            "a stopped target kept calling"
        );
    }
    if let Some(recovered) = c.recovered {
        c.fake.faults(|f| f.unauthorized = false);
        let (ok, out) = s.cli(&["sync", "apply"]);
        assert!(ok, "{out}");
        recovered(c.fake);
    }
}

fn assert_plan_empty(s: &Server) {
    let (ok, plan) = s.cli(&["sync", "plan"]);
    assert!(ok && plan.contains("no changes"), "{plan}");
}

/// The incremental update of the per-record providers: add, one value of
/// two replaced, TXT changed, delete, CNAME switched to A.
const INCREMENTAL_PER_RECORD: &str = "update add new.fake.test. 120 A 203.0.113.1\n\
     update delete www.fake.test. A 192.0.2.2\nupdate add www.fake.test. 300 A 192.0.2.9\n\
     update delete txt.fake.test. TXT\nupdate add txt.fake.test. 600 TXT \"changed\"\n\
     update delete h0.fake.test. A\n\
     update delete cn.fake.test. CNAME\nupdate add cn.fake.test. 300 A 192.0.2.10\n";

/// The update sent under faults to the per-record providers: 39 values
/// replaced and 39 two-value RRsets added (retried creates would show as
/// duplicates).
fn churn_per_record() -> String {
    let mut body = String::new();
    for i in 1..40 {
        body.push_str(&format!(
            "update delete h{i}.fake.test. A\nupdate add h{i}.fake.test. 300 A 203.0.113.{i}\n"
        ));
        body.push_str(&format!("update add m{i}.fake.test. 300 A 203.0.114.{i}\nupdate add m{i}.fake.test. 300 A 203.0.115.{i}\n"));
    }
    body
}

/// Checks the outcome of [`churn_per_record`]; `a_values(label)` gives the
/// A values the provider holds at `label` (left of the zone).
fn assert_churned(a_values: impl Fn(&str) -> Vec<String>) {
    for i in 1..40 {
        assert_eq!(a_values(&format!("h{i}")), vec![format!("203.0.113.{i}")]);
        assert_eq!(
            a_values(&format!("m{i}")),
            vec![format!("203.0.114.{i}"), format!("203.0.115.{i}")]
        );
    }
}

/// Cloudflare: per-record family, pages of 100, 403 on a refused token.
#[test]
fn cloudflare_behavioural_suite() {
    let fake = FakeCloudflare::start(ZONE);
    behavioural_scenario(Case {
        fake: &fake,
        kind: "cloudflare",
        token_file: "cf.token",
        token: fake_cloudflare::TOKEN,
        zone: zone_file(),
        first_sync: Duration::from_secs(20),
        // Every type Cloudflare takes through `content`; SRV is skipped
        // with a warning; apex NS and SOA stay the provider's.
        synced: &|s, fake| {
            assert_eq!(
                fake.rrset("www.fake.test", "A").0,
                vec!["192.0.2.1", "192.0.2.2"]
            );
            assert_eq!(fake.rrset("v6.fake.test", "AAAA").0, vec!["2001:db8::1"]);
            assert_eq!(
                fake.rrset("fake.test", "MX").0,
                vec!["10 mail.fake.test", "20 mail2.fake.test"]
            );
            assert_eq!(
                fake.rrset("txt.fake.test", "TXT").0,
                vec!["\"hello world\" \"second string\""]
            );
            assert_eq!(fake.rrset("cn.fake.test", "CNAME").0, vec!["www.fake.test"]);
            assert_eq!(fake.rrset("ptr.fake.test", "PTR").0, vec!["www.fake.test"]);
            assert_eq!(
                fake.rrset("sub.fake.test", "NS").0,
                vec!["ns.elsewhere.example"]
            );
            assert_eq!(
                fake.rrset("short.fake.test", "A").1,
                vec![60],
                "TTL below the minimum is raised"
            );
            assert!(
                fake.rrset("fake.test", "NS").0.is_empty(),
                "apex NS is the provider's"
            );
            assert_eq!(fake.records().len(), BULK + 13);
            let st = status(s);
            assert!(
                st["skipped"]
                    .to_string()
                    .contains("_sip._tcp.fake.test. SRV"),
                "{st}"
            );
            // Idempotence: the second plan is empty, and reading it paged
            // past three pages.
            assert_plan_empty(s);
            assert!(fake.lock().max_page >= 4);
        },
        incremental: INCREMENTAL_PER_RECORD,
        incremental_ok: &|fake| {
            assert_eq!(
                fake.rrset("new.fake.test", "A"),
                (vec!["203.0.113.1".to_string()], vec![120])
            );
            assert_eq!(
                fake.rrset("www.fake.test", "A").0,
                vec!["192.0.2.1", "192.0.2.9"]
            );
            assert_eq!(
                fake.rrset("txt.fake.test", "TXT"),
                (vec!["\"changed\"".to_string()], vec![600])
            );
            assert!(fake.rrset("h0.fake.test", "A").0.is_empty());
            assert!(fake.rrset("cn.fake.test", "CNAME").0.is_empty());
            assert_eq!(fake.rrset("cn.fake.test", "A").0, vec!["192.0.2.10"]);
            no_duplicates(fake);
        },
        faulty: vec![churn_per_record()],
        min_faults: 5,
        faulty_ok: &|fake| {
            // Cloudflare names records by their full name.
            assert_churned(|label| fake.rrset(&format!("{label}.fake.test"), "A").0);
            no_duplicates(fake);
        },
        denied: "update add denied.fake.test. 60 A 203.0.113.99\n",
        refused_error: "authentication refused (HTTP 403)",
        check_quiet: true,
        recovered: Some(&|fake| {
            assert_eq!(fake.rrset("denied.fake.test", "A").0, vec!["203.0.113.99"]);
        }),
    });
}

/// deSEC: RRset family, cursor pagination of 500 (1,600 RRsets: four
/// pages), atomic bulk PATCH, minimum TTL 3600.
#[test]
fn desec_behavioural_suite() {
    let fake = FakeDesec::start(ZONE);
    let faulty = (0..4)
        .map(|round| {
            (0..10)
                .map(|i| format!("update add r{round}x{i}.fake.test. 3600 A 203.0.113.{i}\n"))
                .collect()
        })
        .collect();
    behavioural_scenario(Case {
        fake: &fake,
        kind: "desec",
        token_file: "desec.token",
        token: fake_desec::TOKEN,
        zone: zone_with(1600),
        first_sync: Duration::from_secs(30),
        // Every type through (SRV included), TTLs raised to the domain
        // minimum, apex NS and SOA left to deSEC.
        synced: &|s, fake| {
            assert_eq!(
                fake.rrset("www", "A"),
                (vec!["192.0.2.1".to_string(), "192.0.2.2".to_string()], 3600)
            );
            assert_eq!(
                fake.rrset("", "MX").0,
                vec!["10 mail.fake.test.", "20 mail2.fake.test."]
            );
            assert_eq!(
                fake.rrset("txt", "TXT").0,
                vec!["\"hello world\" \"second string\""]
            );
            assert_eq!(
                fake.rrset("_sip._tcp", "SRV").0,
                vec!["0 5 5060 www.fake.test."]
            );
            assert_eq!(fake.rrset("h1599", "A").0, vec!["198.51.6.99"]);
            assert!(fake.rrset("", "NS").0.is_empty());
            assert_eq!(fake.count(), 1600 + 12);
            let pages = fake.lock().pages_served;
            assert_plan_empty(s);
            assert_eq!(
                fake.lock().pages_served - pages,
                4,
                "a full read is four pages"
            );
        },
        incremental:
            "update add new.fake.test. 7200 A 203.0.113.1\nupdate delete txt.fake.test. TXT\n\
             update add txt.fake.test. 86400 TXT \"changed\"\nupdate delete h0.fake.test. A\n",
        incremental_ok: &|fake| {
            assert_eq!(
                fake.rrset("new", "A"),
                (vec!["203.0.113.1".to_string()], 7200)
            );
            assert_eq!(
                fake.rrset("txt", "TXT"),
                (vec!["\"changed\"".to_string()], 86400)
            );
            assert!(fake.rrset("h0", "A").0.is_empty());
        },
        faulty,
        min_faults: 0,
        faulty_ok: &|fake| {
            for round in 0..4 {
                for i in 0..10 {
                    assert_eq!(
                        fake.rrset(&format!("r{round}x{i}"), "A").0,
                        vec![format!("203.0.113.{i}")]
                    );
                }
            }
        },
        denied: "update add denied.fake.test. 3600 A 203.0.113.99\n",
        refused_error: "HTTP 401",
        check_quiet: false,
        recovered: None,
    });
}

/// Gandi LiveDNS: RRset family, one idempotent request per RRset, pages of
/// 100 (450 RRsets: five pages), relative targets on read, TTL 300..2592000.
#[test]
fn gandi_behavioural_suite() {
    let fake = FakeGandi::start(ZONE);
    let mut churn = String::new();
    for i in 1..30 {
        churn.push_str(&format!(
            "update delete h{i}.fake.test. A\nupdate add m{i}.fake.test. 600 A 203.0.114.{i}\n"
        ));
    }
    behavioural_scenario(Case {
        fake: &fake,
        kind: "gandi",
        token_file: "gandi.token",
        token: fake_gandi::TOKEN,
        zone: zone_with(450),
        first_sync: Duration::from_secs(30),
        synced: &|s, fake| {
            assert_eq!(
                fake.rrset("www", "A"),
                (vec!["192.0.2.1".to_string(), "192.0.2.2".to_string()], 300)
            );
            assert_eq!(
                fake.rrset("@", "MX").0,
                vec!["10 mail.fake.test.", "20 mail2.fake.test."]
            );
            assert_eq!(fake.rrset("cn", "CNAME").0, vec!["www.fake.test."]);
            assert_eq!(
                fake.rrset("short", "A").1,
                300,
                "TTL raised to Gandi's minimum"
            );
            assert_eq!(fake.count(), 450 + 12);
            // Relative targets on read compare equal: the second plan is
            // empty.
            assert_plan_empty(s);
            assert!(fake.lock().max_page >= 5);
        },
        incremental:
            "update add new.fake.test. 3600 A 203.0.113.1\nupdate delete cn.fake.test. CNAME\n\
             update add cn.fake.test. 300 A 192.0.2.10\nupdate delete h0.fake.test. A\n",
        incremental_ok: &|fake| {
            assert_eq!(
                fake.rrset("new", "A"),
                (vec!["203.0.113.1".to_string()], 3600)
            );
            assert!(fake.rrset("cn", "CNAME").0.is_empty());
            assert_eq!(fake.rrset("cn", "A").0, vec!["192.0.2.10"]);
            assert!(fake.rrset("h0", "A").0.is_empty());
        },
        faulty: vec![churn],
        min_faults: 0,
        faulty_ok: &|fake| {
            for i in 1..30 {
                assert!(fake.rrset(&format!("h{i}"), "A").0.is_empty());
                assert_eq!(
                    fake.rrset(&format!("m{i}"), "A").0,
                    vec![format!("203.0.114.{i}")]
                );
            }
        },
        denied: "update add denied.fake.test. 600 A 203.0.113.99\n",
        refused_error: "HTTP 401",
        check_quiet: false,
        recovered: None,
    });
}

/// Hetzner Cloud DNS: RRset family, pages of 100 (362 RRsets: four pages),
/// create + `set_records`/`change_ttl` actions waited on, TTL from 60.
#[test]
fn hetzner_behavioural_suite() {
    let fake = FakeHetzner::start(ZONE);
    let mut churn = String::new();
    for i in 1..30 {
        churn.push_str(&format!(
            "update delete h{i}.fake.test. A\nupdate add h{i}.fake.test. 300 A 203.0.113.{i}\n\
             update add m{i}.fake.test. 600 A 203.0.114.{i}\n"
        ));
    }
    behavioural_scenario(Case {
        fake: &fake,
        kind: "hetzner",
        token_file: "hetzner.token",
        token: fake_hetzner::TOKEN,
        zone: zone_file(),
        first_sync: Duration::from_secs(30),
        // Every type through (SRV and PTR included), TXT quoted, apex NS
        // and SOA left to Hetzner.
        synced: &|s, fake| {
            assert_eq!(
                fake.rrset("www", "A"),
                (vec!["192.0.2.1".to_string(), "192.0.2.2".to_string()], 300)
            );
            assert_eq!(
                fake.rrset("@", "MX").0,
                vec!["10 mail.fake.test.", "20 mail2.fake.test."]
            );
            assert_eq!(
                fake.rrset("txt", "TXT").0,
                vec!["\"hello world\" \"second string\""]
            );
            assert_eq!(
                fake.rrset("_sip._tcp", "SRV").0,
                vec!["0 5 5060 www.fake.test."]
            );
            assert_eq!(fake.rrset("ptr", "PTR").0, vec!["www.fake.test."]);
            assert_eq!(fake.rrset("cn", "CNAME").0, vec!["www.fake.test."]);
            assert_eq!(
                fake.rrset("short", "A").1,
                60,
                "TTL raised to Hetzner's minimum"
            );
            assert!(fake.rrset("@", "NS").0.is_empty());
            assert_eq!(fake.count(), BULK + 12);
            assert_plan_empty(s);
            assert!(fake.lock().max_page >= 4);
        },
        // Add, change of values, of TTL only, delete, type switch.
        incremental: "update add new.fake.test. 3600 A 203.0.113.1\n\
             update delete www.fake.test. A 192.0.2.2\nupdate add www.fake.test. 300 A 192.0.2.9\n\
             update delete txt.fake.test. TXT\nupdate add txt.fake.test. 600 TXT \"changed\"\n\
             update delete v6.fake.test. AAAA\nupdate add v6.fake.test. 900 AAAA 2001:db8::1\n\
             update delete cn.fake.test. CNAME\nupdate add cn.fake.test. 300 A 192.0.2.10\n\
             update delete h0.fake.test. A\n",
        incremental_ok: &|fake| {
            assert_eq!(
                fake.rrset("new", "A"),
                (vec!["203.0.113.1".to_string()], 3600)
            );
            assert_eq!(fake.rrset("www", "A").0, vec!["192.0.2.1", "192.0.2.9"]);
            assert_eq!(
                fake.rrset("txt", "TXT"),
                (vec!["\"changed\"".to_string()], 600)
            );
            assert_eq!(
                fake.rrset("v6", "AAAA"),
                (vec!["2001:db8::1".to_string()], 900)
            );
            assert!(fake.rrset("cn", "CNAME").0.is_empty());
            assert_eq!(fake.rrset("cn", "A").0, vec!["192.0.2.10"]);
            assert!(fake.rrset("h0", "A").0.is_empty());
            assert!(fake.lock().actions_polled > 0, "actions were waited on");
        },
        faulty: vec![churn],
        min_faults: 5,
        faulty_ok: &|fake| {
            for i in 1..30 {
                assert_eq!(
                    fake.rrset(&format!("h{i}"), "A").0,
                    vec![format!("203.0.113.{i}")]
                );
                assert_eq!(
                    fake.rrset(&format!("m{i}"), "A"),
                    (vec![format!("203.0.114.{i}")], 600)
                );
            }
        },
        denied: "update add denied.fake.test. 600 A 203.0.113.99\n",
        refused_error: "authentication refused (HTTP 401)",
        check_quiet: true,
        recovered: None,
    });
}

/// DigitalOcean: per-record family, pages of 100 followed through
/// `links.pages.next` (363 records: four pages), TXT joined into one raw
/// string, targets without the trailing dot, TTL from 30, duplicates
/// accepted by the API (so a retried create would show).
#[test]
fn digitalocean_behavioural_suite() {
    let fake = FakeDigitalOcean::start(ZONE);
    let no_dupes = |f: &FakeDigitalOcean| {
        assert_no_duplicates(&f.records(), |r| {
            (
                r.name.clone(),
                r.rtype.clone(),
                r.data.clone(),
                r.priority,
                r.port,
                r.weight,
            )
        });
    };
    behavioural_scenario(Case {
        fake: &fake,
        kind: "digitalocean",
        token_file: "do.token",
        token: fake_digitalocean::TOKEN,
        zone: zone_file(),
        first_sync: Duration::from_secs(30),
        synced: &|s, fake| {
            assert_eq!(fake.rrset("www", "A").0, vec!["192.0.2.1", "192.0.2.2"]);
            assert_eq!(fake.rrset("v6", "AAAA").0, vec!["2001:db8::1"]);
            assert_eq!(
                fake.rrset("@", "MX").0,
                vec!["10 mail.fake.test", "20 mail2.fake.test"]
            );
            assert_eq!(
                fake.rrset("txt", "TXT").0,
                vec!["hello worldsecond string"],
                "TXT strings joined into one raw value"
            );
            assert_eq!(fake.rrset("cn", "CNAME").0, vec!["www.fake.test"]);
            assert_eq!(fake.rrset("sub", "NS").0, vec!["ns.elsewhere.example"]);
            assert_eq!(
                fake.rrset("_sip._tcp", "SRV").0,
                vec!["0 5 5060 www.fake.test"]
            );
            assert_eq!(fake.rrset("short", "A").1, vec![30]);
            assert!(
                fake.rrset("@", "NS").0.is_empty(),
                "apex NS is the provider's"
            );
            assert!(fake.rrset("ptr", "PTR").0.is_empty());
            assert_eq!(fake.records().len(), BULK + 13);
            let st = status(s);
            assert!(
                st["skipped"].to_string().contains("ptr.fake.test. PTR"),
                "{st}"
            );
            assert_plan_empty(s);
            assert!(fake.lock().max_page >= 4);
        },
        incremental: INCREMENTAL_PER_RECORD,
        incremental_ok: &|fake| {
            assert_eq!(
                fake.rrset("new", "A"),
                (vec!["203.0.113.1".to_string()], vec![120])
            );
            assert_eq!(fake.rrset("www", "A").0, vec!["192.0.2.1", "192.0.2.9"]);
            assert_eq!(
                fake.rrset("txt", "TXT"),
                (vec!["changed".to_string()], vec![600])
            );
            assert!(fake.rrset("h0", "A").0.is_empty());
            assert!(fake.rrset("cn", "CNAME").0.is_empty());
            assert_eq!(fake.rrset("cn", "A").0, vec!["192.0.2.10"]);
            no_dupes(fake);
        },
        faulty: vec![churn_per_record()],
        min_faults: 5,
        faulty_ok: &|fake| {
            // DigitalOcean names records relative to the zone.
            assert_churned(|label| fake.rrset(label, "A").0);
            no_dupes(fake);
        },
        denied: "update add denied.fake.test. 60 A 203.0.113.99\n",
        refused_error: "authentication refused (HTTP 401)",
        check_quiet: false,
        recovered: Some(&|fake| {
            assert_eq!(fake.rrset("denied", "A").0, vec!["203.0.113.99"]);
        }),
    });
}
