//! Tokens out, from a model already known to be valid.
//!
//! For `#[actor] impl A` this emits, next to the cleaned block, inside `const _: () = {..}`
//! so nothing leaks into the user's namespace:
//! - `enum __ActorDispatch { __M0(Msg0, ReplyTo<Reply0>, Stamp0), .. }`, carried by the
//!   mailbox (`Stamp0`: `Sender` if the handler takes a `Context`, else `Unstamped`);
//! - `impl Actor for A`: the dispatch `match`, dynamic conversion, hooks, registry;
//! - `impl Handler<Msg> for A` per handler: packing a message into mail.
//!
//! A generic block (`impl<T: Clone + Send + 'static> Cache<T> where ..`) gives each of
//! these its parameters and where clause (see `Params`); the enum then has one more
//! variant, `__Phantom`, that uses every type parameter and can never be built, so that a
//! parameter named by no message type (state only) is still used.
//!
//! Code that can fail to type-check is located at the user's tokens (the message type in
//! `#[handles(..)]`, the handler's return type, the context parameter), so the compiler's
//! errors point there and not at `#[actor]`.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::{parse_quote, GenericParam, Generics, Ident, ReturnType, Type};

use super::ast::{is_core_stop, is_type_parameter, type_key, Actor, Generated, Method};
use super::attr::{self, Role};
use crate::span::{at, at_range, of, relocated};

/// `::actor_core::__private`: every runtime item generated code names.
fn private() -> TokenStream {
    private_at(Span::call_site())
}

/// `::actor_core::__private`, located at `span` along with the code that names it.
fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::actor_core::__private)
}

/// One `#[handles(M)]` method and its place in the dispatch enum.
struct Typed<'a> {
    method: &'a Method,
    ty: &'a Type,
    index: usize,
}

impl Typed<'_> {
    /// The dispatch variant, `__M0`, with the span of the code that names it: an
    /// identifier located elsewhere than its neighbours would stretch their reported
    /// range to `#[actor]`.
    fn variant(&self, span: Span) -> Ident {
        format_ident!("__M{}", self.index, span = span)
    }
}

/// The impl block's generic parameters, as each generated item needs them. All empty for
/// a concrete actor, whose expansion is then the same as without this.
struct Params {
    /// `<T: Clone, const N: usize>`: the impl's own, for the generated impls and the enum.
    impl_generics: TokenStream,
    /// `<T, N>`: the arguments of `__Self` and `__ActorDispatch`.
    ty_generics: TokenStream,
    /// The impl's where clause, for the generated impls, with `T: Send + 'static` for
    /// each type parameter: what an actor and its messages need, so that a bound the
    /// user left out makes `Cache<Rc<u8>>` no actor, instead of errors all over the
    /// expansion (as `#[derive(Message)]` does for a message).
    where_clause: TokenStream,
    /// The same for the enum, where `Self` would mean the enum: it says `__Self<T, N>`.
    enum_where_clause: TokenStream,
    /// `<T, const N: usize>`: the parameters of the alias `__Self`, without bounds (an
    /// alias does not check them, and warns about them).
    alias_generics: TokenStream,
    /// The type parameters, which the phantom variant uses.
    types: Vec<Ident>,
}

impl Params {
    fn new(generics: &Generics) -> Self {
        let mut bounded = generics.clone();
        let types: Vec<Ident> = generics
            .type_params()
            .map(|param| param.ident.clone())
            .collect();
        let predicates = &mut bounded.make_where_clause().predicates;
        for ident in &types {
            predicates.push(parse_quote!(#ident: ::core::marker::Send + 'static));
        }
        let (impl_generics, ty_generics, where_clause) = bounded.split_for_impl();
        let ty_generics = ty_generics.to_token_stream();
        let where_clause = where_clause.to_token_stream();
        let alias_self = quote!(__Self #ty_generics);
        let enum_where_clause = replace_self(where_clause.clone(), &alias_self);
        let mut bare = generics.clone();
        bare.where_clause = None;
        for param in &mut bare.params {
            match param {
                GenericParam::Type(param) => {
                    param.colon_token = None;
                    param.bounds.clear();
                    param.eq_token = None;
                    param.default = None;
                }
                GenericParam::Const(param) => {
                    param.eq_token = None;
                    param.default = None;
                }
                GenericParam::Lifetime(param) => {
                    param.colon_token = None;
                    param.bounds.clear();
                }
            }
        }
        Params {
            impl_generics: impl_generics.to_token_stream(),
            ty_generics,
            where_clause,
            enum_where_clause,
            alias_generics: bare.split_for_impl().0.to_token_stream(),
            types,
        }
    }

    /// `type __Self<T> = A<T>;`: the actor's type, by a name each impl header can be
    /// located at.
    fn alias(&self, self_ty: &Type) -> TokenStream {
        let generics = &self.alias_generics;
        quote!(type __Self #generics = #self_ty;)
    }

    /// `__ActorDispatch<T, N>`, as a type.
    fn dispatch(&self) -> TokenStream {
        let args = &self.ty_generics;
        quote!(__ActorDispatch #args)
    }

    /// The enum itself, with `variants` and, for a generic actor, the phantom variant.
    fn dispatch_enum(&self, variants: TokenStream) -> TokenStream {
        let generics = &self.impl_generics;
        let where_clause = &self.enum_where_clause;
        let phantom = (!self.types.is_empty()).then(|| {
            let types = &self.types;
            quote!(__Phantom(
                ::core::marker::PhantomData<fn() -> (#(#types,)*)>,
                ::core::convert::Infallible,
            ),)
        });
        quote! {
            #[doc(hidden)]
            #[allow(private_interfaces, private_bounds, non_camel_case_types)]
            pub enum __ActorDispatch #generics #where_clause {
                #variants
                #phantom
            }
        }
    }

    /// The match arm of the phantom variant, which no value has.
    fn phantom_arm(&self) -> Option<TokenStream> {
        (!self.types.is_empty())
            .then(|| quote!(__ActorDispatch::__Phantom(_, __never) => match __never {},))
    }

    /// The same arm, for a match on the dispatch enum behind a reference.
    fn phantom_ref_arm(&self) -> Option<TokenStream> {
        (!self.types.is_empty())
            .then(|| quote!(__ActorDispatch::__Phantom(_, ref __never) => match *__never {},))
    }
}

/// The attribute paths `#[actor]` removed from the block, each resolved once more on a
/// hidden item, so that an import the user wrote for them (`use actor_core::handles;`)
/// is used, not warned about, while a path not in scope still works:
///
/// ```text
/// mod __actor_helpers {
///     use super::*;                    // the user's names, first
///     use ::actor_core::prelude::*;    // the helpers, for a path the user did not import
///     #[handles(__consumed_by_actor)] const _: () = ();
/// }
/// ```
///
/// Both globs bring the same attribute macro, which is no ambiguity; the first binding,
/// the user's, is the one used. A `super::` path reaches one module further out.
fn helper_paths(actor: &Actor) -> Option<TokenStream> {
    if actor.helper_paths.is_empty() {
        return None;
    }
    let mark = attr::consumed_mark();
    let items = actor.helper_paths.iter().map(|path| {
        let path = match path.segments.first() {
            Some(first) if path.leading_colon.is_none() && first.ident == "super" => {
                quote!(super::#path)
            }
            _ => quote!(#path),
        };
        quote!(#[#path(#mark)] const _: () = ();)
    });
    Some(quote! {
        #[allow(unused_imports)]
        mod __actor_helpers {
            use super::*;
            use ::actor_core::prelude::*;
            #(#items)*
        }
    })
}

/// `tokens` with every `Self` replaced by `with`.
fn replace_self(tokens: TokenStream, with: &TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|token| match token {
            TokenTree::Ident(ident) if ident == "Self" => with.clone(),
            TokenTree::Group(group) => {
                let mut copy = Group::new(group.delimiter(), replace_self(group.stream(), with));
                copy.set_span(group.span());
                TokenTree::Group(copy).into_token_stream()
            }
            other => other.into_token_stream(),
        })
        .collect()
}

/// The actor's impls; with `remote`, also the list of its handlers for the wire.
pub fn actor(actor: &Actor, remote: bool) -> TokenStream {
    let mut item = actor.item.clone();
    let helpers = helpers_trait(actor);
    item.attrs.push(helpers_doc(actor));
    let item = &item;
    let generated = actor
        .methods
        .iter()
        .filter_map(|method| Some(generated_message(actor, method, method.generated.as_ref()?)));
    let self_ty = actor.self_ty();
    let name = &actor.name;
    let private = private();
    let result = quote!(::core::result::Result);
    let params = Params::new(&item.generics);
    let dispatch = params.dispatch();

    let typed: Vec<Typed> = actor
        .handlers()
        .enumerate()
        .map(|(index, (method, ty))| Typed { method, ty, index })
        .collect();
    let names: Vec<String> = typed.iter().map(|typed| type_key(typed.ty)).collect();

    // Located at `M` as a whole (variant names are not hygienic), so that a message type
    // that is not a `Message` is reported there.
    let variant_defs = typed.iter().map(|typed| {
        let ty = typed.ty;
        let variant = typed.variant(of(ty));
        let reply = reply_slot(ty);
        let stamp = stamp_type(typed);
        quote_spanned!(of(ty)=> #variant(#ty, #reply, #stamp))
    });
    let arms = typed.iter().map(dispatch_arm);
    let from_dyn_steps = typed.iter().map(from_dyn_step);
    let take_steps = typed.iter().map(take_step);
    let into_dyn_arms = typed.iter().map(into_dyn_arm);
    let phantom_arm = params.phantom_arm();
    let phantom_ref_arm = params.phantom_ref_arm();
    // Which entry of `HANDLES` a piece of typed mail is, for its span's message name.
    let index_arms = typed.iter().map(|typed| {
        let variant = typed.variant(Span::call_site());
        let index = typed.index;
        quote!(__ActorDispatch::#variant(..) => #index,)
    });
    // The Rust type of the message in typed mail, read without moving it (a dead letter
    // is recorded before its reply slot is dropped).
    let type_name_arms = typed.iter().map(|typed| {
        let variant = typed.variant(Span::call_site());
        let ty = relocated(typed.ty);
        quote!(__ActorDispatch::#variant(..) => ::core::any::type_name::<#ty>(),)
    });
    let handler_impls = typed.iter().map(|typed| handler_impl(typed, &params));

    let catch_all = actor.hook(|role| matches!(role, Role::CatchAll)).map(|method| {
        let call = call(method, quote!(__msg,), at_range(method.ident()));
        quote! {
            fn __catch_all(&mut self, __msg: #private::DynMessage, __ctx: &mut #private::Context<Self>) {
                #call;
            }
        }
    });
    let has_catch_all = catch_all.is_some();
    let hook = |wanted: fn(&Role) -> bool, fn_name: &str| {
        actor.hook(wanted).map(|method| {
            let fn_name = Ident::new(fn_name, Span::call_site());
            let call = call(method, quote!(), at_range(method.ident()));
            quote! {
                fn #fn_name(&mut self, __ctx: &mut #private::Context<Self>) {
                    #call;
                }
            }
        })
    };
    let on_start = hook(|role| matches!(role, Role::OnStart), "__on_start");
    // Without `#[on_start]`, a driver need not run a first turn at spawn.
    let no_on_start = on_start.is_none().then(|| {
        quote!(
            const __ON_START: bool = false;
        )
    });
    let on_stop = hook(|role| matches!(role, Role::OnStop), "__on_stop");
    let actor_header = actor_header(self_ty, &params);
    let alias = params.alias(self_ty);
    let dispatch_enum = params.dispatch_enum(quote!(#(#variant_defs,)*));
    let helper_paths = helper_paths(actor);
    // Through a `macro_rules!` of actor-core, which knows whether its `wire` feature is on
    // (and says so at compile time if it is not).
    let remote = remote.then(|| {
        let types = typed.iter().map(|typed| typed.ty);
        quote!(#private::remote_actor!(__Self; #(#types),*);)
    });

    quote! {
        #item

        #(#generated)*

        #helpers

        const _: () = {
            #dispatch_enum

            #alias

            #actor_header {
                const NAME: &'static str = #name;
                const HANDLES: &'static [&'static str] = &[#(#names),*];
                const __CATCH_ALL: bool = #has_catch_all;
                #no_on_start
                type Dispatch = #dispatch;

                #[inline]
                #[allow(unused_variables)]
                fn __dispatch(&mut self, __msg: #dispatch, __ctx: &mut #private::Context<Self>) {
                    match __msg {
                        #(#arms)*
                        #phantom_arm
                    }
                }

                #[allow(unused_mut, unused_variables)]
                fn __from_dyn(
                    __msg: #private::DynMessage,
                    __sender: &mut #private::Sender,
                ) -> #result<#dispatch, #private::DynMessage> {
                    let mut __msg = __msg;
                    #(#from_dyn_steps)*
                    #result::Err(__msg)
                }

                // Called from one place per actor (`post_typed`): inlined there, each step
                // is a type-id comparison.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __take(
                    __slot: &mut dyn ::core::any::Any,
                    __sender: &mut #private::Sender,
                ) -> ::core::option::Option<#dispatch> {
                    #(#take_steps)*
                    ::core::option::Option::None
                }

                fn __into_dyn(__msg: #dispatch) -> #private::DynMessage {
                    match __msg {
                        #(#into_dyn_arms)*
                        #phantom_arm
                    }
                }

                fn __message_index(__msg: &#dispatch) -> usize {
                    match *__msg {
                        #(#index_arms)*
                        #phantom_ref_arm
                    }
                }

                fn __type_name(__msg: &#dispatch) -> &'static str {
                    match *__msg {
                        #(#type_name_arms)*
                        #phantom_ref_arm
                    }
                }

                #catch_all
                #on_start
                #on_stop
            }

            #(#handler_impls)*

            #remote

            #helper_paths
        };
    }
}

/// `impl<..> Actor for __Self<..> where ..`, located at the actor's type in `impl A`.
/// `__Self` is the alias `type __Self = A;`, so that each impl header can be located
/// where it belongs.
fn actor_header(self_ty: &Type, params: &Params) -> TokenStream {
    let private = private_at(of(self_ty));
    let Params {
        impl_generics,
        ty_generics,
        where_clause,
        ..
    } = params;
    quote_spanned! {of(self_ty)=>
        #[automatically_derived]
        impl #impl_generics #private::Actor for __Self #ty_generics #where_clause
    }
}

/// Where the variant keeps its message's sender: `Sender` if the handler takes a
/// `Context` (it can look), `Unstamped` (no bytes) if not.
fn stamp_type(typed: &Typed) -> TokenStream {
    let private = private_at(of(typed.ty));
    if typed.method.context().is_some() {
        quote_spanned!(of(typed.ty)=> #private::Sender)
    } else {
        quote_spanned!(of(typed.ty)=> #private::Unstamped)
    }
}

/// `ReplyTo<<M as Message>::Reply>`, located at `M` so that "`M` is not a message"
/// points at the type in `#[handles(M)]`.
fn reply_slot(ty: &Type) -> TokenStream {
    let private = private_at(of(ty));
    quote_spanned!(of(ty)=> #private::ReplyTo<<#ty as #private::Message>::Reply>)
}

/// `__ActorDispatch::__M0(__msg, __reply, __stamp) => { Stamp::enter(__stamp, __ctx);
/// __reply.complete(|| <call>) }`, the sender handed to the context first, the call
/// bound to the reply type: a handler returning another type is a mismatch located at
/// its return type (or its name, if it has none), expected because of the message type
/// in `#[handles(..)]`.
fn dispatch_arm(typed: &Typed) -> TokenStream {
    let Typed { method, ty, .. } = typed;
    let variant = typed.variant(at(ty));
    let returns = match &method.sig.output {
        ReturnType::Type(_, ty) => at_range(ty),
        ReturnType::Default => at_range(method.ident()),
    };
    let call = call(method, message_arguments(method), returns);
    // The rest of the arm is located at `M` (with call-site hygiene, for its locals), so
    // that "`M` is not a message" is reported there and not at `#[actor]`.
    let private = private_at(at(ty));
    let ty = relocated(ty);
    if method.deferred().is_some() {
        // The reply slot waits in the context for `ctx.defer()`; the handler's
        // `Deferred<R>` must name the message's reply type.
        return quote_spanned! {at(&ty)=>
            __ActorDispatch::#variant(__msg, __reply, __stamp) => {
                #private::Stamp::enter(__stamp, __ctx);
                #private::deferred(__reply, __ctx, |__ctx| {
                    let __later: #private::Deferred<<#ty as #private::Message>::Reply> = #call;
                    __later
                })
            }
        };
    }
    quote_spanned! {at(&ty)=>
        __ActorDispatch::#variant(__msg, __reply, __stamp) => {
            #private::Stamp::enter(__stamp, __ctx);
            __reply.complete(|| {
                let __value: <#ty as #private::Message>::Reply = #call;
                __value
            })
        }
    }
}

/// What the handler is passed: the message, or for `#[message]` its fields, in order.
fn message_arguments(method: &Method) -> TokenStream {
    match &method.generated {
        Some(generated) => {
            let fields = generated.fields.iter().map(|(ident, _)| ident);
            quote!(#(__msg.#fields,)*)
        }
        None => quote!(__msg,),
    }
}

/// One arm of `__into_dyn`: typed mail back as a dynamic message.
fn into_dyn_arm(typed: &Typed) -> TokenStream {
    let ty = typed.ty;
    let variant = typed.variant(at(ty));
    let private = private_at(at(ty));
    quote_spanned! {at(ty)=>
        __ActorDispatch::#variant(__msg, _, _) => #private::DynMessage::new(__msg),
    }
}

/// One step of `__from_dyn`: the dynamic message as `M`, with the sender taken into it
/// as `__pack` does, or on to the next type.
fn from_dyn_step(typed: &Typed) -> TokenStream {
    let ty = typed.ty;
    let variant = typed.variant(at(ty));
    let private = private_at(at(ty));
    let ty = relocated(ty);
    quote_spanned! {at(&ty)=>
        __msg = match __msg.downcast::<#ty>() {
            ::core::result::Result::Ok(__typed) => {
                return ::core::result::Result::Ok(
                    __ActorDispatch::#variant(
                        __typed,
                        #private::ReplyTo::none(),
                        #private::Stamp::from_sender(::core::mem::take(__sender)),
                    ),
                );
            }
            ::core::result::Result::Err(__other) => __other,
        };
    }
}

/// One step of `__take`: if the slot holds an `Option<M>`, take the message out.
fn take_step(typed: &Typed) -> TokenStream {
    let ty = typed.ty;
    let variant = typed.variant(at(ty));
    let private = private_at(at(ty));
    let ty = relocated(ty);
    quote_spanned! {at(&ty)=>
        if let ::core::option::Option::Some(__slot) =
            __slot.downcast_mut::<::core::option::Option<#ty>>()
        {
            return match __slot.take() {
                ::core::option::Option::Some(__typed) => ::core::option::Option::Some(
                    __ActorDispatch::#variant(
                        __typed,
                        #private::ReplyTo::none(),
                        #private::Stamp::from_sender(::core::mem::take(__sender)),
                    ),
                ),
                ::core::option::Option::None => ::core::option::Option::None,
            };
        }
    }
}

/// `impl<..> Handler<M> for __Self<..> where ..`, located at `M` in `#[handles(M)]`: what
/// "`A` does not handle `N`, but it handles `M`" points at.
fn handler_header(ty: &Type, params: &Params) -> TokenStream {
    let private = private_at(of(ty));
    let Params {
        impl_generics,
        ty_generics,
        where_clause,
        ..
    } = params;
    quote_spanned! {of(ty)=>
        #[automatically_derived]
        impl #impl_generics #private::Handler<#ty> for __Self #ty_generics #where_clause
    }
}

/// `impl Handler<M> for A`: packing a message into mail. All of it is located at `M`
/// (its locals are its own, so no hygiene is at stake), so that the compiler reports the
/// impl there and not at `#[actor]`.
fn handler_impl(typed: &Typed, params: &Params) -> TokenStream {
    let ty = typed.ty;
    let variant = typed.variant(of(ty));
    let private = private_at(of(ty));
    let header = handler_header(ty, params);
    let reply = reply_slot(ty);
    // A handler without a `Context` cannot see its sender: senders need not stamp one.
    let sender = typed
        .method
        .context()
        .is_none()
        .then(|| quote_spanned!(of(ty)=> const __SENDER: bool = false;));
    quote_spanned! {of(ty)=>
        #header {
            #sender

            #[inline]
            fn __pack(
                __msg: #ty,
                __reply: #reply,
                __sender: #private::Sender,
            ) -> #private::Mail<Self> {
                #private::Mail::Typed(__ActorDispatch::#variant(
                    __msg,
                    __reply,
                    #private::Stamp::from_sender(__sender),
                ))
            }

            fn __unpack(__mail: #private::Mail<Self>) -> #ty {
                match __mail {
                    #private::Mail::Typed(__ActorDispatch::#variant(__msg, _, _)) => __msg,
                    _ => #private::__mismatched_mail(),
                }
            }
        }
    }
}

/// `Self::method(self, <message>, __ctx)`, located from `first` to `last`, passing the
/// context (located at the user's context parameter) only if the method takes it.
fn call(method: &Method, message: TokenStream, (first, last): (Span, Span)) -> TokenStream {
    let ident = method.ident();
    let ctx = method.context().map(|ty| quote_spanned!(at(ty)=> __ctx));
    let mut args = Group::new(
        Delimiter::Parenthesis,
        quote_spanned!(first=> self, #message #ctx),
    );
    args.set_span(last);
    quote_spanned!(first=> Self::#ident #args)
}

/// What goes out when the block has errors: the block itself and an `impl Actor` that
/// handles only `Stop`, plus `impl Handler<M>` for each declared message type, so that
/// uses of the actor elsewhere (`spawn`, `tell`, `Context<Self>`) raise no errors of their
/// own and the user sees just the mistakes in the block. Left out for a trait impl, which
/// has no actor type of its own, and for a block with a lifetime parameter, refused.
pub fn fallback(actor: &Actor) -> TokenStream {
    let mut item = actor.item.clone();
    // Already reported: the compiler need not report it again.
    item.unsafety = None;
    let helper_paths = helper_paths(actor);
    if item.trait_.is_some() || item.generics.lifetimes().next().is_some() {
        return quote!(#item const _: () = { #helper_paths };);
    }
    let self_ty = actor.self_ty();
    let name = &actor.name;
    let private = private();
    let params = Params::new(&item.generics);
    let dispatch = params.dispatch();
    let phantom_arm = params.phantom_arm();
    let mut seen = Vec::new();
    let handler_impls = actor.handlers().filter_map(|(method, ty)| {
        // A generated type is not emitted while the block has errors.
        if method.generated.is_some() {
            return None;
        }
        let key = type_key(ty);
        // Already reported, and each would conflict with the runtime's `Handler<Stop>`.
        if seen.contains(&key) || is_core_stop(ty) || is_type_parameter(&item.generics, ty) {
            return None;
        }
        seen.push(key);
        let header = handler_header(ty, &params);
        let reply = reply_slot(ty);
        let private = private_at(of(ty));
        Some(quote_spanned! {of(ty)=>
            #header {
                fn __pack(_: #ty, _: #reply, _: #private::Sender) -> #private::Mail<Self> {
                    #private::__mismatched_mail()
                }

                fn __unpack(_: #private::Mail<Self>) -> #ty {
                    #private::__mismatched_mail()
                }
            }
        })
    });
    let handler_impls: Vec<TokenStream> = handler_impls.collect();
    let actor_header = actor_header(self_ty, &params);
    let alias = params.alias(self_ty);
    let dispatch_enum = params.dispatch_enum(TokenStream::new());
    quote! {
        #item

        const _: () = {
            #dispatch_enum

            #alias

            #actor_header {
                const NAME: &'static str = #name;
                const HANDLES: &'static [&'static str] = &[];
                const __CATCH_ALL: bool = false;
                type Dispatch = #dispatch;

                fn __dispatch(&mut self, __msg: #dispatch, _: &mut #private::Context<Self>) {
                    match __msg {
                        #phantom_arm
                    }
                }

                fn __from_dyn(
                    __msg: #private::DynMessage,
                    _: &mut #private::Sender,
                ) -> ::core::result::Result<#dispatch, #private::DynMessage> {
                    ::core::result::Result::Err(__msg)
                }

                fn __into_dyn(__msg: #dispatch) -> #private::DynMessage {
                    match __msg {
                        #phantom_arm
                    }
                }
            }

            #(#handler_impls)*

            #helper_paths
        };
    }
}

/// The message type a `#[message]` method generates, and its `impl Message` (as
/// `#[derive(Message)]` writes it, so a field that is not `Send` is reported at its type):
///
/// ```text
/// /// <the method's docs>
/// #[derive(..)]                 // as given in `#[message(derive(..))]`
/// pub struct Inc { pub by: u64 } // the method's visibility, at the method's name
/// ```
fn generated_message(actor: &Actor, method: &Method, generated: &Generated) -> TokenStream {
    let Generated {
        ident,
        fields,
        reply,
        derives,
        wire_name,
        ..
    } = generated;
    let vis = &method.vis;
    let docs = &method.docs;
    let origin = format!(
        " The message of `{}::{}`, generated by `#[message]`; its reply is `{}`.",
        actor.name,
        method.ident(),
        type_key(reply)
    );
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    let derive = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));
    let body = if fields.is_empty() {
        quote!(;)
    } else {
        let fields = fields.iter().map(|(field, ty)| {
            let doc = format!(
                " The `{field}` parameter of `{}::{}`.",
                actor.name,
                method.ident()
            );
            quote!(#[doc = #doc] #vis #field: #ty,)
        });
        quote!(#(#fields)*)
    };
    // Located at the method's name as a whole, so that the compiler's "the name `Inc` is
    // defined multiple times" (a type of the user's) points there.
    let span = ident.span();
    let body = match body {
        _ if fields.is_empty() => quote_spanned!(span=> ;),
        body => {
            let mut group = Group::new(Delimiter::Brace, body);
            group.set_span(span);
            group.into_token_stream()
        }
    };
    let definition = quote_spanned! {span=>
        #(#docs)*
        #separator
        #[doc = #origin]
        #derive
        #vis struct #ident #body
    };
    let input: syn::DeriveInput =
        syn::parse2(definition.clone()).expect("a generated message type parses");
    let message = crate::message::impl_message(&input, Some(reply.clone()), wire_name.clone());
    quote! {
        #definition
        #message
    }
}

/// The doc line added to the `#[actor]` block, which rustdoc shows on the actor's page:
/// where its typed helpers are.
fn helpers_doc(actor: &Actor) -> syn::Attribute {
    let doc = format!(
        " Handlers of `{name}`. Its `Addr<{name}>` has a typed helper per handler, named after it, in the trait `{name}{}` next to this block: import it to write `addr.handler(..).tell()`, `.call(&bridge, timeout)`, `.call_async(&bridge, timeout)` or `.ask(ctx, timeout, then)`.",
        crate::symbol::ADDR_SUFFIX,
        name = actor.name,
    );
    syn::parse_quote!(#[doc = #doc])
}

/// `pub trait CounterAddr { fn inc(&self, by: u64) -> Request<'_, Counter, Inc>; .. }`
/// and its impl for `Addr<Counter>`: one helper per typed handler, named after the
/// handler's method, taking the message (or, for `#[message]`, its fields).
fn helpers_trait(actor: &Actor) -> TokenStream {
    let private = private();
    let self_ty = actor.self_ty();
    let self_tokens = self_ty.to_token_stream();
    let name = &actor.name;
    let trait_ident = actor.helpers_trait();
    let params = Params::new(&actor.item.generics);
    let impl_generics = &params.impl_generics;
    let ty_generics = &params.ty_generics;
    let where_clause = replace_self(params.where_clause.clone(), &self_tokens);
    let mut decls = Vec::new();
    let mut defs = Vec::new();
    for (method, ty) in actor.handlers() {
        let ident = method.ident();
        let ty = replace_self(ty.to_token_stream(), &self_tokens);
        let (inputs, message) = match &method.generated {
            Some(generated) => {
                let names: Vec<&Ident> = generated.fields.iter().map(|(field, _)| field).collect();
                let types = generated.fields.iter().map(|(_, ty)| ty);
                let built = if names.is_empty() {
                    quote!(#ty)
                } else {
                    quote!(#ty { #(#names),* })
                };
                (quote!(#(#names: #types),*), built)
            }
            None => (quote!(msg: #ty), quote!(msg)),
        };
        let mut doc = format!(
            " Addresses the message `{}` to `{name}::{ident}`: finish with `.tell()`, `.call(&bridge, timeout)`, `.call_async(&bridge, timeout)` or `.ask(ctx, timeout, then)`.",
            type_key(&syn::parse2(ty.clone()).unwrap_or_else(|_| syn::parse_quote!(_)))
        );
        if let Some(generated) = &method.generated {
            doc.push_str(&format!(" The reply is `{}`.", type_key(&generated.reply)));
        }
        let docs = &method.docs;
        let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
        let sig = quote! {
            fn #ident(&self, #inputs) -> #private::Request<'_, #self_tokens, #ty>
        };
        decls.push(quote! {
            #(#docs)*
            #separator
            #[doc = #doc]
            #sig;
        });
        defs.push(quote! {
            #[inline]
            #sig {
                #private::Request::new(self, #message)
            }
        });
    }
    let doc = format!(
        " Typed helpers on `Addr<{name}>`, generated by `#[actor]`: one per handler of `{name}`, named after its method, returning an `actor_core::Request` to finish with `.tell()`, `.call(&bridge, timeout)`, `.call_async(&bridge, timeout)` or `.ask(ctx, timeout, then)`. Import it where the helpers are used (`use path::to::{trait_ident};`, or a glob import of this module)."
    );
    quote! {
        #[doc = #doc]
        #[allow(dead_code, private_interfaces, private_bounds)]
        pub trait #trait_ident #impl_generics #where_clause {
            #(#decls)*
        }

        #[automatically_derived]
        #[allow(private_interfaces, private_bounds)]
        impl #impl_generics #trait_ident #ty_generics for #private::Addr<#self_tokens> #where_clause {
            #(#defs)*
        }
    }
}
