//! The submission bundle (age-encrypted JSON, format v1), the non-secret draft that lets an
//! admin resume, and atomic owner-only file writing for every file the user keeps.

pub mod atomic;
pub mod draft;
