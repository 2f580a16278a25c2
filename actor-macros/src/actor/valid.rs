//! Every rule of `#[actor]`, each failure an error on the tokens at fault.

use std::collections::HashMap;

use syn::{FnArg, Item, PathArguments, ReturnType, Signature, Type};

use super::ast::{type_key, Actor, Method};
use super::attr::Role;
use crate::ctxt::Ctxt;
use crate::symbol::{CONTEXT, DYN_MESSAGE};

/// `#[actor]` on something other than an impl block.
pub fn not_an_impl(item: &Item) -> syn::Error {
    let (tokens, what): (&dyn quote::ToTokens, &str) = match item {
        Item::Struct(s) => (&s.struct_token, "a struct"),
        Item::Enum(e) => (&e.enum_token, "an enum"),
        Item::Trait(t) => (&t.trait_token, "a trait"),
        Item::Fn(f) => (&f.sig.fn_token, "a function"),
        other => (other, "this item"),
    };
    syn::Error::new_spanned(
        tokens,
        format_args!(
            "#[actor] goes on the `impl` block that holds the handlers, not on {what}: write `#[actor] impl MyActor {{ #[handles(Msg)] fn on_msg(&mut self, msg: Msg) {{}} }}`"
        ),
    )
}

pub fn check(cx: &mut Ctxt, actor: &Actor) {
    check_block(cx, actor);
    for method in &actor.methods {
        for extra in &method.extra {
            cx.error_spanned_by(
                &extra.attr,
                format_args!(
                    "`{}` already has a role: give each handler and hook a method of its own",
                    method.ident()
                ),
            );
        }
        check_signature(cx, method);
    }
    check_unique(cx, actor);
}

fn check_block(cx: &mut Ctxt, actor: &Actor) {
    let item = &actor.item;
    if let Some((_, path, _)) = &item.trait_ {
        cx.error_spanned_by(
            path,
            format_args!(
                "#[actor] goes on an inherent impl block: write `impl {} {{ .. }}`, not `impl Trait for {}`",
                actor.name, actor.name
            ),
        );
    }
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics,
            "#[actor] does not support generic actors: make the actor a concrete type (wrap generic state in a field of a concrete struct)",
        );
    } else if let Some(where_clause) = &item.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            "#[actor] does not support where clauses: an actor is a concrete type",
        );
    }
    if let Some(unsafety) = &item.unsafety {
        cx.error_spanned_by(unsafety, "#[actor] blocks cannot be `unsafe impl`");
    }
}

/// What a role expects after the receiver: the message (if any), then an optional context.
fn check_signature(cx: &mut Ctxt, method: &Method) {
    let sig = &method.sig;
    let what = match method.role() {
        Role::Handles(_) => "a handler",
        Role::CatchAll => "the catch-all handler",
        Role::OnStart => "an #[on_start] hook",
        Role::OnStop => "an #[on_stop] hook",
    };
    if let Some(asyncness) = &sig.asyncness {
        cx.error_spanned_by(
            asyncness,
            format_args!("{what} runs on the actor's thread and cannot be `async`: remove `async`"),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        cx.error_spanned_by(
            unsafety,
            format_args!("{what} cannot be `unsafe fn`: keep unsafe blocks inside its body"),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            format_args!("{what} cannot be generic: it handles exactly the type it names"),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            format_args!("{what} cannot have a where clause"),
        );
    }

    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(receiver))
            if receiver.reference.is_some() && receiver.colon_token.is_none() => {}
        Some(FnArg::Receiver(receiver)) => cx.error_spanned_by(
            receiver,
            format_args!("{what} borrows the actor: write `&mut self` (or `&self`)"),
        ),
        Some(FnArg::Typed(first)) => cx.error_spanned_by(
            first,
            format_args!(
                "{what} is a method: its first parameter must be `&mut self` (or `&self`)"
            ),
        ),
        None => {
            cx.error_spanned_by(
                &sig.ident,
                format_args!(
                    "{what} is a method: its first parameter must be `&mut self` (or `&self`)"
                ),
            );
            return;
        }
    }

    let message = match method.role() {
        Role::Handles(ty) => Some(Expected::Type(ty)),
        Role::CatchAll => Some(Expected::Dynamic),
        Role::OnStart | Role::OnStop => None,
    };
    if let Some(expected) = &message {
        match inputs.next() {
            Some(FnArg::Typed(param)) => check_message_param(cx, &param.ty, expected, what),
            Some(FnArg::Receiver(_)) | None => {
                let write = expected.describe();
                cx.error_spanned_by(
                    &sig.ident,
                    format_args!("{what} takes the message after `self`: write `msg: {write}`"),
                );
                return;
            }
        }
    }
    if let Some(param) = inputs.next() {
        if let FnArg::Typed(param) = param {
            if !is_context(&param.ty) {
                let why = if message.is_some() {
                    format!("{what} takes one message; its only other parameter is the context: write `ctx: &mut Context<Self>`")
                } else {
                    format!("{what} takes no message; its only parameter after `self` is the context: write `ctx: &mut Context<Self>`")
                };
                cx.error_spanned_by(&param.ty, why);
            }
        }
    }
    for extra in inputs {
        cx.error_spanned_by(
            extra,
            format_args!(
                "too many parameters: {what} takes `&mut self`{} and optionally `ctx: &mut Context<Self>`",
                if message.is_some() { ", the message" } else { "" }
            ),
        );
    }
    check_output(cx, sig, method.role(), what);
}

enum Expected<'a> {
    Type(&'a Type),
    Dynamic,
}

impl Expected<'_> {
    fn describe(&self) -> String {
        match self {
            Expected::Type(ty) => type_key(ty),
            Expected::Dynamic => DYN_MESSAGE.to_owned(),
        }
    }
}

fn check_message_param(cx: &mut Ctxt, ty: &Type, expected: &Expected, what: &str) {
    if let Type::Reference(reference) = ty {
        cx.error_spanned_by(
            ty,
            format_args!("{what} takes the message by value: write `msg: {}`", {
                let elem = &reference.elem;
                type_key(elem)
            }),
        );
        return;
    }
    match expected {
        Expected::Type(declared) => {
            if type_key(declared) != type_key(ty) {
                cx.error_spanned_by(
                    ty,
                    format_args!(
                        "this handler is declared with `#[handles({})]` but takes a `{}`: make them the same type",
                        type_key(declared),
                        type_key(ty)
                    ),
                );
            }
        }
        Expected::Dynamic => {
            if !last_segment_is(ty, DYN_MESSAGE) {
                cx.error_spanned_by(
                    ty,
                    "the catch-all handler receives messages of any type: write `msg: DynMessage`",
                );
            }
        }
    }
}

fn check_output(cx: &mut Ctxt, sig: &Signature, role: &Role, what: &str) {
    let ReturnType::Type(_, ty) = &sig.output else {
        return;
    };
    if matches!(role, Role::Handles(_)) {
        return;
    }
    if matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty()) {
        return;
    }
    cx.error_spanned_by(
        ty,
        format_args!(
            "{what} returns nothing: no one waits for its result; remove `-> {}`",
            type_key(ty)
        ),
    );
}

fn is_context(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => {
            reference.mutability.is_some() && last_segment_is(&reference.elem, CONTEXT)
        }
        _ => false,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => path.path.segments.last().is_some_and(|segment| {
            segment.ident == name
                && (name == CONTEXT || matches!(segment.arguments, PathArguments::None))
        }),
        _ => false,
    }
}

/// Each message type handled once; at most one catch-all, one start hook, one stop hook.
fn check_unique(cx: &mut Ctxt, actor: &Actor) {
    let mut seen: HashMap<String, &Method> = HashMap::new();
    for (method, ty) in actor.handlers() {
        match seen.get(&type_key(ty)) {
            Some(first) => {
                cx.error_spanned_by(
                    ty,
                    format_args!(
                        "`{}` is handled twice: `{}` already handles it; each message type has one handler",
                        type_key(ty),
                        first.ident()
                    ),
                );
                if let Role::Handles(first_ty) = first.role() {
                    cx.error_spanned_by(
                        first_ty,
                        format_args!("first handler of `{}` is here", type_key(ty)),
                    );
                }
            }
            None => {
                seen.insert(type_key(ty), method);
            }
        }
    }
    let unit_roles: [(fn(&Role) -> bool, &str); 3] = [
        (
            |role| matches!(role, Role::CatchAll),
            "catch-all handler `#[handles(other)]`",
        ),
        (|role| matches!(role, Role::OnStart), "`#[on_start]` hook"),
        (|role| matches!(role, Role::OnStop), "`#[on_stop]` hook"),
    ];
    for (is_role, name) in unit_roles {
        let mut found = actor.methods.iter().filter(|method| is_role(method.role()));
        let Some(first) = found.next() else { continue };
        for again in found {
            cx.error_spanned_by(
                &again.marked.attr,
                format_args!(
                    "an actor has one {name}, and `{}` is already it: merge the two methods",
                    first.ident()
                ),
            );
        }
    }
}
