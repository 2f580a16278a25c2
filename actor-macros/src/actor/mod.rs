//! `#[actor]`: read the impl block into a model (`ast`), check every rule (`valid`), then
//! emit the dispatch enum and trait impls (`expand`).

mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Item;

use crate::ctxt::Ctxt;
use crate::symbol::REMOTE;

pub fn expand(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    let item: Item = syn::parse2(input)?;
    let mut cx = Ctxt::default();
    let remote = match syn::parse2::<Option<syn::Ident>>(args.clone()) {
        Ok(None) => None,
        Ok(Some(ident)) if ident == REMOTE => Some(ident),
        _ => {
            cx.error_spanned_by(
                &args,
                "#[actor] takes no arguments, or `remote` to serve the actor over the wire: write `#[actor]` or `#[actor(remote)]`",
            );
            None
        }
    };
    let item = match item {
        Item::Impl(item) => item,
        other => {
            cx.syn_error(valid::not_an_impl(&other));
            return cx.check().map(|()| TokenStream::new());
        }
    };
    let actor = ast::Actor::from_impl(&mut cx, item);
    valid::check(&mut cx, &actor, remote.as_ref());
    match cx.check() {
        // The block still goes out, with a stand-in actor impl, so its methods exist and
        // the user sees only the errors that matter.
        Err(errors) => {
            let fallback = expand::fallback(&actor);
            let errors = errors.into_compile_error();
            Ok(quote!(#fallback #errors))
        }
        Ok(()) => Ok(expand::actor(&actor, remote.is_some())),
    }
}

/// `#[handles]`, `#[on_start]` or `#[on_stop]` where the compiler resolves it. Never on
/// a method of an `#[actor]` block, which removes the attributes it reads; on the hidden
/// item `#[actor]` marks consumed, it passes the item through. Anywhere else, the item
/// stays as written, with an error saying where the attribute belongs.
pub fn method_attribute(name: &str, args: TokenStream, input: TokenStream) -> TokenStream {
    if attr::is_consumed(&args) {
        return input;
    }
    let at = match syn::parse2::<syn::ImplItemFn>(input.clone()) {
        Ok(method) => method.sig.ident.into_token_stream(),
        Err(_) if !args.is_empty() => args,
        Err(_) => input.clone(),
    };
    let error = syn::Error::new_spanned(
        at,
        format_args!(
            "#[{name}] only works on a method inside an `#[actor] impl` block: add `#[actor]` above the `impl`"
        ),
    )
    .into_compile_error();
    quote!(#input #error)
}
