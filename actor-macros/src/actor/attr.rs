//! The attributes `#[actor]` reads on methods: what role each marks.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{HANDLES, ON_START, ON_STOP, OTHER};

/// What an attribute makes of a method.
pub enum Role {
    /// `#[handles(M)]`.
    Handles(Type),
    /// `#[handles(other)]`.
    CatchAll,
    /// `#[on_start]`.
    OnStart,
    /// `#[on_stop]`.
    OnStop,
}

/// One of our attributes on a method, parsed.
pub struct Marked {
    pub role: Role,
    pub attr: Attribute,
}

/// Which of our attributes this is, by its last path segment.
fn keyword(attr: &Attribute) -> Option<&'static str> {
    let last = attr.path().segments.last()?;
    [HANDLES, ON_START, ON_STOP]
        .into_iter()
        .find(|keyword| last.ident == keyword)
}

/// Removes our attributes from `attrs`, returning those that parsed; the others are
/// reported.
pub fn take(cx: &mut Ctxt, attrs: &mut Vec<Attribute>) -> Vec<Marked> {
    let mut marked = Vec::new();
    attrs.retain(|attr| {
        let Some(keyword) = keyword(attr) else {
            return true;
        };
        if let Some(role) = parse(cx, keyword, attr) {
            marked.push(Marked {
                role,
                attr: attr.clone(),
            });
        }
        false
    });
    marked
}

fn parse(cx: &mut Ctxt, keyword: &str, attr: &Attribute) -> Option<Role> {
    if keyword != HANDLES {
        if !matches!(attr.meta, Meta::Path(_)) {
            cx.error_spanned_by(
                &attr.meta,
                format_args!("#[{keyword}] takes no arguments: write `#[{keyword}]`"),
            );
            return None;
        }
        return Some(if keyword == ON_START {
            Role::OnStart
        } else {
            Role::OnStop
        });
    }
    let list = match &attr.meta {
        Meta::List(list) => list,
        meta => {
            cx.error_spanned_by(
                meta,
                "#[handles] needs the message type: write `#[handles(MessageType)]`, or `#[handles(other)]` for the catch-all",
            );
            return None;
        }
    };
    let types = match list.parse_args_with(Punctuated::<Type, Token![,]>::parse_terminated) {
        Ok(types) => types,
        Err(e) => {
            cx.syn_error(e);
            return None;
        }
    };
    let mut types = types.into_iter();
    let Some(ty) = types.next() else {
        cx.error_spanned_by(
            list,
            "#[handles()] is empty: write the message type, as in `#[handles(Ping)]`",
        );
        return None;
    };
    if let Some(extra) = types.next() {
        cx.error_spanned_by(
            extra,
            "one message type per handler: write a separate `#[handles(..)]` method for this type",
        );
        return None;
    }
    if matches!(&ty, Type::Path(path) if path.qself.is_none() && path.path.is_ident(OTHER)) {
        return Some(Role::CatchAll);
    }
    Some(Role::Handles(ty))
}
