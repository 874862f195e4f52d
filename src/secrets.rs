//! Optional OS keychain behind a trait (Windows Credential Manager, macOS Keychain, Secret
//! Service), with an in-memory store for tests. The keychain is a convenience: when none is
//! available the wizard says so once and carries on; the encrypted bundle is the durable path.
//!
//! (Skeleton: the bundle work fills this in.)
