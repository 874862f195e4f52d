//! Exchange Server on-premises checks (skeleton).
