//! The `#[actor]` block as a small model: the impl block without our attributes, and each
//! marked method with its role.

use syn::ext::IdentExt;
use syn::{
    Attribute, FnArg, Generics, Ident, ImplItem, ItemImpl, Pat, Path, Signature, Type, Visibility,
};

use super::attr::{self, Marked, Role};
use crate::ctxt::Ctxt;
use crate::symbol::{ACTOR_CORE, ADDR_SUFFIX, CONTEXT, MESSAGE, STOP};

pub struct Actor {
    /// The block as it will be emitted: without our attributes, which `#[actor]` reads
    /// itself, so they need no import.
    pub item: ItemImpl,
    /// The actor's type name (the last segment of the self type).
    pub name: String,
    /// Methods with one of our attributes, in declaration order.
    pub methods: Vec<Method>,
    /// Our attributes on items that are not methods (consts, types, macros).
    pub misplaced: Vec<Attribute>,
    /// The path of each of our attributes removed from the block, as written, once each.
    pub helper_paths: Vec<Path>,
}

pub struct Method {
    pub marked: Marked,
    pub sig: Signature,
    /// The method's visibility: a generated message type's too.
    pub vis: Visibility,
    /// The method's doc comments, copied to what is generated from it.
    pub docs: Vec<Attribute>,
    /// For `#[message]`, the message type generated from the parameters.
    pub generated: Option<Generated>,
    /// More of our attributes on the same method: each is an error.
    pub extra: Vec<Marked>,
}

/// The message type `#[message] fn inc(&mut self, by: u64) -> u64` generates:
/// `struct Inc { by: u64 }` with the reply `u64`.
pub struct Generated {
    /// `Inc`, located at the method's name: a clash with another item of that name is
    /// reported there.
    pub ident: Ident,
    /// The same, as a type.
    pub ty: Type,
    /// One per parameter between `self` and the optional context. A parameter that is
    /// not a plain name (`(a, b): (u64, u64)`) is an error and has no field.
    pub fields: Vec<(Ident, Type)>,
    /// The return type, `()` if none; `R` of `Deferred<R>`.
    pub reply: Type,
    pub derives: Vec<Path>,
    /// `wire_name = "shop.Inc"`, checked.
    pub wire_name: Option<syn::LitStr>,
}

impl Actor {
    pub fn from_impl(cx: &mut Ctxt, mut item: ItemImpl) -> Self {
        let mut methods = Vec::new();
        let mut misplaced = Vec::new();
        let mut helper_paths: Vec<Path> = Vec::new();
        let mut note_paths = |attrs: &[Attribute]| {
            for attr in attrs {
                if !helper_paths.contains(attr.path()) {
                    helper_paths.push(attr.path().clone());
                }
            }
        };
        for impl_item in &mut item.items {
            let attrs = match impl_item {
                ImplItem::Fn(method) => &mut method.attrs,
                ImplItem::Const(item) => &mut item.attrs,
                ImplItem::Type(item) => &mut item.attrs,
                ImplItem::Macro(item) => &mut item.attrs,
                _ => continue,
            };
            let ours = attr::take(attrs);
            // `#[message]` is no macro: there is no path to resolve.
            let macros: Vec<Attribute> = ours
                .iter()
                .filter(|attr| attr::keyword(attr) != Some(MESSAGE))
                .cloned()
                .collect();
            note_paths(&macros);
            let ImplItem::Fn(method) = impl_item else {
                misplaced.extend(ours);
                continue;
            };
            let mut marks = attr::parse_all(cx, ours).into_iter();
            if let Some(first) = marks.next() {
                let generated = match &first.role {
                    Role::Message(short) => Generated::new(&method.sig, short),
                    _ => None,
                };
                methods.push(Method {
                    marked: first,
                    sig: method.sig.clone(),
                    vis: method.vis.clone(),
                    docs: method
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("doc"))
                        .cloned()
                        .collect(),
                    generated,
                    extra: marks.collect(),
                });
            }
        }
        let name = type_name(&item.self_ty);
        Actor {
            item,
            name,
            methods,
            misplaced,
            helper_paths,
        }
    }

    pub fn self_ty(&self) -> &Type {
        &self.item.self_ty
    }

    /// The `#[handles(M)]` and `#[message]` methods with their message types.
    pub fn handlers(&self) -> impl Iterator<Item = (&Method, &Type)> {
        self.methods
            .iter()
            .filter_map(|method| match method.role() {
                Role::Handles(ty) => Some((method, &**ty)),
                Role::Message(_) => method.generated.as_ref().map(|g| (method, &g.ty)),
                _ => None,
            })
    }

    /// `CounterAddr`, the trait of typed helpers on `Addr<Counter>`, located at the
    /// actor's name in `impl Counter`.
    pub fn helpers_trait(&self) -> Ident {
        let span = match self.self_ty() {
            Type::Path(path) => path.path.segments.last().map(|last| last.ident.span()),
            _ => None,
        };
        let span = span.unwrap_or_else(proc_macro2::Span::call_site);
        Ident::new(&format!("{}{ADDR_SUFFIX}", self.name), span)
    }

    /// The first method with the role `wanted` (one of the unit roles).
    pub fn hook(&self, wanted: fn(&Role) -> bool) -> Option<&Method> {
        self.methods.iter().find(|method| wanted(method.role()))
    }
}

impl Method {
    pub fn role(&self) -> &Role {
        &self.marked.role
    }

    pub fn ident(&self) -> &Ident {
        &self.sig.ident
    }

    /// Whether the role passes a message to the method as one parameter.
    pub fn takes_message(&self) -> bool {
        matches!(self.role(), Role::Handles(_) | Role::CatchAll)
    }

    /// The `R` of a handler that returns `Deferred<R>` (its reply given later), by the
    /// last segment of the return type's path, as written.
    pub fn deferred(&self) -> Option<&Type> {
        match &self.sig.output {
            syn::ReturnType::Type(_, ty) => deferred_reply(ty),
            syn::ReturnType::Default => None,
        }
    }

    /// The type of the context parameter, if the method takes one: it comes after the
    /// receiver and the message (if any); for `#[message]`, it is the last parameter.
    pub fn context(&self) -> Option<&Type> {
        if matches!(self.role(), Role::Message(_)) {
            return match self.sig.inputs.iter().skip(1).last() {
                Some(FnArg::Typed(param)) if is_context(&param.ty) => Some(&param.ty),
                _ => None,
            };
        }
        let position = 1 + usize::from(self.takes_message());
        match self.sig.inputs.iter().nth(position) {
            Some(FnArg::Typed(param)) => Some(&param.ty),
            _ => None,
        }
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string())
            .unwrap_or_default(),
        other => quote::quote!(#other).to_string(),
    }
}

/// A type as the user wrote it, without token spacing: `Vec<i64>`, `msg::Ping`.
pub fn type_key(ty: &Type) -> String {
    quote::quote!(#ty).to_string().replace(' ', "")
}

/// Whether `ty` names the runtime's built-in `Stop`, as far as a macro can tell from the
/// way it is written: a bare `Stop` (the prelude's) or a path through `actor_core`.
pub fn is_core_stop(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let segments = &path.path.segments;
    let is_stop = segments.last().is_some_and(|last| last.ident == STOP);
    let bare = path.qself.is_none() && segments.len() == 1 && path.path.leading_colon.is_none();
    let from_core = path.qself.is_none()
        && segments
            .first()
            .is_some_and(|first| first.ident == ACTOR_CORE);
    is_stop && (bare || from_core)
}

/// Whether `ty` is a bare type parameter of `generics`: `M` in `impl<M> A<M>`.
pub fn is_type_parameter(generics: &Generics, ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(ident) = path.path.get_ident() else {
        return false;
    };
    path.qself.is_none() && generics.type_params().any(|param| param.ident == *ident)
}

impl Generated {
    fn new(sig: &Signature, short: &attr::Short) -> Option<Self> {
        let ident = match &short.name {
            Some(name) => name.clone(),
            None => {
                let name = upper_camel(&sig.ident.unraw().to_string());
                if name.is_empty() || name == "Self" {
                    return None;
                }
                Ident::new(&name, sig.ident.span())
            }
        };
        let fields = sig
            .inputs
            .iter()
            .skip(1)
            .filter_map(|input| match input {
                FnArg::Typed(param) if !is_context(&param.ty) => match &*param.pat {
                    Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        Some((pat.ident.clone(), (*param.ty).clone()))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let reply = match &sig.output {
            syn::ReturnType::Default => syn::parse_quote!(()),
            syn::ReturnType::Type(_, ty) => deferred_reply(ty).unwrap_or(ty).clone(),
        };
        Some(Generated {
            ty: Type::Path(syn::TypePath {
                qself: None,
                path: ident.clone().into(),
            }),
            ident,
            fields,
            reply,
            derives: short.derives.clone(),
            wire_name: short.wire_name.clone(),
        })
    }
}

/// `inc` -> `Inc`, `get_inventory` -> `GetInventory`, `_x` -> `X`.
pub fn upper_camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// A parameter meant as the context: `Context<..>` by any reference or by value.
pub fn is_context(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => last_segment_is(&reference.elem, CONTEXT),
        other => last_segment_is(other, CONTEXT),
    }
}

pub fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name),
        _ => false,
    }
}

/// The `R` of `Deferred<R>`, by the last segment of the path, as written.
pub fn deferred_reply(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != crate::symbol::DEFERRED {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
            match args.args.first() {
                Some(syn::GenericArgument::Type(reply)) => Some(reply),
                _ => None,
            }
        }
        _ => None,
    }
}
