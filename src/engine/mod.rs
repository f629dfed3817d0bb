//! The local X-Ray engine: what the X-Ray service does with segment documents, done here, for
//! files and the local daemon. Pure functions over immutable data; no I/O, no UI.

pub mod assemble;
pub mod service;

pub use assemble::assemble;
