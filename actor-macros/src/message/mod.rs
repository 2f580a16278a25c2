//! `#[derive(Message)]`: read the `#[message(..)]` attributes (`attr`), check the item
//! (`valid`), then emit `impl Message` (`expand`).

mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

pub use attr::check_wire_name;
pub use expand::message as impl_message;

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let keys = attr::keys(&mut cx, &input.attrs);
    valid::check(&mut cx, input);
    cx.check()?;
    Ok(expand::message(input, keys.reply, keys.name))
}
