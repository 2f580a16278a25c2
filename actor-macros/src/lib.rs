//! Procedural macros of `actor-core`. Use them through `actor_core` (or its prelude),
//! never from this crate directly: the code they generate names `::actor_core`.
//!
//! # Writing handlers
//!
//! `#[actor]` goes on an inherent `impl` block. Each method marked `#[handles(M)]` handles
//! the message type `M`; `#[handles(other)]` marks the catch-all, `#[on_start]` and
//! `#[on_stop]` the lifecycle hooks. Other methods in the block are left alone.
//!
//! ## Accepted forms
//!
//! | form | notes |
//! |---|---|
//! | `#[handles(M)] fn f(&mut self, msg: M)` | the reply is `()` |
//! | `#[handles(M)] fn f(&self, msg: M) -> R` | `R` is `M`'s reply type (`#[message(reply = R)]`); `-> ()` may be written or left out |
//! | `#[handles(M)] fn f(&mut self, msg: M, ctx: &mut Context<Self>) -> R` | the context last; `Context<ActorName>` works too |
//! | `#[handles(M)] fn f(&mut self, msg: M, ctx: &mut Context<Self>) -> Deferred<R>` | replies later: `ctx.defer()` gives the `Reply<R>` to send from anywhere; the context is required |
//! | `#[handles(M)] fn f(&mut self, Pattern { x, .. }: M)` | any pattern binds the message |
//! | `#[handles(path::M<T>)] fn f(&mut self, msg: path::M<T>)` | any type, written the same way in both places |
//! | `#[handles(other)] fn f(&mut self, msg: DynMessage [, ctx: &mut Context<Self>])` | receives what no typed handler takes; returns nothing |
//! | `#[on_start] fn f(&mut self [, ctx: &mut Context<Self>])` | runs on the actor's thread before its first message |
//! | `#[on_stop] fn f(&self [, ctx: &mut Context<Self>])` | runs on the actor's thread when it stops |
//! | `#[actor] impl<T: Clone + Send + 'static> Cache<T> { #[handles(Put<T>)] .. }` | a generic actor: see below |
//!
//! Inside an `#[actor]` block, `#[handles(..)]`, `#[on_start]` and `#[on_stop]` need no
//! import: `#[actor]` reads them and removes them, as a derive does its helper attributes,
//! so `use actor_core::{actor, Message};` is enough, or nothing at all with
//! `#[actor_core::actor]` (`helpers-not-imported`, `qualified-actor-without-use`). They are
//! recognised by their last path segment, so `#[actor_core::handles(M)]` works too. An
//! import written for them anyway (`use actor_core::handles;`, `use actor_core as ac;` for
//! `#[ac::handles(M)]`) still counts as used: `#[actor]` has the compiler resolve each
//! path it removed once more, on a hidden item (`helper-imports-stay-used`). The one
//! exception is an import local to a function body holding the block, which is then
//! reported unused: remove it. Outside an `#[actor]` block, the attributes are macros that
//! say where they belong (`handles-outside-actor`). The generated code names everything by
//! absolute path, so it compiles next to user items called `Result`, `Option`, `Box`,
//! `Send`, `Actor`, `Context`, a local `mod std`, under `#![no_implicit_prelude]`, and
//! raises no warning under `#![deny(warnings, missing_docs)]` (the `tests/pass/` cases of
//! the `ui-tests` crate hold each of these).
//!
//! ## Generic actors
//!
//! An `#[actor]` block may have type and const parameters and a `where` clause:
//! `#[actor] impl<T: Clone + Send + 'static> Cache<T> { #[handles(Put<T>)] .. }` makes
//! `Cache<T>` an actor for each `T`, spawned, sent to and called like any other
//! (`tests/generic_actors.rs` in the workspace, `generic-actor`,
//! `generic-actor-with-where-clause`). Everything generated carries the block's parameters
//! and where clause, plus `T: Send + 'static` for each type parameter `T`, which an actor
//! and its messages need: as with `#[derive(Message)]`, a bound left out makes
//! `Cache<Rc<u8>>` no actor (an error where it is spawned, `generic-actor-of-non-send-type`)
//! rather than the block an error. A type parameter may be named by no message (state
//! only): the dispatch enum has a variant that uses every type parameter and can never be
//! built. `NAME` is the bare type name (`"Cache"`) and `HANDLES` lists the message types
//! as written (`"Put<T>"`), the same for every instantiation. A message of another
//! instantiation (`Put<u64>` sent dynamically to a `Cache<u32>`) goes to the catch-all.
//! Refused: a lifetime parameter, a bare type parameter as the message type, and
//! `#[actor(remote)]` on a generic block (see below).
//!
//! `Stop` is handled by every actor already (it runs the `#[on_stop]` hook and replies
//! `Stopped`). A macro sees how a type is written, not what it is, so the rule goes by
//! the name: `#[handles(Stop)]` and `#[handles(actor_core::Stop)]` are refused, and a
//! message type of your own called `Stop` is handled by writing its path,
//! `#[handles(self::Stop)]` or `#[handles(control::Stop)]` (`tests/pass/own-message-named-stop.rs`).
//!
//! ## Rejected forms
//!
//! Each is an error on the tokens at fault, saying what to write instead; all the
//! mistakes of one block are reported in one build (`several-mistakes-in-one-block`).
//! The case named is `ui-tests/tests/ui/<case>.rs`, with the full error in its `.stderr`.
//!
//! | you wrote | the error says | case |
//! |---|---|---|
//! | `#[actor] struct A;` (or an enum, a trait, a fn) | `#[actor]` goes on the `impl` block that holds the handlers | `actor-on-struct` |
//! | `#[actor] impl Trait for A` | `#[actor]` goes on an inherent impl block: write `impl A { .. }` | `actor-on-trait-impl` |
//! | `#[actor] impl<'a> A<'a>` | an actor outlives every borrow: remove `'a` and own the data | `actor-with-lifetime-parameter` |
//! | `#[actor] impl<M: Message> A<M> { #[handles(M)] .. }` | the message type cannot be the type parameter `M`: wrap it, as in `#[handles(Wrap<M>)]` | `handles-type-parameter` |
//! | `#[actor(remote)] impl<T> A<T>` | serves one concrete actor type over the wire: remove `remote` or make the type concrete | `remote-generic-actor` |
//! | `#[actor] unsafe impl A` | the compiler's "inherent impls cannot be unsafe", then: remove `unsafe` | `actor-on-unsafe-impl` |
//! | `#[actor(threads = 2)]` | `#[actor]` takes no arguments | `actor-with-arguments` |
//! | `#[handles]` | needs the message type: write `#[handles(MessageType)]` | `handles-without-type` |
//! | `#[handles()]` | empty: write the message type | `handles-empty` |
//! | `#[handles(Ping, Pong)]` | one message type per handler | `handles-two-types` |
//! | `#[handles("Ping")]` | takes the message type itself | `handles-not-a-type` |
//! | `#[handles(Ping)] fn f(&mut self, msg: Pong)` | declared with `Ping` but takes a `Pong`: write `msg: Ping` | `handles-other-type-than-parameter` |
//! | two `#[handles(Ping)]` methods | `Ping` is handled twice, with a second error at the first handler | `message-handled-twice` |
//! | `#[handles(Stop)]` | every actor already handles `Stop`: write an `#[on_stop]` hook | `handles-stop` |
//! | `#[handles(..)]` outside an `#[actor]` block | add `#[actor]` above the `impl` | `handles-outside-actor`, `on-start-outside-actor` |
//! | `#[handles(..)]` on a const, type or macro of the block | this attribute marks a method | `handles-on-associated-const` |
//! | `#[handle(..)]` (a misspelled helper) | the compiler's "cannot find attribute `handle`", suggesting `handles` | `handles-misspelled` |
//! | two roles on one method | `f` already has a role | `two-roles-on-one-method` |
//! | `fn f(&mut self)` | takes the message after `self`: write `fn f(&mut self, msg: Ping)` | `handler-without-message` |
//! | `fn f(&mut self, a: Ping, b: Pong)` | takes one message: give `Pong` a method of its own | `handler-two-messages` |
//! | `fn f(&mut self, msg: &Ping)` | takes the message by value: write `msg: Ping` | `message-by-reference` |
//! | `fn f(self, msg: Ping)` | borrows the actor: write `&mut self` | `self-by-value`, `hook-self-by-value` |
//! | `fn f(msg: Ping)` | is a method: add `&mut self` | `missing-self` |
//! | `async fn f(..)` | cannot be `async`: remove `async` | `async-handler` |
//! | `unsafe fn f(..)` | cannot be `unsafe fn`: remove `unsafe` | `unsafe-handler` |
//! | `fn f<T>(..)` | cannot be generic: remove the generic parameters | `generic-handler` |
//! | `fn f(..) where ..` | cannot have a where clause | `handler-where-clause` |
//! | `ctx: &Context<Self>` (or by value) | the context comes by mutable reference | `context-by-shared-reference` |
//! | `ctx: &mut Context<Other>` | the context is this actor's own: write `&mut Context<Self>` | `context-of-another-actor` |
//! | `fn f(&mut self, ctx: &mut Context<Self>, msg: Ping)` | the message comes first, then the context | `context-before-message` |
//! | `fn f(&mut self, msg: M) -> Deferred<R>` (no context) | replies later, so it takes the context to call `ctx.defer()` | `deferred-without-context` |
//! | a parameter after the context | too many parameters: remove this one | `handler-parameter-after-context` |
//! | two `#[handles(other)]` methods | an actor has one catch-all: merge them | `two-catch-alls` |
//! | `#[handles(other)] fn f(&mut self, msg: Ping)` | the catch-all receives messages of any type: write `msg: DynMessage` | `catch-all-typed-parameter` |
//! | `#[handles(other)] fn f(&mut self, msg: &DynMessage)` | takes the message by value | `catch-all-by-reference` |
//! | `#[handles(other)] fn f(..) -> bool` | returns nothing: remove `-> bool` | `catch-all-returns-value` |
//! | two `#[on_start]` (or `#[on_stop]`) methods | an actor has one such hook: merge them | `two-on-start-hooks`, `two-on-stop-hooks` |
//! | `#[on_stop(graceful)]` | takes no arguments | `hook-with-arguments` |
//! | `#[on_start] fn f(&mut self, msg: Ping)` | receives no message: its only parameter after `self` is the context | `hook-with-message-parameter` |
//! | `#[on_start] fn f(&mut self) -> bool` | returns nothing: remove `-> bool` | `hook-returns-value` |
//!
//! For `#[derive(Message)]` and `#[message(..)]`:
//!
//! | you wrote | the error says | case |
//! |---|---|---|
//! | `#[derive(Message)] union U` | works on structs and enums, not unions | `message-on-union` |
//! | `struct M<'a>` | a message must own its data: remove the lifetime | `message-with-lifetime` |
//! | `#[message]` | needs a key: write `#[message(reply = Type)]` | `message-bare` |
//! | `#[message()]` | empty: write `#[message(reply = Type)]` | `message-empty-parentheses` |
//! | `#[message = "u64"]` | takes its key in parentheses | `message-name-value` |
//! | `#[message(response = u64)]` | unknown key: the only key is `reply` | `message-unknown-key` |
//! | `#[message(reply)]` / `#[message(reply = )]` | `reply` needs a type: write `reply = Type` | `message-missing-value`, `message-empty-value` |
//! | `reply` given twice | duplicate `reply` key, with a second error at the first | `message-duplicate-key`, `message-duplicate-key-in-one-attribute` |
//! | `#[message(..)]` on a field or variant | goes on the message type itself | `message-on-field` |
//!
//! ## Errors the compiler finds
//!
//! Type errors are the compiler's, but the generated code is located at the user's
//! tokens, so they point there too:
//!
//! | mistake | reported at | case |
//! |---|---|---|
//! | a handler returns another type than its message's reply | the return type (or the name, if none): "expected `u64`, found `String`", with "expected due to this" at the type in `#[handles(..)]` | `reply-type-mismatch`, `reply-missing`, `reply-to-message-without-reply` |
//! | `#[handles(M)]` where `M` has no `#[derive(Message)]` | `M` in `#[handles(M)]`: "`M` is not a message" | `message-not-derived` |
//! | a message field that is not `Send` | the field's type | `message-not-send`, `message-enum-field-not-send` |
//! | a reply type that is not `Send` | the type in `#[message(reply = ..)]` | `reply-not-send` |
//! | an actor that is not `Send` | the type in `impl A` | `actor-not-send` |
//! | a generic actor spawned with a type argument that is not `Send` | the call: "the method `spawn` exists for `Cache<Rc<u8>>`, but its trait bounds were not satisfied", pointing at the impl's bounds | `generic-actor-of-non-send-type` |
//! | `addr.tell(m)`, `bridge.call(&addr, m, ..)`, `addr.recipient::<M>()` of a type the actor does not handle | the call: "`A` does not handle `M`", naming the types it does handle | `tell-unhandled-message`, `call-unhandled-message`, `recipient-of-unhandled-message` |
//! | `addr.tell(v)` of a value that is not a message | the value: "`&str` is not a message" | `tell-non-message` |

mod actor;
mod ctxt;
mod message;
#[cfg(test)]
mod snapshots;
mod span;
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

/// Marks a handler inside an `#[actor]` block, which reads and removes it (so it needs no
/// import there); anywhere else it is an error saying so.
#[proc_macro_attribute]
pub fn handles(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::method_attribute(symbol::HANDLES, args.into(), input.into()).into()
}

/// Marks the start hook inside an `#[actor]` block, which reads and removes it (so it needs no
/// import there); anywhere else it is an error saying so.
#[proc_macro_attribute]
pub fn on_start(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::method_attribute(symbol::ON_START, args.into(), input.into()).into()
}

/// Marks the stop hook inside an `#[actor]` block, which reads and removes it (so it needs no
/// import there); anywhere else it is an error saying so.
#[proc_macro_attribute]
pub fn on_stop(args: TokenStream, input: TokenStream) -> TokenStream {
    actor::method_attribute(symbol::ON_STOP, args.into(), input.into()).into()
}
