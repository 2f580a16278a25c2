//! `#[message(reply = T, name = "shop.Order")]` on the message type: its keys, read with
//! every mistake reported.

use syn::parse::ParseStream;
use syn::{Attribute, LitStr, Meta, Token, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{MESSAGE, NAME, REPLY};

/// What `#[message(..)]` on a message type says.
#[derive(Default)]
pub struct Keys {
    /// `reply = T`: the reply type.
    pub reply: Option<Type>,
    /// `name = "shop.Order"`: the wire name, already checked.
    pub name: Option<LitStr>,
}

/// The keys of every `#[message(..)]` on the type.
pub fn keys(cx: &mut Ctxt, attrs: &[Attribute]) -> Keys {
    let mut reply: Option<(syn::Path, Type)> = None;
    let mut name: Option<(syn::Path, LitStr)> = None;
    for attr in attrs {
        if !attr.path().is_ident(MESSAGE) {
            continue;
        }
        let list = match &attr.meta {
            Meta::List(list) => list,
            Meta::Path(path) => {
                cx.error_spanned_by(
                    path,
                    "#[message] needs a key: write `#[message(reply = Type)]`, or remove it for the reply `()`",
                );
                continue;
            }
            Meta::NameValue(name_value) => {
                cx.error_spanned_by(
                    name_value,
                    "#[message] takes its key in parentheses: write `#[message(reply = Type)]`",
                );
                continue;
            }
        };
        if list.tokens.is_empty() {
            cx.error_spanned_by(
                list,
                "#[message()] is empty: write `#[message(reply = Type)]`, or remove it for the reply `()`",
            );
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(NAME) {
                if !meta.input.peek(Token![=]) {
                    return Err(meta.error(
                        "`name` needs the wire name: write `name = \"shop.Order\"`",
                    ));
                }
                let value = meta.value()?;
                if ends_value(value) {
                    return Err(meta.error(
                        "`name =` needs the wire name after `=`: write `name = \"shop.Order\"`",
                    ));
                }
                let lit = match value.parse::<LitStr>() {
                    Ok(lit) => lit,
                    Err(_) => {
                        let bad: syn::Expr = value.parse()?;
                        cx.error_spanned_by(
                            bad,
                            "`name` takes the wire name as a string literal: write `name = \"shop.Order\"`",
                        );
                        return Ok(());
                    }
                };
                if let Err(problem) = check_wire_name(&lit.value()) {
                    cx.error_spanned_by(&lit, problem);
                }
                match &name {
                    Some((first, _)) => {
                        cx.error_spanned_by(
                            &meta.path,
                            "duplicate `name` key: a message has one wire name; remove this one",
                        );
                        cx.error_spanned_by(first, "the first `name` key is here");
                    }
                    None => name = Some((meta.path.clone(), lit)),
                }
                return Ok(());
            }
            if !meta.path.is_ident(REPLY) {
                let key = meta.path.clone();
                // Skip the unknown key's value, if any, so later keys are still checked.
                if meta.input.peek(Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                cx.error_spanned_by(
                    &key,
                    format_args!(
                        "unknown key `{}` in #[message(..)]: the keys are `reply` and `name`, as in `#[message(reply = u64, name = \"shop.Order\")]`",
                        quote::quote!(#key)
                    ),
                );
                return Ok(());
            }
            if !meta.input.peek(Token![=]) {
                return Err(meta.error("`reply` needs a type: write `reply = Type`"));
            }
            let value = meta.value()?;
            if ends_value(value) {
                return Err(meta.error("`reply =` needs a type after `=`: write `reply = Type`"));
            }
            let ty: Type = value.parse()?;
            match &reply {
                Some((first, _)) => {
                    cx.error_spanned_by(
                        &meta.path,
                        "duplicate `reply` key: a message has one reply type; remove this one",
                    );
                    cx.error_spanned_by(first, "the first `reply` key is here");
                }
                None => reply = Some((meta.path.clone(), ty)),
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    Keys {
        reply: reply.map(|(_, ty)| ty),
        name: name.map(|(_, lit)| lit),
    }
}

/// The longest wire name, in bytes.
pub const MAX_WIRE_NAME: usize = 128;

/// Whether `name` may be a wire name: 1 to [`MAX_WIRE_NAME`] bytes of ASCII letters,
/// digits, `_`, `-`, `:` and `.`, with `.` between non-empty parts. If not, why, as the
/// compile error says it. actor-core's `wire::codec::wire_name` documents the same rule.
pub fn check_wire_name(name: &str) -> Result<(), String> {
    const HINT: &str = "a wire name holds ASCII letters, digits, `_`, `-`, `:`, and `.` between parts, as in `shop.Order`";
    if name.is_empty() {
        return Err(format!(
            "the wire name is empty: {HINT}; or remove `name` to go by the Rust type name"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
    {
        return Err(format!(
            "the wire name {name:?} holds {bad:?}, which a wire name cannot: {HINT}"
        ));
    }
    if name.split('.').any(str::is_empty) {
        return Err(format!(
            "the wire name {name:?} has an empty part: `.` goes between parts, never at an end or twice in a row, as in `shop.Order`"
        ));
    }
    if name.len() > MAX_WIRE_NAME {
        return Err(format!(
            "the wire name is {} bytes long, over the limit of {MAX_WIRE_NAME}: shorten it",
            name.len()
        ));
    }
    Ok(())
}

/// Whether the value after `=` is missing: the input ends or the next key starts.
fn ends_value(input: ParseStream) -> bool {
    input.is_empty() || input.peek(Token![,])
}

#[cfg(test)]
mod tests {
    use super::{check_wire_name, MAX_WIRE_NAME};

    #[test]
    fn wire_names_of_the_allowed_set_pass() {
        for name in [
            "Ping",
            "shop.Order",
            "billing.v2.Invoice",
            "a-b_c:d.E9",
            "app::msg::Ping",
        ] {
            assert_eq!(check_wire_name(name), Ok(()), "{name}");
        }
        assert_eq!(check_wire_name(&"x".repeat(MAX_WIRE_NAME)), Ok(()));
    }

    #[test]
    fn other_wire_names_say_why_not() {
        let why = |name: &str| check_wire_name(name).unwrap_err();
        assert!(why("").contains("is empty"));
        assert!(why("shop order").contains("holds ' '"));
        assert!(why("shop.*").contains("holds '*'"));
        assert!(why("shop.>").contains("holds '>'"));
        assert!(why("Vec<u8>").contains("holds '<'"));
        assert!(why("é").contains("holds 'é'"));
        for name in [".Order", "shop.", "shop..Order", "."] {
            assert!(why(name).contains("empty part"), "{name}");
        }
        assert!(why(&"x".repeat(MAX_WIRE_NAME + 1)).contains("over the limit of 128"));
    }
}
