//! `#[message(reply = T)]` on the message type: its one key, read with every mistake
//! reported.

use syn::parse::ParseStream;
use syn::{Attribute, Meta, Token, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{MESSAGE, REPLY};

/// The type in `#[message(reply = T)]`, if given.
pub fn reply_type(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<Type> {
    let mut reply: Option<(syn::Path, Type)> = None;
    for attr in attrs {
        if !attr.path().is_ident(MESSAGE) {
            continue;
        }
        let list = match &attr.meta {
            Meta::List(list) => list,
            Meta::Path(path) => {
                cx.error_spanned_by(
                    path,
                    "#[message] needs a key: write `#[message(reply = Type)]`, or remove it for the reply `()`",
                );
                continue;
            }
            Meta::NameValue(name_value) => {
                cx.error_spanned_by(
                    name_value,
                    "#[message] takes its key in parentheses: write `#[message(reply = Type)]`",
                );
                continue;
            }
        };
        if list.tokens.is_empty() {
            cx.error_spanned_by(
                list,
                "#[message()] is empty: write `#[message(reply = Type)]`, or remove it for the reply `()`",
            );
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident(REPLY) {
                let key = meta.path.clone();
                // Skip the unknown key's value, if any, so later keys are still checked.
                if meta.input.peek(Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                cx.error_spanned_by(
                    &key,
                    format_args!(
                        "unknown key `{}` in #[message(..)]: the only key is `reply`, as in `#[message(reply = u64)]`",
                        quote::quote!(#key)
                    ),
                );
                return Ok(());
            }
            if !meta.input.peek(Token![=]) {
                return Err(meta.error("`reply` needs a type: write `reply = Type`"));
            }
            let value = meta.value()?;
            if ends_value(value) {
                return Err(meta.error("`reply =` needs a type after `=`: write `reply = Type`"));
            }
            let ty: Type = value.parse()?;
            match &reply {
                Some((first, _)) => {
                    cx.error_spanned_by(
                        &meta.path,
                        "duplicate `reply` key: a message has one reply type; remove this one",
                    );
                    cx.error_spanned_by(first, "the first `reply` key is here");
                }
                None => reply = Some((meta.path.clone(), ty)),
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    reply.map(|(_, ty)| ty)
}

/// Whether the value after `=` is missing: the input ends or the next key starts.
fn ends_value(input: ParseStream) -> bool {
    input.is_empty() || input.peek(Token![,])
}
