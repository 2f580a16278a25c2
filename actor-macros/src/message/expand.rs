//! `impl Message`, from an item already known to be valid.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{parse_quote, Data, DeriveInput, Fields, LitStr, Type};

use crate::span::of_range;

/// `wire_name` has been checked already (`attr::check_wire_name`).
pub fn message(input: &DeriveInput, reply: Option<Type>, wire_name: Option<LitStr>) -> TokenStream {
    let name = &input.ident;
    let wire_name = wire_name.map(|lit| {
        quote! {
            const WIRE_NAME: ::core::option::Option<&'static str> =
                ::core::option::Option::Some(#lit);
        }
    });
    let reply = reply.unwrap_or_else(|| parse_quote!(()));
    let mut generics = input.generics.clone();
    // Type parameters must be sendable for the message to be.
    let bounded: Vec<_> = generics
        .type_params()
        .map(|param| param.ident.clone())
        .collect();
    let where_clause = generics.make_where_clause();
    for ident in bounded {
        where_clause
            .predicates
            .push(parse_quote!(#ident: ::core::marker::Send + 'static));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    // One `__AssertSend<FieldType>` per field, located at the field's type: checked
    // before the impl, so a field that cannot cross threads is the first error, at the
    // field, rather than at the message's name.
    let send = quote!(::core::marker::Send);
    let assertions = fields(&input.data).map(|ty| {
        let (first, last) = of_range(ty);
        let close = quote_spanned!(last=> >);
        quote_spanned!(first=> __AssertSend<#ty #close)
    });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            struct __AssertSend<__T: ?::core::marker::Sized + #send>(::core::marker::PhantomData<__T>);

            #[allow(dead_code)]
            struct __Fields #impl_generics (#(#assertions,)*) #where_clause;

            #[automatically_derived]
            impl #impl_generics ::actor_core::__private::Message for #name #ty_generics #where_clause {
                type Reply = #reply;
                #wire_name
            }
        };
    }
}

/// The types of every field, of every variant.
fn fields(data: &Data) -> impl Iterator<Item = &Type> {
    let all: Vec<&Fields> = match data {
        Data::Struct(data) => vec![&data.fields],
        Data::Enum(data) => data
            .variants
            .iter()
            .map(|variant| &variant.fields)
            .collect(),
        Data::Union(_) => Vec::new(),
    };
    all.into_iter()
        .flat_map(|fields| fields.iter().map(|field| &field.ty))
}
