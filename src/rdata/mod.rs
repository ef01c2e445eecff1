//! Record data: type codes, presentation format <-> wire form, and where
//! the domain names inside each type's rdata are (for compression,
//! canonical form and additional-section processing).

pub mod rtype;

pub use rtype::{Class, RType};
