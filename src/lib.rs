//! polyzone library: the pieces the binary wires together.

pub mod rdata;
pub mod zone;
pub mod zonefile;
