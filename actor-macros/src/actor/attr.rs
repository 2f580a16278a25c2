//! The attributes `#[actor]` reads on methods: what role each marks.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{CONSUMED, HANDLES, ON_START, ON_STOP, OTHER};

/// What an attribute makes of a method.
pub enum Role {
    /// `#[handles(M)]`.
    Handles(Box<Type>),
    /// `#[handles(other)]`.
    CatchAll,
    /// `#[on_start]`.
    OnStart,
    /// `#[on_stop]`.
    OnStop,
}

impl Role {
    /// How the roles an actor has at most one of are named in errors; `None` for
    /// `#[handles(M)]`, which may appear once per message type.
    pub fn unique_name(&self) -> Option<&'static str> {
        match self {
            Role::Handles(_) => None,
            Role::CatchAll => Some("catch-all handler `#[handles(other)]`"),
            Role::OnStart => Some("`#[on_start]` hook"),
            Role::OnStop => Some("`#[on_stop]` hook"),
        }
    }
}

/// One of our attributes on a method, parsed.
pub struct Marked {
    pub role: Role,
    pub attr: Attribute,
}

/// Which of our attributes this is, by its last path segment, so that
/// `#[actor_core::handles(..)]` counts too.
pub fn keyword(attr: &Attribute) -> Option<&'static str> {
    let last = attr.path().segments.last()?;
    [HANDLES, ON_START, ON_STOP]
        .into_iter()
        .find(|keyword| last.ident == keyword)
}

/// Removes our attributes from `attrs` and returns them, in order. They are `#[actor]`'s
/// helpers, like a derive's: read here and never left on the method for the compiler to
/// resolve, so they work whether or not they are in scope.
pub fn take(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (ours, others) = std::mem::take(attrs)
        .into_iter()
        .partition(|attr| keyword(attr).is_some());
    *attrs = others;
    ours
}

/// Reads attributes `take` returned, keeping those that parsed (the others are reported).
pub fn parse_all(cx: &mut Ctxt, attrs: Vec<Attribute>) -> Vec<Marked> {
    attrs
        .into_iter()
        .filter_map(|attr| {
            let role = parse(cx, keyword(&attr)?, &attr)?;
            Some(Marked { role, attr })
        })
        .collect()
}

/// What `expand` gives each attribute path it removed, on an item where the compiler
/// resolves the path if it can (see `expand::helper_paths`): the attribute macro then
/// passes the item through.
pub fn consumed_mark() -> Ident {
    Ident::new(CONSUMED, Span::call_site())
}

/// Whether an attribute's arguments are `consumed_mark`.
pub fn is_consumed(args: &TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(TokenTree::Ident(ident)), None) if ident == CONSUMED
    )
}

fn parse(cx: &mut Ctxt, keyword: &str, attr: &Attribute) -> Option<Role> {
    if keyword != HANDLES {
        return parse_hook(cx, keyword, attr);
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
    let Ok(types) = list.parse_args_with(Punctuated::<Type, Token![,]>::parse_terminated) else {
        cx.error_spanned_by(
            &list.tokens,
            "#[handles(..)] takes the message type itself, as in `#[handles(Ping)]` or `#[handles(other)]` for the catch-all",
        );
        return None;
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
    Some(Role::Handles(Box::new(ty)))
}

fn parse_hook(cx: &mut Ctxt, keyword: &str, attr: &Attribute) -> Option<Role> {
    if !matches!(attr.meta, Meta::Path(_)) {
        cx.error_spanned_by(
            &attr.meta,
            format_args!("#[{keyword}] takes no arguments: write `#[{keyword}]`"),
        );
        return None;
    }
    Some(if keyword == ON_START {
        Role::OnStart
    } else {
        Role::OnStop
    })
}
