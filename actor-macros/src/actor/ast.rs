//! The `#[actor]` block as a small model: the impl block without our attributes, and each
//! marked method with its role.

use syn::{Attribute, FnArg, Generics, Ident, ImplItem, ItemImpl, Path, Signature, Type};

use super::attr::{self, Marked, Role};
use crate::ctxt::Ctxt;
use crate::symbol::{ACTOR_CORE, STOP};

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
    /// More of our attributes on the same method: each is an error.
    pub extra: Vec<Marked>,
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
            note_paths(&ours);
            let ImplItem::Fn(method) = impl_item else {
                misplaced.extend(ours);
                continue;
            };
            let mut marks = attr::parse_all(cx, ours).into_iter();
            if let Some(first) = marks.next() {
                methods.push(Method {
                    marked: first,
                    sig: method.sig.clone(),
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

    /// The `#[handles(M)]` methods with their message types.
    pub fn handlers(&self) -> impl Iterator<Item = (&Method, &Type)> {
        self.methods
            .iter()
            .filter_map(|method| match method.role() {
                Role::Handles(ty) => Some((method, &**ty)),
                _ => None,
            })
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

    /// Whether the role passes a message to the method.
    pub fn takes_message(&self) -> bool {
        matches!(self.role(), Role::Handles(_) | Role::CatchAll)
    }

    /// The type of the context parameter, if the method takes one: it comes after the
    /// receiver and the message (if any).
    /// The `R` of a handler that returns `Deferred<R>` (its reply given later), by the
    /// last segment of the return type's path, as written.
    pub fn deferred(&self) -> Option<&Type> {
        let syn::ReturnType::Type(_, ty) = &self.sig.output else {
            return None;
        };
        let Type::Path(path) = &**ty else {
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

    pub fn context(&self) -> Option<&Type> {
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
