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
//! | `#[message] fn inc(&mut self, by: u64) -> u64` | the short form: generates `struct Inc { by: u64 }` with the reply `u64` (see below) |
//! | `#[message] fn f(&self, a: A, b: B, ctx: &mut Context<Self>)` | any number of plain `name: Type` parameters, the context last; none gives a unit struct `F` |
//! | `#[message] fn f(&mut self, a: A, ctx: &mut Context<Self>) -> Deferred<R>` | replies later; the reply type is `R` |
//! | `#[message(derive(Debug, Clone, Serialize, Deserialize))]` | the derives of the generated type (for the wire, pub/sub, `{:?}`) |
//! | `#[message(name = IncBy)]` | the generated type's name, instead of the method's in UpperCamelCase |
//! | `#[message(wire_name = "counter.Inc")]` | the generated type's wire name, as `#[message(name = "..")]` sets it on a message type |
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
//! ## Messages generated from handlers: `#[message]`
//!
//! `#[message]` on a method of an `#[actor]` block writes the message type for you:
//!
//! ```text
//! #[actor]
//! impl Counter {
//!     /// Adds `by`.
//!     #[message(derive(Debug, Clone))]
//!     pub fn inc(&mut self, by: u64) -> u64 { self.n += by; self.n }
//! }
//! // generates, next to the block, in the same module:
//! /// Adds `by`.
//! #[derive(Debug, Clone)]
//! pub struct Inc { pub by: u64 }          // impl Message for Inc { type Reply = u64; }
//! ```
//!
//! - The type is named after the method in UpperCamelCase (`inc` -> `Inc`,
//!   `add_many` -> `AddMany`, `r#type` -> `Type`), or `#[message(name = ..)]`; it is a
//!   struct with one field per parameter between `self` and the optional context, in
//!   order and of the same name and type (a unit struct if there is none). Its reply is
//!   the return type (`()` if none; `R` for `Deferred<R>`).
//! - It has the method's visibility, for itself and its fields (`pub fn` gives a `pub`
//!   type); the method's doc comments are copied onto it and onto its helper (below).
//! - It derives nothing unless asked: `#[message(derive(Debug, Clone, Serialize,
//!   Deserialize))]` puts those derives on it, resolved where the block is (so import
//!   serde's, as for a hand-written message), which is what the wire (`#[actor(remote)]`,
//!   `DeMux::expose(..).handle::<Inc>()`) and pub/sub (`Clone`) need. It is in every way
//!   a message: `bridge.call(&counter, Inc { by: 2 }, timeout)`, `Recipient<Inc>`,
//!   `Counter::HANDLES` lists `"Inc"`.
//! - The name `#[message]` is also `#[derive(Message)]`'s helper on message *types*
//!   (`#[message(reply = T)]`); on a *method* it takes other keys and the reply comes
//!   from the return type, which `#[message(reply = ..)]` on a method says. There is no
//!   `#[message]` macro of its own (a macro of that name imported by the prelude would
//!   collide with the derive's helper attribute in the same module), so
//!   outside an `#[actor]` block it is the compiler's "cannot find attribute `message`"
//!   (`short-message-outside-actor`).
//! - `#[handles]` without a type stays an error, which points to `#[message]`: a
//!   forgotten type never silently generates a message.
//! - Name clashes the macro can see are errors at the method (or its `name = ..`): two
//!   methods generating one name, a name handled by a `#[handles(Name)]` of the same
//!   block, the actor's own name, its helpers trait's name, and the names of
//!   `actor_core::prelude` (which the type would hide in the module: `Stop`, `Context`,
//!   ..). A type of that name defined elsewhere in the module the macro cannot see: the
//!   compiler's "the name `Inc` is defined multiple times", at the method's name
//!   (`short-message-clashes-with-a-user-type`).
//! - Not supported, each an error saying what to write: a parameter that is not a plain
//!   name (a pattern), borrowed (`&str`, `Cow<'_, str>`; `&'static` is fine), `impl
//!   Trait`, `Self`, or a generic parameter of a generic actor (the generated type is not
//!   generic: write that message yourself), and the same for the reply; a generic method
//!   or a where clause, as for every handler.
//!
//! ## Typed helpers on `Addr<A>`
//!
//! Every `#[actor] impl Counter` also defines, next to the block, the trait
//! `CounterAddr` (`{actor}Addr`), implemented for `Addr<Counter>`, with one method per
//! typed handler (explicit or generated), named after the handler's method. It takes the
//! message (`warehouse.on_get(GetInventory)`), or for `#[message]` its fields
//! (`counter.inc(2)`), and returns an `actor_core::Request` to finish as the caller
//! chooses, without naming the message type:
//!
//! ```text
//! use counter::CounterAddr;                        // or `use counter::*;`
//! counter.inc(1).tell()?;                          // Addr::tell
//! let n = counter.inc(2).call(&bridge, timeout)?;  // Bridge::call
//! let n = counter.inc(2).call_async(&bridge, timeout).await?;   // Bridge::call_async
//! counter.inc(2).ask(ctx, timeout, |this, n, ctx| ..);          // Context::ask
//! ```
//!
//! A trait, since `Addr` is actor-core's type and a user's crate cannot add methods to
//! it: import it where the helpers are used (the prelude cannot hold user traits; a glob
//! import of the actor's module, `use super::*` in a child module, finds it). It is
//! `pub` (the macro cannot see the actor type's own visibility), with rustdoc for each
//! helper, and the block gets a doc line naming it. A handler named like an inherent
//! method of `Addr` (`tell`, `any`, `info`, ..) has its helper hidden behind that method in
//! method syntax: call it as `CounterAddr::tell(&addr, ..)`, or rename the handler.
//! In a generic actor the trait has the block's parameters: `CacheAddr<T>`. A helper
//! whose message (or actor) type is private is usable only where that type is visible:
//! the compiler's "type `Reset` is private" elsewhere. While the block has errors, the
//! generated types and the helpers trait are left out (only the errors are reported).
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
//! | `#[handles]` | needs the message type: write `#[handles(MessageType)]`, or `#[message]` to generate it | `handles-without-type` |
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
//! For `#[message]` on a method (the short form):
//!
//! | you wrote | the error says | case |
//! |---|---|---|
//! | `fn f(&mut self, name: &str)` | a message crosses threads, so the field must own its data: write `str`, `String`.. | `short-message-parameter-by-reference` |
//! | `fn f(&mut self, x: Cow<'_, str>)` | the same, at the lifetime | `short-message-parameter-with-lifetime` |
//! | `fn f(&mut self, (a, b): (u64, u64))` | each parameter becomes a field, so it needs a plain name: write `name: (u64, u64)` | `short-message-parameter-pattern` |
//! | `fn f(&mut self, job: impl FnOnce())` | needs a concrete type, not `impl Trait` | `short-message-parameter-impl-trait` |
//! | `fn f(&mut self, other: Self)` | cannot say `Self`: write the actor's type | `short-message-parameter-self-type` |
//! | `fn f(&mut self, v: T)` in `impl<T> Cache<T>` | cannot carry the generic parameter `T`: write the message type yourself | `short-message-in-generic-actor` |
//! | `fn f(&self) -> &str` | the reply must own its data | `short-message-reply-by-reference` |
//! | `#[message(reply = u64)]` on a method | the reply is the return type: write `-> u64` | `short-message-reply-key` |
//! | `#[message(derives(..))]` | unknown key: the keys are `derive(..)` and `name = ..` | `short-message-unknown-key` |
//! | a key given twice | duplicate key, with a second error at the first | `short-message-duplicate-key` |
//! | `#[message(name = "Clear")]` | `name` takes the type's name itself (the wire name is `wire_name = ".."`) | `short-message-name-not-an-identifier` |
//! | `#[message(wire_name = "counter add")]`, `wire_name = Reset` | the wire name's rules, as for `#[message(name = "..")]` on a type; takes a string literal | `short-message-wire-name-invalid` |
//! | `#[message = "Clear"]` | takes its keys in parentheses | `short-message-name-value` |
//! | two methods generating `Reset` | `clear` generates `Reset`, as `reset` does, with a second error at the first | `short-message-same-generated-name` |
//! | `#[message] fn reset` next to `#[handles(Reset)]` | `Reset` is handled already, with a second error at the `#[handles(Reset)]` | `short-message-name-of-handled-type` |
//! | `#[message] fn counter` in `impl Counter` | would be the actor's own name | `short-message-named-like-the-actor` |
//! | `#[message] fn counter_addr` in `impl Counter` | would be the helpers trait's name | `short-message-named-like-the-helpers-trait` |
//! | `#[message] fn stop` | would be `Stop`, which every actor handles: write an `#[on_stop]` hook | `short-message-named-stop` |
//! | `#[message] fn context` | would hide `actor_core::prelude::Context` | `short-message-named-like-a-prelude-item` |
//! | `#[message] fn __` | no usable type name: write `#[message(name = ..)]` | `short-message-without-a-name` |
//! | `fn f(&mut self, ctx: &mut Context<Self>, by: u64)` | the context comes last | `short-message-context-not-last` |
//! | `-> Deferred<R>` without the context | takes the context to call `ctx.defer()` | `short-message-deferred-without-context` |
//! | `fn f<T>(..)` | cannot be generic, as every handler | `short-message-generic-method` |
//! | `#[message]` and `#[handles(..)]` on one method | already has a role | `short-message-and-handles-on-one-method` |
//!
//! Found by the compiler, at the user's tokens: a field that is not `Send`, first at its
//! type (`short-message-field-not-send`); a derive not in scope, at its name
//! (`short-message-unknown-derive`); a type of the generated name defined in the module,
//! at the method's name (`short-message-clashes-with-a-user-type`); a private method's
//! type used outside its module (`short-message-private-outside-its-module`); a helper
//! called without its trait imported, with the compiler's "trait `CounterAddr` which
//! provides `inc` is implemented but not in scope" (`helper-not-imported`); a
//! `Request` built and never sent, `#[must_use]` (`helper-request-unused`).
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
//! | `#[message(response = u64)]` | unknown key: the keys are `reply` and `name` | `message-unknown-key` |
//! | `#[message(name = "")]` | the wire name is empty | `message-wire-name-empty` |
//! | `#[message(name = "shop order")]` (also `*`, `>`, `<`, non-ASCII) | holds `' '`, which a wire name cannot: ASCII letters, digits, `_`, `-`, `:`, and `.` between parts | `message-wire-name-invalid-character` |
//! | `#[message(name = ".Order")]`, `"shop..Order"` | has an empty part | `message-wire-name-empty-part` |
//! | a wire name over 128 bytes | over the limit of 128: shorten it | `message-wire-name-too-long` |
//! | `#[message(name = shop::Order)]` / `#[message(name)]` | takes the wire name as a string literal / needs the wire name | `message-wire-name-not-a-string` |
//! | `name` given twice | duplicate `name` key, with a second error at the first | `message-wire-name-duplicate-key` |
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

/// Derives `actor_core::Message`; `#[message(reply = T)]` sets the reply type,
/// `#[message(name = "shop.Order")]` the wire name (`Message::WIRE_NAME`).
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
