//! Every macro rule, pinned: each `tests/ui/*.rs` must fail to compile with exactly the
//! error in its `.stderr`; each `tests/pass/*.rs` must compile (and its `main` runs).
//!
//! Refresh the expected output after an intended change with
//! `TRYBUILD=overwrite cargo test -p ui-tests`, then review every `.stderr` diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/ui/*.rs");
}
