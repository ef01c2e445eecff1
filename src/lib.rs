//! polyzone: a hidden-primary authoritative DNS server.
//!
//! The crate is laid out along the data flow (see DESIGN.md): `zonefile`
//! and `rdata` turn text into records, `zone` holds them as immutable
//! versions and diffs, `load` joins the two, `wire` reads and writes DNS
//! messages, `server` answers them, `config` and `cli` are the edges.

pub mod api;
pub mod cli;
pub mod commit;
pub mod config;
pub mod dnssec;
pub mod load;
pub mod metrics;
pub mod parent_ds;
pub mod providers;
pub mod rdata;
pub mod server;
pub mod signing;
pub mod store;
pub mod sync;
pub mod wire;
pub mod xfr_client;
pub mod zone;
pub mod zonefile;
