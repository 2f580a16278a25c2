//! Every rule of `#[derive(Message)]`, each failure an error on the tokens at fault.

use syn::{Attribute, Data, DeriveInput, Fields, GenericParam};

use crate::ctxt::Ctxt;
use crate::symbol::MESSAGE;

pub fn check(cx: &mut Ctxt, input: &DeriveInput) {
    if let Data::Union(union) = &input.data {
        cx.error_spanned_by(
            union.union_token,
            "#[derive(Message)] works on structs and enums, not unions: wrap the union's data in a struct",
        );
    }
    for param in &input.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            cx.error_spanned_by(
                &lifetime.lifetime,
                format_args!(
                    "a message crosses threads, so it must own its data: remove the lifetime `{}` and use owned types (`String` for `&str`)",
                    lifetime.lifetime
                ),
            );
        }
    }
    let misplaced = |cx: &mut Ctxt, attrs: &[Attribute]| {
        for attr in attrs.iter().filter(|attr| attr.path().is_ident(MESSAGE)) {
            cx.error_spanned_by(
                attr,
                "#[message(..)] goes on the message type itself, above `struct` or `enum`",
            );
        }
    };
    let check_fields = |cx: &mut Ctxt, fields: &Fields| {
        for field in fields {
            misplaced(cx, &field.attrs);
        }
    };
    match &input.data {
        Data::Struct(data) => check_fields(cx, &data.fields),
        Data::Enum(data) => {
            for variant in &data.variants {
                misplaced(cx, &variant.attrs);
                check_fields(cx, &variant.fields);
            }
        }
        Data::Union(data) => {
            for field in &data.fields.named {
                misplaced(cx, &field.attrs);
            }
        }
    }
}
