//! Accessible plain mode: the same wizard as numbered line prompts for screen readers, dumb
//! terminals and pipes, driving the same `update()` and guide assets.
//!
//! (Skeleton: the plain-mode work fills this in.)
