//! Zone data: names and records.

pub mod name;
pub mod record;
