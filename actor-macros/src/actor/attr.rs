//! The attributes `#[actor]` reads on methods: what role each marks.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::{parse_quote, Attribute, Meta, Token, Type};

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

/// Reads our attributes in `attrs`, returning those that parsed (the others are
/// reported), and marks each as consumed.
pub fn take(cx: &mut Ctxt, attrs: &mut [Attribute]) -> Vec<Marked> {
    let mut marked = Vec::new();
    for attr in attrs {
        let Some(keyword) = keyword(attr) else {
            continue;
        };
        if let Some(role) = parse(cx, keyword, attr) {
            marked.push(Marked {
                role,
                attr: attr.clone(),
            });
        }
        consume(attr);
    }
    marked
}

/// Our attributes in `attrs`, as written, each then marked as consumed: they sit on
/// something that is not a method, which is reported as such.
pub fn take_misplaced(attrs: &mut [Attribute]) -> Vec<Attribute> {
    let mut misplaced = Vec::new();
    for attr in attrs.iter_mut().filter(|attr| keyword(attr).is_some()) {
        misplaced.push(attr.clone());
        consume(attr);
    }
    misplaced
}

/// `#[handles(Ping)]` -> `#[handles(__consumed_by_actor)]`. The attribute stays, rather
/// than being removed, so that its path is still resolved: an explicit
/// `use actor_core::handles;` is then used, not warned about.
fn consume(attr: &mut Attribute) {
    let path = attr.path().clone();
    let marker = Ident::new(CONSUMED, Span::call_site());
    attr.meta = parse_quote!(#path(#marker));
}

/// Whether an attribute's arguments are the mark `consume` leaves.
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
