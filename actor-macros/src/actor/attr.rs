//! The attributes `#[actor]` reads on methods: what role each marks.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{
    CONSUMED, DERIVE, HANDLES, MESSAGE, NAME, ON_START, ON_STOP, OTHER, REPLY, WIRE_NAME,
};

/// What an attribute makes of a method.
pub enum Role {
    /// `#[handles(M)]`.
    Handles(Box<Type>),
    /// `#[message]`: the message type is generated from the method's parameters.
    Message(Box<Short>),
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
            Role::Handles(_) | Role::Message(_) => None,
            Role::CatchAll => Some("catch-all handler `#[handles(other)]`"),
            Role::OnStart => Some("`#[on_start]` hook"),
            Role::OnStop => Some("`#[on_stop]` hook"),
        }
    }
}

/// The keys of `#[message(..)]` on a method.
#[derive(Default)]
pub struct Short {
    /// `derive(Debug, Clone)`: put on the generated type as `#[derive(..)]`.
    pub derives: Vec<syn::Path>,
    /// `name = IncBy`: the generated type's name, instead of the method's in UpperCamelCase.
    pub name: Option<Ident>,
    /// `wire_name = "shop.Inc"`: the generated type's wire name, already checked.
    pub wire_name: Option<syn::LitStr>,
}

/// One of our attributes on a method, parsed.
pub struct Marked {
    pub role: Role,
    pub attr: Attribute,
}

/// Which of our attributes this is, by its last path segment, so that
/// `#[actor_core::handles(..)]` counts too. `#[message]` is no macro of its own (the name
/// is `#[derive(Message)]`'s helper), so only the bare name counts.
pub fn keyword(attr: &Attribute) -> Option<&'static str> {
    if attr.path().is_ident(MESSAGE) {
        return Some(MESSAGE);
    }
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
    if keyword == MESSAGE {
        return parse_message(cx, attr).map(|short| Role::Message(Box::new(short)));
    }
    if keyword != HANDLES {
        return parse_hook(cx, keyword, attr);
    }
    let list = match &attr.meta {
        Meta::List(list) => list,
        meta => {
            cx.error_spanned_by(
                meta,
                "#[handles] needs the message type: write `#[handles(MessageType)]`, or `#[handles(other)]` for the catch-all; to have the message type generated from the method's parameters, write `#[message]` instead",
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

/// `#[message]`, `#[message(derive(Debug, Clone), name = IncBy, wire_name = "shop.IncBy")]`,
/// every mistake reported.
fn parse_message(cx: &mut Ctxt, attr: &Attribute) -> Option<Short> {
    let mut short = Short::default();
    let list = match &attr.meta {
        Meta::Path(_) => return Some(short),
        Meta::List(list) if list.tokens.is_empty() => return Some(short),
        Meta::List(list) => list,
        Meta::NameValue(name_value) => {
            cx.error_spanned_by(
                name_value,
                "#[message] on a method takes its keys in parentheses: write `#[message]` or `#[message(derive(Debug, Clone))]`",
            );
            return None;
        }
    };
    let mut seen: Vec<syn::Path> = Vec::new();
    let parsed = list.parse_nested_meta(|meta| {
        let key = meta.path.clone();
        if let Some(first) = seen.iter().find(|first| **first == key) {
            let first = first.clone();
            cx.error_spanned_by(
                &key,
                format_args!(
                    "duplicate `{}` key: remove this one",
                    quote::quote!(#key)
                ),
            );
            cx.error_spanned_by(first, "the first is here");
        }
        seen.push(key.clone());
        if key.is_ident(DERIVE) {
            let content;
            syn::parenthesized!(content in meta.input);
            let paths = Punctuated::<syn::Path, Token![,]>::parse_terminated(&content)?;
            short.derives.extend(paths);
        } else if key.is_ident(NAME) {
            let value = meta.value()?;
            match value.parse::<Ident>() {
                Ok(name) => short.name = Some(name),
                Err(_) => {
                    let bad: syn::Expr = value.parse()?;
                    cx.error_spanned_by(
                        bad,
                        "`name` takes the type's name itself: write `name = IncBy` (for the name on the wire, write `wire_name = \"shop.IncBy\"`)",
                    );
                }
            }
        } else if key.is_ident(WIRE_NAME) {
            let value = meta.value()?;
            match value.parse::<syn::LitStr>() {
                Ok(lit) => {
                    if let Err(problem) = crate::message::check_wire_name(&lit.value()) {
                        cx.error_spanned_by(&lit, problem);
                    }
                    short.wire_name = Some(lit);
                }
                Err(_) => {
                    let bad: syn::Expr = value.parse()?;
                    cx.error_spanned_by(
                        bad,
                        "`wire_name` takes the wire name as a string literal: write `wire_name = \"shop.Inc\"`",
                    );
                }
            }
        } else if key.is_ident(REPLY) {
            if meta.input.peek(Token![=]) {
                let _: Type = meta.value()?.parse()?;
            }
            cx.error_spanned_by(
                &key,
                "on a method, `#[message]` takes the reply type from the return type: remove `reply = ..` and write `-> Type` on the method",
            );
        } else {
            if meta.input.peek(Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                let _: proc_macro2::Group = meta.input.parse()?;
            }
            cx.error_spanned_by(
                &key,
                format_args!(
                    "unknown key `{}` in #[message(..)] on a method: the keys are `derive(..)`, as in `#[message(derive(Debug, Clone))]`, `name = TypeName` and `wire_name = \"shop.Name\"`",
                    quote::quote!(#key)
                ),
            );
        }
        Ok(())
    });
    if let Err(e) = parsed {
        cx.syn_error(e);
        return None;
    }
    Some(short)
}
