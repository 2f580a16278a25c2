//! Tokens out, from a model already known to be valid.
//!
//! For `#[actor] impl A` this emits, next to the cleaned block, inside `const _: () = {..}`
//! so nothing leaks into the user's namespace:
//! - `enum __ActorDispatch { __M0(Msg0, ReplyTo<Reply0>), .. }`, carried by the mailbox;
//! - `impl Actor for A`: the dispatch `match`, dynamic conversion, hooks, registry;
//! - `impl Handler<Msg> for A` per handler: packing a message into mail.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use super::ast::{type_key, Actor, Method};
use super::attr::Role;

pub fn actor(actor: &Actor) -> TokenStream {
    let item = &actor.item;
    let self_ty = actor.self_ty();
    let name = &actor.name;
    let private = quote!(::actor_core::__private);
    let result = quote!(::core::result::Result);

    let handlers: Vec<(&Method, &Type)> = actor.handlers().collect();
    let variants: Vec<_> = (0..handlers.len())
        .map(|i| format_ident!("__M{}", i))
        .collect();
    let types: Vec<&Type> = handlers.iter().map(|(_, ty)| *ty).collect();
    let names: Vec<String> = types.iter().map(|ty| type_key(ty)).collect();

    let arms = handlers
        .iter()
        .zip(&variants)
        .map(|((method, _), variant)| {
            let call = call(method, 2, quote!(__msg,));
            // Spanned at the handler's return type, so a reply type mismatch points there.
            let span = match &method.sig.output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => method.ident().span(),
            };
            let complete = quote_spanned!(span=> __reply.complete(|| #call));
            quote!(__ActorDispatch::#variant(__msg, __reply) => #complete,)
        });

    let catch_all = actor.hook(|role| matches!(role, Role::CatchAll)).map(|method| {
        let call = call(method, 2, quote!(__msg,));
        quote! {
            fn __catch_all(&mut self, __msg: #private::DynMessage, __ctx: &mut #private::Context<Self>) {
                #call;
            }
        }
    });
    let has_catch_all = catch_all.is_some();
    let hook = |wanted: fn(&Role) -> bool, fn_name: &str| {
        actor.hook(wanted).map(|method| {
            let fn_name = syn::Ident::new(fn_name, Span::call_site());
            let call = call(method, 1, quote!());
            quote! {
                fn #fn_name(&mut self, __ctx: &mut #private::Context<Self>) {
                    #call;
                }
            }
        })
    };
    let on_start = hook(|role| matches!(role, Role::OnStart), "__on_start");
    let on_stop = hook(|role| matches!(role, Role::OnStop), "__on_stop");

    let handler_impls = types.iter().zip(&variants).map(|(ty, variant)| {
        quote! {
            #[automatically_derived]
            impl #private::Handler<#ty> for #self_ty {
                #[inline]
                fn __pack(
                    __msg: #ty,
                    __reply: #private::ReplyTo<<#ty as #private::Message>::Reply>,
                ) -> #private::Mail<Self> {
                    #private::Mail::Typed(__ActorDispatch::#variant(__msg, __reply))
                }

                fn __unpack(__mail: #private::Mail<Self>) -> #ty {
                    match __mail {
                        #private::Mail::Typed(__ActorDispatch::#variant(__msg, _)) => __msg,
                        _ => #private::__mismatched_mail(),
                    }
                }
            }
        }
    });

    quote! {
        #item

        const _: () = {
            #[doc(hidden)]
            #[allow(private_interfaces, non_camel_case_types)]
            pub enum __ActorDispatch {
                #( #variants(#types, #private::ReplyTo<<#types as #private::Message>::Reply>), )*
            }

            #[automatically_derived]
            impl #private::Actor for #self_ty {
                const NAME: &'static str = #name;
                const HANDLES: &'static [&'static str] = &[#(#names),*];
                const __CATCH_ALL: bool = #has_catch_all;
                type Dispatch = __ActorDispatch;

                #[inline]
                #[allow(unused_variables)]
                fn __dispatch(&mut self, __msg: __ActorDispatch, __ctx: &mut #private::Context<Self>) {
                    match __msg {
                        #(#arms)*
                    }
                }

                #[allow(unused_mut)]
                fn __from_dyn(__msg: #private::DynMessage) -> #result<__ActorDispatch, #private::DynMessage> {
                    let mut __msg = __msg;
                    #(
                        __msg = match __msg.downcast::<#types>() {
                            #result::Ok(__typed) => {
                                return #result::Ok(__ActorDispatch::#variants(__typed, #private::ReplyTo::none()));
                            }
                            #result::Err(__other) => __other,
                        };
                    )*
                    #result::Err(__msg)
                }

                fn __into_dyn(__msg: __ActorDispatch) -> #private::DynMessage {
                    match __msg {
                        #( __ActorDispatch::#variants(__msg, _) => #private::DynMessage::new(__msg), )*
                    }
                }

                #catch_all
                #on_start
                #on_stop
            }

            #(#handler_impls)*
        };
    }
}

/// `Self::method(self, <message>, __ctx)`, passing the context only if the method takes
/// it; `plain` is the method's parameter count without the context.
fn call(method: &Method, plain: usize, message: TokenStream) -> TokenStream {
    let ident = method.ident();
    let ctx = method.takes_context(plain).then(|| quote!(__ctx));
    quote!(Self::#ident(self, #message #ctx))
}
