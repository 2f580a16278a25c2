//! The `#[actor]` block as a small model: the impl block cleaned of our attributes, and
//! each marked method with its role.

use syn::{Ident, ImplItem, ItemImpl, Signature, Type};

use super::attr::{self, Marked, Role};
use crate::ctxt::Ctxt;

pub struct Actor {
    /// The block as it will be emitted: our attributes removed.
    pub item: ItemImpl,
    /// The actor's type name (the last segment of the self type).
    pub name: String,
    /// Methods with one of our attributes, in declaration order.
    pub methods: Vec<Method>,
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
        for impl_item in &mut item.items {
            let ImplItem::Fn(method) = impl_item else {
                continue;
            };
            let mut marks = attr::take(cx, &mut method.attrs).into_iter();
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
                Role::Handles(ty) => Some((method, ty)),
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

    /// Whether the method takes the context as its last parameter; `plain` is how many
    /// parameters (self included) it has without it.
    pub fn takes_context(&self, plain: usize) -> bool {
        self.sig.inputs.len() > plain
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
