//! Tests of grants: name patterns, the config form, and what a limited
//! key may and may not change.

use super::tests::*;
use super::*;
use crate::rdata::Class;

#[test]
fn name_patterns() {
    let p = |s: &str| s.parse::<NamePattern>().unwrap();
    let m = |pat: &str, name: &str| p(pat).matches(&n(name));
    assert_eq!(p("*"), NamePattern::Any);
    assert!(m("*", "anything.example.com"));
    assert!(m("www.example.com", "WWW.example.com."));
    assert!(!m("www.example.com", "x.www.example.com"));
    assert!(m("*.dyn.example.com", "a.dyn.example.com"));
    assert!(m("*.dyn.example.com", "a.b.dyn.example.com"));
    assert!(!m("*.dyn.example.com", "dyn.example.com"));
    assert!(!m("*.dyn.example.com", "adyn.example.com"));
    assert!(m("_acme-challenge.*", "_acme-challenge.example.com"));
    assert!(m("_acme-challenge.*", "_ACME-challenge.www.example.com"));
    assert!(!m("_acme-challenge.*", "www.example.com"));
    assert!(!m("_acme-challenge.*", "x._acme-challenge.example.com"));
    assert!(m("_a.b.*", "_a.b.example.com"));
    assert!(!m("_a.b.*", "_a.example.com"));
    // A literal `*` label, escaped.
    assert_eq!(
        p("\\*.example.com"),
        NamePattern::Exact(n("\\*.example.com"))
    );
    assert!(m("\\*.example.com", "*.example.com"));
    assert!(!m("\\*.example.com", "x.example.com"));
    for bad in ["a.*.b", "*.*", "*.x.*", "a..b"] {
        assert!(bad.parse::<NamePattern>().is_err(), "{bad}");
    }
    assert_eq!(p("_acme-challenge.*").to_string(), "_acme-challenge.*");
    assert_eq!(p("*.dyn.example.com").to_string(), "*.dyn.example.com.");
}

#[test]
fn grants_from_config() {
    let acl = acl_from(
        r#"update = ["admin", { key = "acme", name = "_acme-challenge.*", types = ["TXT"] }, { key = "dhcp", name = "*.dyn.example.com", types = ["a", "AAAA"] }]"#,
    );
    assert_eq!(acl.grants.len(), 3);
    assert_eq!(acl.grants[0], Grant::full("admin"));
    assert_eq!(acl.grants[2].types, vec![RType::A, RType::AAAA]);
    let k = |s: &str| n(s);
    let www = n("www.example.com");
    let acme = n("_acme-challenge.www.example.com");
    assert!(acl.permits(&k("ADMIN."), &www, RType::SOA));
    assert!(acl.permits(&k("acme"), &acme, RType::TXT));
    assert!(!acl.permits(&k("acme"), &acme, RType::A));
    assert!(!acl.permits(&k("acme"), &www, RType::TXT));
    assert!(acl.permits(&k("dhcp"), &n("h.dyn.example.com"), RType::AAAA));
    assert!(!acl.permits(&k("dhcp"), &n("dyn.example.com"), RType::AAAA));
    assert!(!acl.permits(&k("stranger"), &www, RType::A));
    assert!(acl.knows(&k("dhcp")) && !acl.knows(&k("stranger")));
    // Errors name what is wrong.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Z {
        update: UpdateAcl,
    }
    let err = |t: &str| toml::from_str::<Z>(t).unwrap_err().to_string();
    assert!(err(r#"update = [{ key = "a", nmae = "x" }]"#).contains("nmae"));
    assert!(err(r#"update = [{ key = "a", types = ["BOGUS"] }]"#).contains("BOGUS"));
    assert!(err(r#"update = [{ key = "a", types = ["ANY"] }]"#).contains("ANY"));
    assert!(err(r#"update = [{ key = "a", name = "a.*.b" }]"#).contains("`*` may only"));
    assert!(err(r#"update = [{ name = "x" }]"#).contains("key"));
    assert!(err(r#"update = [3]"#).contains("TSIG key name"));
    assert!(acl_from("update = []").is_empty());
}

#[test]
fn updates_need_a_granted_key() {
    let v = zone(ZONE);
    let acl = acl_from(
        r#"update = ["admin", { key = "acme", name = "_acme-challenge.*", types = ["TXT"] }]"#,
    );
    let acme_txt = Msg::new(Z).add("_acme-challenge.www.example.com", 60, RType::TXT, "tok");
    // No key, an unknown key, an empty ACL.
    assert_eq!(
        run_with(&v, &acme_txt, None, &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    assert_eq!(
        run_with(&v, &acme_txt, Some("other"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    assert_eq!(
        run_with(&v, &acme_txt, Some("admin"), &UpdateAcl::default()),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // An unknown key cannot probe with prerequisites: REFUSED, not NXDOMAIN.
    let probe = Msg::new(Z).pre("secret.example.com", Class::ANY, RType::ANY, "");
    assert_eq!(
        run_with(&v, &probe, Some("other"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // The acme key: its TXT yes; www A, an A at its name, the SOA no.
    check_commit(&v, run_with(&v, &acme_txt, Some("acme"), &acl));
    let www_a = Msg::new(Z).add("www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &www_a, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    let a = Msg::new(Z).add("_acme-challenge.www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &a, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    let del = Msg::new(Z).del_rrset("www.example.com", RType::A);
    assert_eq!(
        run_with(&v, &del, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // One forbidden RR refuses the whole message.
    let mixed = acme_txt.add("www.example.com", 60, RType::A, "192.0.2.9");
    assert_eq!(
        run_with(&v, &mixed, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    check_commit(&v, run_with(&v, &mixed, Some("admin"), &acl));
}

#[test]
fn delete_all_needs_every_type_there() {
    let v = zone(&format!(
        "{ZONE}_acme-challenge TXT \"a\"\n_acme-challenge.mail A 192.0.2.1\n_acme-challenge.mail TXT \"b\"\n"
    ));
    let acl =
        acl_from(r#"update = [{ key = "acme", name = "_acme-challenge.*", types = ["TXT"] }]"#);
    let m = Msg::new(Z).del_name("_acme-challenge.example.com");
    let (next, _) = check_commit(&v, run_with(&v, &m, Some("acme"), &acl));
    assert!(next.node(&n("_acme-challenge.example.com")).is_none());
    // Also holds an A: the TXT-only key may not wipe it.
    let m = Msg::new(Z).del_name("_acme-challenge.mail.example.com");
    assert_eq!(
        run_with(&v, &m, Some("acme"), &acl),
        UpdateOutcome::Refuse(rcode::REFUSED)
    );
    // An empty name is nothing to refuse.
    let m = Msg::new(Z).del_name("_acme-challenge.nope.example.com");
    assert_eq!(
        run_with(&v, &m, Some("acme"), &acl),
        UpdateOutcome::NoChange
    );
}
