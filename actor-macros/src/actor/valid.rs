//! Every rule of `#[actor]`, each failure an error on the tokens at fault. Each rule has a
//! compile-fail case in `ui-tests/tests/ui/`, named in the crate docs.

use std::collections::HashMap;

use quote::ToTokens;
use syn::{
    FnArg, GenericArgument, GenericParam, Ident, Item, PatType, PathArguments, ReturnType, Type,
};

use super::ast::{
    is_context, is_core_stop, is_type_parameter, last_segment_is, type_key, Actor, Method,
};
use super::attr::Role;
use crate::ctxt::Ctxt;
use crate::symbol::{DYN_MESSAGE, PRELUDE, STOP};

/// `#[actor]` on something other than an impl block.
pub fn not_an_impl(item: &Item) -> syn::Error {
    let (tokens, what): (&dyn ToTokens, &str) = match item {
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

pub fn check(cx: &mut Ctxt, actor: &Actor, remote: Option<&Ident>) {
    check_block(cx, actor, remote);
    for attr in &actor.misplaced {
        cx.error_spanned_by(
            attr,
            "this attribute marks a method: put it on a `fn` of the block, as in `#[handles(Ping)] fn on_ping(&mut self, msg: Ping)`",
        );
    }
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
        if let Role::Handles(ty) = method.role() {
            check_not_stop(cx, ty);
            check_not_type_parameter(cx, actor, ty);
        }
        // A `#[message]` with another role: which signature was meant is unclear.
        if !matches!(method.role(), Role::Message(_)) || method.extra.is_empty() {
            Signature::new(cx, actor, method).check();
        }
    }
    check_unique(cx, actor);
    check_generated_names(cx, actor);
}

fn check_block(cx: &mut Ctxt, actor: &Actor, remote: Option<&Ident>) {
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
    for param in &item.generics.params {
        if let GenericParam::Lifetime(param) = param {
            cx.error_spanned_by(
                &param.lifetime,
                format_args!(
                    "an actor outlives every borrow, so it cannot have a lifetime parameter: remove `{}` and own the data (`String` for `&str`, `Arc<T>` to share it)",
                    param.lifetime
                ),
            );
        }
    }
    if let (Some(remote), false) = (remote, item.generics.params.is_empty()) {
        cx.error_spanned_by(
            remote,
            format_args!(
                "`#[actor(remote)]` serves one concrete actor type over the wire, and `{}` is generic: remove `remote`, or make it `#[actor(remote)] impl` on a concrete type",
                actor.name
            ),
        );
    }
    if let Some(unsafety) = &item.unsafety {
        cx.error_spanned_by(
            unsafety,
            "an #[actor] block is a plain `impl`: remove `unsafe`",
        );
    }
}

/// `actor_core::Stop` is handled by every actor already. A macro sees names, not types,
/// so the rule goes by how the type is written (see `is_core_stop`); a user's own `Stop`
/// is named by another path (`self::Stop`, `control::Stop`).
fn check_not_stop(cx: &mut Ctxt, ty: &Type) {
    if is_core_stop(ty) {
        cx.error_spanned_by(
            ty,
            "every actor already handles `Stop`: to run code when the actor stops, write an `#[on_stop] fn stopped(&mut self)` hook instead; if `Stop` is a message type of your own, name it by its path (`#[handles(self::Stop)]`) or rename it",
        );
    }
}

/// `#[handles(T)]` for a type parameter `T` of the impl: `T` could be any message,
/// `Stop` or another handled type included, so its handler would overlap theirs.
fn check_not_type_parameter(cx: &mut Ctxt, actor: &Actor, ty: &Type) {
    if is_type_parameter(&actor.item.generics, ty) {
        let ident = type_key(ty);
        cx.error_spanned_by(
            ty,
            format_args!(
                "a handler's message type cannot be the type parameter `{ident}`: `{ident}` could be any message, `Stop` included; wrap it in a message of your own, as in `#[handles(Wrap<{ident}>)]` with `#[derive(Message)] struct Wrap<{ident}>({ident});`"
            ),
        );
    }
}

/// What a role expects after the receiver: the message (if any), then an optional
/// context.
struct Signature<'a> {
    cx: &'a mut Ctxt,
    actor: &'a Actor,
    method: &'a Method,
    /// "a handler", "an #[on_start] hook", ...: the subject of every message.
    what: &'static str,
}

/// The message a role takes.
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

impl<'a> Signature<'a> {
    fn new(cx: &'a mut Ctxt, actor: &'a Actor, method: &'a Method) -> Self {
        let what = match method.role() {
            Role::Handles(_) => "a handler",
            Role::Message(_) => "a `#[message]` handler",
            Role::CatchAll => "the catch-all handler",
            Role::OnStart => "an #[on_start] hook",
            Role::OnStop => "an #[on_stop] hook",
        };
        Signature {
            cx,
            actor,
            method,
            what,
        }
    }

    fn expected(&self) -> Option<Expected<'a>> {
        match self.method.role() {
            Role::Handles(ty) => Some(Expected::Type(ty)),
            Role::CatchAll => Some(Expected::Dynamic),
            Role::Message(_) | Role::OnStart | Role::OnStop => None,
        }
    }

    /// The whole signature the role wants, for messages: `fn on_ping(&mut self, msg: Ping)`.
    fn model(&self, with_context: bool) -> String {
        let message = match &self.method.generated {
            Some(generated) => generated
                .fields
                .iter()
                .map(|(ident, ty)| format!(", {ident}: {}", type_key(ty)))
                .collect(),
            None => self
                .expected()
                .map(|expected| format!(", msg: {}", expected.describe()))
                .unwrap_or_default(),
        };
        let context = if with_context {
            ", ctx: &mut Context<Self>"
        } else {
            ""
        };
        format!("fn {}(&mut self{message}{context})", self.method.ident())
    }

    fn check(mut self) {
        self.check_qualifiers();
        let sig = &self.method.sig;
        let mut inputs = sig.inputs.iter().peekable();
        match inputs.peek() {
            Some(FnArg::Receiver(receiver)) => {
                if receiver.reference.is_none() || receiver.colon_token.is_some() {
                    self.cx.error_spanned_by(
                        receiver,
                        format_args!(
                            "{} borrows the actor: write `&mut self` (or `&self`)",
                            self.what
                        ),
                    );
                }
                inputs.next();
            }
            // The parameters are checked on as if `&mut self` were there.
            Some(FnArg::Typed(first)) => self.cx.error_spanned_by(
                first,
                format_args!(
                    "{} is a method: add `&mut self` (or `&self`) as its first parameter",
                    self.what
                ),
            ),
            None => {
                self.cx.error_spanned_by(
                    &sig.ident,
                    format_args!("{} is a method: write `{}`", self.what, self.model(false)),
                );
                return;
            }
        }

        if matches!(self.method.role(), Role::Message(_)) {
            self.check_fields(inputs.collect());
            self.check_output();
            return;
        }
        if let Some(expected) = self.expected() {
            match inputs.next() {
                Some(FnArg::Typed(param)) if is_context(&param.ty) => {
                    self.cx.error_spanned_by(
                        param,
                        format_args!(
                            "the message comes first, then the context: write `{}`",
                            self.model(true)
                        ),
                    );
                    return;
                }
                Some(FnArg::Typed(param)) => self.check_message(param, &expected),
                Some(receiver @ FnArg::Receiver(_)) => {
                    self.cx
                        .error_spanned_by(receiver, "`self` comes first, and only once");
                    return;
                }
                None => {
                    self.cx.error_spanned_by(
                        &sig.ident,
                        format_args!(
                            "{} takes the message after `self`: write `{}`",
                            self.what,
                            self.model(false)
                        ),
                    );
                    return;
                }
            }
        }
        if let Some(param) = inputs.next() {
            self.check_context(param);
        }
        for extra in inputs {
            self.cx.error_spanned_by(
                extra,
                format_args!(
                    "too many parameters: remove this one; {} is written `{}`",
                    self.what,
                    self.model(true)
                ),
            );
        }
        self.check_output();
    }

    fn check_qualifiers(&mut self) {
        let sig = &self.method.sig;
        let what = self.what;
        if let Some(asyncness) = &sig.asyncness {
            self.cx.error_spanned_by(
                asyncness,
                format_args!(
                    "{what} runs on the actor's thread and cannot be `async`: remove `async`"
                ),
            );
        }
        if let Some(unsafety) = &sig.unsafety {
            self.cx.error_spanned_by(
                unsafety,
                format_args!(
                    "{what} cannot be `unsafe fn`: remove `unsafe` and keep unsafe blocks inside its body"
                ),
            );
        }
        if !sig.generics.params.is_empty() {
            self.cx.error_spanned_by(
                &sig.generics,
                format_args!(
                    "{what} cannot be generic: it is called with exactly the types it names; remove the generic parameters"
                ),
            );
        } else if let Some(where_clause) = &sig.generics.where_clause {
            self.cx.error_spanned_by(
                where_clause,
                format_args!("{what} cannot have a where clause: remove it"),
            );
        }
    }

    fn check_message(&mut self, param: &PatType, expected: &Expected) {
        let pat = param.pat.to_token_stream();
        let ty = &*param.ty;
        if let Type::Reference(reference) = ty {
            self.cx.error_spanned_by(
                ty,
                format_args!(
                    "{} takes the message by value: write `{pat}: {}`",
                    self.what,
                    type_key(&reference.elem)
                ),
            );
            return;
        }
        match expected {
            Expected::Type(declared) => {
                if type_key(declared) != type_key(ty) {
                    self.cx.error_spanned_by(
                        ty,
                        format_args!(
                            "this handler is declared with `#[handles({declared})]` but takes a `{taken}`: write `{pat}: {declared}`, or `#[handles({taken})]`",
                            declared = type_key(declared),
                            taken = type_key(ty)
                        ),
                    );
                }
            }
            Expected::Dynamic => {
                if !last_segment_is(ty, DYN_MESSAGE) || has_arguments(ty) {
                    self.cx.error_spanned_by(
                        ty,
                        format_args!(
                            "the catch-all handler receives messages of any type: write `{pat}: DynMessage`; a message of type `{}` needs `#[handles({0})]`",
                            type_key(ty)
                        ),
                    );
                }
            }
        }
    }

    fn check_context(&mut self, param: &FnArg) {
        let FnArg::Typed(param) = param else {
            self.cx
                .error_spanned_by(param, "`self` comes first, and only once");
            return;
        };
        let ty = &*param.ty;
        if !is_context(ty) {
            let why = match self.method.role() {
                Role::Handles(_) | Role::CatchAll => format!(
                    "{} takes one message: give `{}` a `#[handles({1})]` method of its own; after the message comes only `ctx: &mut Context<Self>`",
                    self.what,
                    type_key(ty)
                ),
                Role::Message(_) => format!(
                    "after the message's fields comes only `ctx: &mut Context<Self>`, and nothing after it: remove this parameter; {} is written `{}`",
                    self.what,
                    self.model(true)
                ),
                Role::OnStart | Role::OnStop => format!(
                    "{} receives no message: its only parameter after `self` is `ctx: &mut Context<Self>`",
                    self.what
                ),
            };
            self.cx.error_spanned_by(ty, why);
            return;
        }
        let pat = param.pat.to_token_stream();
        match ty {
            Type::Reference(reference) if reference.mutability.is_some() => {
                if !self.is_own_context(&reference.elem) {
                    self.cx.error_spanned_by(
                        &reference.elem,
                        format_args!(
                            "the context is this actor's own: write `{pat}: &mut Context<Self>`"
                        ),
                    );
                }
            }
            _ => self.cx.error_spanned_by(
                ty,
                format_args!(
                    "the context comes by mutable reference: write `{pat}: &mut Context<Self>`"
                ),
            ),
        }
    }

    /// `Context<Self>` or `Context<ThisActor>`.
    fn is_own_context(&self, context: &Type) -> bool {
        let Type::Path(path) = context else {
            return false;
        };
        let Some(last) = path.path.segments.last() else {
            return false;
        };
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return false;
        };
        let mut args = args.args.iter();
        let (Some(GenericArgument::Type(actor)), None) = (args.next(), args.next()) else {
            return false;
        };
        let actor = type_key(actor);
        actor == "Self" || actor == type_key(self.actor.self_ty())
    }

    fn check_output(&mut self) {
        let ReturnType::Type(_, ty) = &self.method.sig.output else {
            return;
        };
        // A handler's reply type is checked by the compiler, against the message's.
        if matches!(self.method.role(), Role::Handles(_) | Role::Message(_)) {
            if matches!(self.method.role(), Role::Message(_)) {
                let reply = self.method.deferred().unwrap_or(ty);
                self.check_owned(reply, "the reply".to_owned());
            }
            if self.method.deferred().is_some() && self.method.context().is_none() {
                self.cx.error_spanned_by(
                    ty,
                    format_args!(
                        "{} replies later (`Deferred`), so it takes the context to call `ctx.defer()`: add `ctx: &mut Context<Self>` after the message",
                        self.what
                    ),
                );
            }
            return;
        }
        if matches!(&**ty, Type::Tuple(tuple) if tuple.elems.is_empty()) {
            return;
        }
        self.cx.error_spanned_by(
            ty,
            format_args!(
                "{} returns nothing: no one waits for its result; remove `-> {}`",
                self.what,
                type_key(ty)
            ),
        );
    }
}

fn has_arguments(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| !matches!(segment.arguments, PathArguments::None)),
        _ => false,
    }
}

impl Signature<'_> {
    /// The parameters of a `#[message]` method after `self`: the fields, then at most a
    /// context, last.
    fn check_fields(&mut self, params: Vec<&FnArg>) {
        let last = params.len().checked_sub(1);
        for (index, param) in params.iter().enumerate() {
            match param {
                FnArg::Receiver(receiver) => self
                    .cx
                    .error_spanned_by(receiver, "`self` comes first, and only once"),
                FnArg::Typed(typed) if is_context(&typed.ty) => {
                    if Some(index) != last {
                        self.cx.error_spanned_by(
                            typed,
                            format_args!(
                                "the context comes last, after the message's fields: write `{}`",
                                self.model(true)
                            ),
                        );
                    } else {
                        self.check_context(param);
                    }
                }
                FnArg::Typed(typed) => self.check_field(typed),
            }
        }
    }

    /// A parameter of a `#[message]` method, which becomes a field of the message.
    fn check_field(&mut self, param: &PatType) {
        let name = match &*param.pat {
            syn::Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                pat.ident.to_string()
            }
            pat => {
                self.cx.error_spanned_by(
                    pat,
                    format_args!(
                        "each parameter of {} becomes a field of its message, so it needs a plain name: write `name: {}`",
                        self.what,
                        type_key(&param.ty)
                    ),
                );
                return;
            }
        };
        self.check_owned(&param.ty, format!("the field `{name}`"));
    }

    /// A field's or the reply's type, which the generated message type names outside the
    /// impl block and sends across threads.
    fn check_owned(&mut self, ty: &Type, what: String) {
        let generics: Vec<String> = self
            .actor
            .item
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                GenericParam::Type(param) => Some(param.ident.to_string()),
                GenericParam::Const(param) => Some(param.ident.to_string()),
                GenericParam::Lifetime(_) => None,
            })
            .collect();
        let Some((at, problem)) = find_unowned(ty.to_token_stream(), &generics) else {
            return;
        };
        let message = match problem {
            Unowned::Borrowed => match ty {
                Type::Reference(reference) => format!(
                    "a message crosses threads, so {what} must own its data: write `{}` instead (an `Arc<T>` to share), or borrow `&'static` data",
                    owned(&reference.elem)
                ),
                _ => format!(
                    "a message crosses threads, so {what} cannot borrow: write an owned type (`String` for `&str`, `Vec<T>` for `&[T]`, `Arc<T>` to share), or borrow `'static` data"
                ),
            },
            Unowned::ImplTrait => format!(
                "{what} of the generated message needs a concrete type, not `impl Trait`: write the type, or `Box<dyn Trait + Send>`"
            ),
            Unowned::SelfType => format!(
                "{what} of the generated message cannot say `Self`: the message type is outside the impl block; write `{}`",
                self.actor.name
            ),
            Unowned::Generic(param) => format!(
                "a generated message cannot carry the actor's generic parameter `{param}`: write the message type yourself (`#[derive(Message)] struct Put<{param}> {{ .. }}`) and handle it with `#[handles(Put<{param}>)]`"
            ),
        };
        self.cx.error_spanned_by(at, message);
    }
}

/// What to write for a borrowed `&elem`: `String` for `&str`, `Vec<T>` for `&[T]`, else
/// the type itself.
fn owned(elem: &Type) -> String {
    match elem {
        Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
        Type::Slice(slice) => format!("Vec<{}>", type_key(&slice.elem)),
        other => type_key(other),
    }
}

/// Why a type cannot be a field of a generated message.
enum Unowned {
    /// `&T` or `T<'a>` (but not `&'static T`).
    Borrowed,
    ImplTrait,
    SelfType,
    /// A generic parameter of the impl block.
    Generic(String),
}

/// The first token of `tokens` that keeps it from being a generated message's field, and
/// why.
fn find_unowned(
    tokens: proc_macro2::TokenStream,
    generics: &[String],
) -> Option<(proc_macro2::TokenStream, Unowned)> {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (index, token) in tokens.iter().enumerate() {
        let next = tokens.get(index + 1);
        let after = tokens.get(index + 2);
        let is_static = |lifetime: Option<&TokenTree>, name: Option<&TokenTree>| {
            matches!(lifetime, Some(TokenTree::Punct(p)) if p.as_char() == '\'')
                && matches!(name, Some(TokenTree::Ident(i)) if i == "static")
        };
        match token {
            TokenTree::Punct(punct) if punct.as_char() == '&' && !is_static(next, after) => {
                return Some((token.to_token_stream(), Unowned::Borrowed));
            }
            TokenTree::Punct(punct)
                if punct.as_char() == '\''
                    && !matches!(next, Some(TokenTree::Ident(i)) if i == "static") =>
            {
                let lifetime = quote::quote!(#token #next);
                return Some((lifetime, Unowned::Borrowed));
            }
            TokenTree::Ident(ident) if ident == "impl" => {
                return Some((token.to_token_stream(), Unowned::ImplTrait));
            }
            TokenTree::Ident(ident) if ident == "Self" => {
                return Some((token.to_token_stream(), Unowned::SelfType));
            }
            TokenTree::Ident(ident) if generics.iter().any(|param| ident == param) => {
                return Some((token.to_token_stream(), Unowned::Generic(ident.to_string())));
            }
            TokenTree::Group(group) => {
                if let Some(found) = find_unowned(group.stream(), generics) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// The names of the generated message types: each derivable, and clashing with nothing
/// the macro can see (another generated type, a type this block handles by its bare
/// name, the actor, its helpers trait, a prelude name).
fn check_generated_names(cx: &mut Ctxt, actor: &Actor) {
    let helpers = actor.helpers_trait().to_string();
    let mut seen: HashMap<String, &Method> = HashMap::new();
    for method in &actor.methods {
        let Role::Message(short) = method.role() else {
            continue;
        };
        let ident = method.ident();
        let Some(generated) = &method.generated else {
            cx.error_spanned_by(
                ident,
                format_args!(
                    "`{ident}` gives no usable type name for its message: name it with `#[message(name = TypeName)]`"
                ),
            );
            continue;
        };
        let name = generated.ident.to_string();
        let at: &dyn ToTokens = match &short.name {
            Some(given) => given,
            None => ident,
        };
        let fix = "rename the method, or name the message type with `#[message(name = TypeName)]`";
        if name == actor.name {
            cx.error_spanned_by(
                at,
                format_args!("the message type `{name}` generated for `{ident}` would be the actor's own name: {fix}"),
            );
        } else if name == helpers {
            cx.error_spanned_by(
                at,
                format_args!("the message type `{name}` generated for `{ident}` would be the name of the actor's helpers trait: {fix}"),
            );
        } else if name == STOP {
            cx.error_spanned_by(
                at,
                format_args!("the message type generated for `{ident}` would be `Stop`, which every actor already handles: to run code when the actor stops, write an `#[on_stop]` hook; otherwise {fix}"),
            );
        } else if PRELUDE.contains(&name.as_str()) {
            cx.error_spanned_by(
                at,
                format_args!("the message type `{name}` generated for `{ident}` would hide `actor_core::prelude::{name}` in this module: {fix}"),
            );
        }
        for (other, ty) in actor.handlers() {
            if matches!(other.role(), Role::Handles(_))
                && bare_name(ty).is_some_and(|bare| *bare == name)
            {
                cx.error_spanned_by(
                    at,
                    format_args!("`{ident}` generates the message type `{name}`, and `{}` handles a `{name}` of this module already: {fix}", other.ident()),
                );
                cx.error_spanned_by(ty, format_args!("the other `{name}` is handled here"));
            }
        }
        match seen.get(&name) {
            Some(first) => {
                cx.error_spanned_by(
                    at,
                    format_args!(
                        "`{ident}` generates the message type `{name}`, as `{}` does: {fix}",
                        first.ident()
                    ),
                );
                cx.error_spanned_by(
                    first.ident(),
                    format_args!("`{}` generates `{name}` first", first.ident()),
                );
            }
            None => {
                seen.insert(name, method);
            }
        }
    }
}

/// `X` of a message type written `X`, `X<..>` or `self::X`: a type of the block's own
/// module, which a generated `X` would clash with.
fn bare_name(ty: &Type) -> Option<&Ident> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() || path.path.leading_colon.is_some() {
        return None;
    }
    let segments: Vec<_> = path.path.segments.iter().collect();
    match segments.as_slice() {
        [only] => Some(&only.ident),
        [first, last] if first.ident == "self" => Some(&last.ident),
        _ => None,
    }
}

/// Each message type handled once; at most one catch-all, one start hook, one stop hook.
fn check_unique(cx: &mut Ctxt, actor: &Actor) {
    let mut seen: HashMap<String, &Type> = HashMap::new();
    // Generated types are checked by `check_generated_names`.
    let explicit = actor
        .handlers()
        .filter(|(method, _)| matches!(method.role(), Role::Handles(_)));
    for (method, ty) in explicit {
        let key = type_key(ty);
        match seen.get(&key) {
            Some(first) => {
                cx.error_spanned_by(
                    ty,
                    format_args!(
                        "`{key}` is handled twice: each message type has one handler; remove this `#[handles({key})]` from `{}` or merge it with the first",
                        method.ident()
                    ),
                );
                cx.error_spanned_by(first, format_args!("the first handler of `{key}` is here"));
            }
            None => {
                seen.insert(key, ty);
            }
        }
    }
    let mut first_of: HashMap<&str, &Method> = HashMap::new();
    for method in &actor.methods {
        let Some(name) = method.role().unique_name() else {
            continue;
        };
        match first_of.get(name) {
            Some(first) => cx.error_spanned_by(
                &method.marked.attr,
                format_args!(
                    "an actor has one {name}, and `{}` is already it: merge `{}` into `{0}`",
                    first.ident(),
                    method.ident()
                ),
            ),
            None => {
                first_of.insert(name, method);
            }
        }
    }
}
