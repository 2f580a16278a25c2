//! Where generated code is located: at the user's tokens, so that the compiler's errors
//! about it point there and not at the macro call.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;

/// The user's own span of the first token of `tokens`, context included: for generated
/// code that names only items and absolute paths (impl headers, types), which resolve
/// the same in any context. Ranges over such code stay inside the user's tokens instead
/// of widening to the macro call, as mixed contexts would.
pub fn of(tokens: impl ToTokens) -> Span {
    tokens.into_token_stream().span()
}

/// Like `of`, for the first and the last token of `tokens`.
pub fn of_range(tokens: impl ToTokens) -> (Span, Span) {
    let tokens = tokens.into_token_stream();
    let first = of(&tokens);
    let last = tokens
        .into_iter()
        .last()
        .map_or(first, |token| token.span());
    (first, last)
}

/// The location of `tokens` with the hygiene of the macro's call site: for generated code
/// that names generated locals (`self`, `__msg`, `__ctx`), which must resolve as declared.
pub fn at(tokens: impl ToTokens) -> Span {
    Span::call_site().located_at(of(tokens))
}

/// Like `at`, for the first and the last token of `tokens`: generated code that starts
/// at one and ends at the other is reported over the whole of them (`Vec<u64>`, not
/// just `Vec`).
pub fn at_range(tokens: impl ToTokens) -> (Span, Span) {
    let tokens = tokens.into_token_stream();
    let first = at(&tokens);
    let last = tokens
        .into_iter()
        .last()
        .map_or(first, |token| Span::call_site().located_at(token.span()));
    (first, last)
}

/// A copy of `tokens`, each token located where it is but resolved with the hygiene of
/// the macro's call site: a user's type used next to generated locals, so that the code
/// around both has one context and is reported as one range. `$crate` keeps its own span,
/// which is what makes it resolve.
pub fn relocated(tokens: impl ToTokens) -> TokenStream {
    tokens
        .into_token_stream()
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut copy = Group::new(group.delimiter(), relocated(group.stream()));
                copy.set_span(Span::call_site().located_at(group.span()));
                TokenTree::Group(copy)
            }
            TokenTree::Ident(ident) if ident == "$crate" => TokenTree::Ident(ident),
            mut other => {
                other.set_span(Span::call_site().located_at(other.span()));
                other
            }
        })
        .collect()
}
