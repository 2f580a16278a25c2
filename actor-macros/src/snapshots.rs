//! Expansion snapshots: the code the macros generate for representative input, pretty
//! printed and checked in under `actor-macros/snapshots/`, so that every change to the
//! output is seen in review.
//!
//! A test fails with a line diff when the output changes; after an intended change,
//! rewrite the files with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros` and review
//! their diff.

use std::path::PathBuf;
use std::{env, fs};

use proc_macro2::TokenStream;
use quote::quote;

/// Compares `expansion` with the snapshot `name`, or rewrites it under `UPDATE_SNAPSHOTS`.
fn assert_snapshot(name: &str, expansion: TokenStream) {
    let file: syn::File = match syn::parse2(expansion.clone()) {
        Ok(file) => file,
        Err(e) => panic!("the expansion of {name} does not parse ({e}):\n{expansion}"),
    };
    let actual = format!(
        "// The expansion of {name}; rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p actor-macros`.\n\n{}",
        prettyplease::unparse(&file)
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{name}.expanded.rs"));
    if env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, &actual).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("no snapshot at {path:?} ({e}): create it with UPDATE_SNAPSHOTS=1")
    });
    if expected != actual {
        panic!(
            "the expansion of {name} changed (- snapshot, + now):\n{}\nIf the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review the snapshot's diff.",
            diff(&expected, &actual)
        );
    }
}

/// A line diff of `old` and `new` (longest common subsequence), with two lines of
/// context around each change.
fn diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // common[i][j]: the length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            lines.push(('-', old[i]));
            i += 1;
        } else {
            lines.push(('+', new[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    let near_change = |at: usize| {
        let from = at.saturating_sub(CONTEXT);
        let to = (at + CONTEXT + 1).min(lines.len());
        lines[from..to].iter().any(|(mark, _)| *mark != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (at, (mark, line)) in lines.iter().enumerate() {
        if near_change(at) {
            if skipped {
                out.push_str("...\n");
                skipped = false;
            }
            out.push_str(&format!("{mark} {line}\n"));
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("...\n");
    }
    out
}

#[test]
fn warehouse_actor() {
    // Typed handlers only: a reply, no reply, the context, a pattern, a path type.
    let input = quote! {
        impl Warehouse {
            #[handles(GetInventory)]
            fn on_get(&mut self, _: GetInventory) -> Vec<i64> {
                self.inventory.clone()
            }

            #[handles(Product)]
            fn on_product(&mut self, Product(n): Product, ctx: &mut Context<Self>) {
                self.inventory.push(n);
            }

            #[handles(wire::Count)]
            fn on_count(&self, _: wire::Count) -> usize {
                self.inventory.len()
            }

            fn helper(&self) {}
        }
    };
    let expansion = crate::actor::expand(TokenStream::new(), input);
    assert_snapshot(
        "warehouse",
        expansion.unwrap_or_else(|e| e.to_compile_error()),
    );
}

#[test]
fn watcher_actor() {
    // The other roles: hooks with and without the context, and the catch-all.
    let input = quote! {
        impl Watcher {
            #[on_start]
            fn started(&mut self, ctx: &mut Context<Self>) {}

            #[handles(Known)]
            fn on_known(&mut self, _: Known) {}

            #[handles(other)]
            fn on_other(&mut self, msg: DynMessage) {}

            #[on_stop]
            fn stopped(&self) {}
        }
    };
    let expansion = crate::actor::expand(TokenStream::new(), input);
    assert_snapshot(
        "watcher",
        expansion.unwrap_or_else(|e| e.to_compile_error()),
    );
}

#[test]
fn generic_actor() {
    // Bounds, a where clause naming `Self`, a const parameter, a type parameter named by
    // no message (`S`): the phantom variant uses it.
    let input = quote! {
        impl<T: Clone + Send + 'static, S, const N: usize> Cache<T, S, N>
        where
            S: Default + Send + 'static,
            Self: Send,
        {
            #[handles(Put<T>)]
            fn on_put(&mut self, put: Put<T>) {}

            #[handles(Get<T>)]
            fn on_get(&mut self, get: Get<T>, ctx: &mut Context<Self>) -> Option<T> {
                None
            }
        }
    };
    let expansion = crate::actor::expand(TokenStream::new(), input);
    assert_snapshot(
        "generic",
        expansion.unwrap_or_else(|e| e.to_compile_error()),
    );
}

#[test]
fn invalid_actor() {
    // What goes out on errors: the block, a stand-in impl, the errors.
    let input = quote! {
        impl Broken {
            #[handles(Ping)]
            fn on_ping(&mut self, ping: &Ping) {}

            #[handles(Ping)]
            async fn on_ping_again(&mut self, ping: Ping) {}
        }
    };
    let expansion = crate::actor::expand(TokenStream::new(), input);
    assert_snapshot(
        "invalid",
        expansion.unwrap_or_else(|e| e.to_compile_error()),
    );
}

#[test]
fn short_actor() {
    // `#[message]`: no parameter, two, the context, a deferred reply, `derive` and
    // `name`, a public method; next to an explicit handler, all with helpers.
    let input = quote! {
        impl Counter {
            /// Adds `by`.
            #[message(derive(Debug, Clone))]
            pub fn inc(&mut self, by: u64) -> u64 {
                self.n += by;
                self.n
            }

            #[message]
            fn add(&mut self, by: u64, times: u64, ctx: &mut Context<Self>) {}

            #[message(name = Wait)]
            fn when(&mut self, at: u64, ctx: &mut Context<Self>) -> Deferred<u64> {
                ctx.defer().0
            }

            #[message]
            fn reset(&mut self) {}

            #[handles(Get)]
            fn on_get(&self, _: Get) -> u64 {
                self.n
            }
        }
    };
    let expansion = crate::actor::expand(TokenStream::new(), input);
    assert_snapshot("short", expansion.unwrap_or_else(|e| e.to_compile_error()));
}

#[test]
fn generic_message() {
    let input = syn::parse_quote! {
        #[message(reply = Vec<T>)]
        enum Repeat<T: Clone, const N: usize> {
            Once(T),
            Many { value: T, times: [u8; N] },
        }
    };
    let expansion = crate::message::derive(&input);
    assert_snapshot(
        "message",
        expansion.unwrap_or_else(|e| e.to_compile_error()),
    );
}

#[test]
fn diff_shows_changed_lines_with_context() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nb\nc\nD\ne\nf\ng\nh\n";
    assert_eq!(diff(old, new), "...\n  b\n  c\n- d\n+ D\n  e\n  f\n...\n");
}
