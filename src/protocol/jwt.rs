//! (skeleton) see protocol/mod.rs
