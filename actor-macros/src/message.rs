//! `#[derive(Message)]`: parse the `#[message(..)]` attributes, check the item, emit
//! `impl Message`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{parse_quote, Data, DeriveInput, GenericParam, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{MESSAGE, REPLY};

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let reply = reply_type(&mut cx, input);
    if let Data::Union(union) = &input.data {
        cx.error_spanned_by(
            union.union_token,
            "#[derive(Message)] works on structs and enums, not unions: wrap the union's data in a struct",
        );
    }
    for param in &input.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            cx.error_spanned_by(
                &lifetime.lifetime,
                format_args!(
                    "a message crosses threads, so it must own its data: remove the lifetime `{}` and use owned types",
                    lifetime.lifetime
                ),
            );
        }
    }
    cx.check()?;

    let name = &input.ident;
    let reply = reply.unwrap_or_else(|| parse_quote!(()));
    let mut generics = input.generics.clone();
    // Type parameters must be sendable for the message to be.
    let bounded: Vec<_> = generics
        .type_params()
        .map(|param| param.ident.clone())
        .collect();
    let where_clause = generics.make_where_clause();
    for ident in bounded {
        where_clause
            .predicates
            .push(parse_quote!(#ident: ::core::marker::Send + 'static));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::actor_core::__private::Message for #name #ty_generics #where_clause {
            type Reply = #reply;
        }
    })
}

/// The type in `#[message(reply = T)]`, reporting every malformed or repeated key.
fn reply_type(cx: &mut Ctxt, input: &DeriveInput) -> Option<Type> {
    let mut reply: Option<Type> = None;
    for attr in &input.attrs {
        if !attr.path().is_ident(MESSAGE) {
            continue;
        }
        if let syn::Meta::Path(path) = &attr.meta {
            cx.error_spanned_by(
                path,
                "#[message] needs a key: write `#[message(reply = Type)]`",
            );
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(REPLY) {
                if meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
                    return Err(meta.error("`reply` needs a type: write `reply = Type`"));
                }
                let ty: Type = meta.value()?.parse()?;
                if reply.is_some() {
                    cx.error_spanned_by(
                        &meta.path,
                        "duplicate `reply` key: a message has one reply type",
                    );
                } else {
                    reply = Some(ty);
                }
                Ok(())
            } else {
                let key = meta.path.clone();
                // Skip the unknown key's value, if any, so later keys are still checked.
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                cx.error_spanned_by(
                    &key,
                    format_args!(
                        "unknown key `{}` in #[message(..)]: the only key is `reply`, as in `#[message(reply = u64)]`",
                        quote!(#key)
                    ),
                );
                Ok(())
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    reply
}
