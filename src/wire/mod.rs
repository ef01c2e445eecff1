//! DNS messages on the wire: parsing requests, building responses.

pub mod builder;
pub mod message;
