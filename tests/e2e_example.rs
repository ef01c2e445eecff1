//! The shipped example deployment (`polyzone.toml`, `zones/example.com.zone`)
//! answers as the README's dig tour shows, with dig and kdig. knotd and named
//! serving the same file give the same answers.

mod common;
#[path = "support/dig.rs"]
mod dig;

use common::{require, zones_config, Server};
use dig::{ask, TOOLS};

#[test]
fn example_zone_answers_as_in_the_readme() {
    require("dig");
    require("kdig");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let zone = std::fs::read_to_string(root.join("zones/example.com.zone")).expect("example zone");
    let config = zones_config(&["example.com"]);
    let s = Server::start(&config, &[("example.com.zone", &zone)], "example.com");
    let soa = "example.com. 300 SOA ns1.example.com. hostmaster.example.com. 2026112701 7200 3600 1209600 300";
    for t in TOOLS {
        ask(&s, t, &["example.com", "MX"])
            .rcode_aa("NOERROR", true)
            .answer_is(&[
                "example.com. 3600 MX 10 mail1.example.com.",
                "example.com. 3600 MX 20 mail2.example.com.",
            ]);
        ask(&s, t, &["www.example.com", "AAAA"])
            .rcode_aa("NOERROR", true)
            .answer_is(&[
                "www.example.com. 3600 CNAME web.example.com.",
                "web.example.com. 3600 CNAME web-lb.example.com.",
                "web-lb.example.com. 3600 AAAA 2001:db8::80",
            ]);
        ask(&s, t, &["www.sub.example.com", "A"])
            .rcode_aa("NOERROR", false)
            .authority_is(&[
                "sub.example.com. 3600 NS ns1.sub.example.com.",
                "sub.example.com. 3600 NS ns2.sub.example.com.",
                "sub.example.com. 3600 NS ns.dept.example.com.",
            ])
            .additional_is(&[
                "ns1.sub.example.com. 3600 A 192.0.2.150",
                "ns1.sub.example.com. 3600 AAAA 2001:db8:150::1",
                "ns2.sub.example.com. 3600 A 198.51.100.150",
                "ns.dept.example.com. 3600 A 192.0.2.160",
            ]);
        ask(&s, t, &["nope.example.com", "A"]).negative("NXDOMAIN", soa);
        ask(&s, t, &["b.ent.example.com", "A"]).negative("NOERROR", soa);
        ask(&s, t, &["anything.apps.example.com", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&["anything.apps.example.com. 3600 A 192.0.2.90"]);
        ask(&s, t, &["login.old.example.com", "A"])
            .rcode_aa("NOERROR", true)
            .answer_is(&[
                "old.example.com. 3600 DNAME example.net.",
                "login.old.example.com. 3600 CNAME login.example.net.",
            ]);
        let r = ask(
            &s,
            t,
            &["+ignore", "+bufsize=1232", "big.example.com", "TXT"],
        );
        assert!(
            r.has_flag("tc"),
            "big TXT must truncate over UDP\n{}",
            r.raw
        );
        let r = ask(&s, t, &["+tcp", "big.example.com", "TXT"]);
        r.rcode_aa("NOERROR", true);
        assert_eq!(r.answer.len(), 12, "big TXT over TCP\n{}", r.raw);
    }
}
