//! Procedural macros of `actor-core`. Use them through `actor_core` (or its prelude),
//! never from this crate directly: the code they generate names `::actor_core`.
//!
//! # Writing handlers
//!
//! `#[actor]` goes on an inherent `impl` block. Each method marked `#[handles(M)]` handles
//! the message type `M`:
//!
//! | form | accepted |
//! |---|---|
//! | `fn f(&mut self, msg: M)` | yes; reply `()` |
//! | `fn f(&self, msg: M) -> R` | yes; `R` must be `M`'s reply type |
//! | `fn f(&mut self, msg: M, ctx: &mut Context<Self>) -> R` | yes |
//! | `fn f(&mut self, Pattern(x): M)` | yes: any pattern |
//! | `fn f(self, msg: M)` | no: a handler borrows the actor |
//! | `fn f(&mut self, msg: &M)` | no: the message comes by value |
//! | `fn f(&mut self)` / `fn f(&mut self, a: M, b: N)` | no: exactly one message |
//! | `async fn`, `fn f<T>` | no: handlers are plain, non-generic methods |
//!
//! `#[handles(other)] fn f(&mut self, msg: DynMessage [, ctx])` receives dynamic messages
//! no typed handler takes. `#[on_start]` and `#[on_stop]` methods take `&mut self` (or
//! `&self`) and optionally the context, and run on the actor's own thread.
//!
//! Every rule is checked with an error on the tokens at fault; the cases are pinned in
//! the `ui-tests` crate of the repository.

mod actor;
mod ctxt;
mod message;
mod symbol;

use proc_macro::TokenStream;

/// Turns an inherent `impl` block with `#[handles(M)]` methods into an actor.
#[proc_macro_attribute]
pub fn actor(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::expand(args.into(), input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `actor_core::Message`; `#[message(reply = T)]` sets the reply type.
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    message::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Marks a handler; only meaningful inside an `#[actor]` block, which consumes it.
#[proc_macro_attribute]
pub fn handles(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::misplaced(symbol::HANDLES, args.into(), input.into()).into()
}

/// Marks the start hook; only meaningful inside an `#[actor]` block, which consumes it.
#[proc_macro_attribute]
pub fn on_start(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::misplaced(symbol::ON_START, args.into(), input.into()).into()
}

/// Marks the stop hook; only meaningful inside an `#[actor]` block, which consumes it.
#[proc_macro_attribute]
pub fn on_stop(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::misplaced(symbol::ON_STOP, args.into(), input.into()).into()
}
