//! Per-call cost of a wrapper import against a hand-written reqwest PATCH of
//! the same body, both against the same loopback server in one run.
fn main() {}
