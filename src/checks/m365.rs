//! Microsoft 365 checks (skeleton).
