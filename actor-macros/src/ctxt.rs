//! Collects every error a macro finds, so the user sees all their mistakes in one build.
//!
//! As serde's `Ctxt` does, it must be checked: dropping one whose errors were never taken
//! with [`check`](Ctxt::check) is a bug in this crate (the user's mistakes would vanish
//! silently), so it panics, unless the thread is already panicking.

use std::fmt::Display;

use quote::ToTokens;

pub struct Ctxt {
    /// `None` once checked.
    errors: Option<Vec<syn::Error>>,
}

impl Default for Ctxt {
    fn default() -> Self {
        Ctxt {
            errors: Some(Vec::new()),
        }
    }
}

impl Ctxt {
    /// Records an error on the exact tokens at fault.
    pub fn error_spanned_by<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error syn already built (with its span).
    pub fn syn_error(&mut self, error: syn::Error) {
        self.errors
            .as_mut()
            .expect("actor-macros: an error recorded after its Ctxt was checked")
            .push(error);
    }

    /// All the errors as one, if there were any.
    pub fn check(mut self) -> syn::Result<()> {
        let mut errors = self.errors.take().unwrap_or_default().into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if self.errors.is_some() && !std::thread::panicking() {
            panic!("actor-macros: a Ctxt was dropped without being checked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ctxt;

    #[test]
    fn a_checked_context_gives_back_every_error_as_one() {
        let mut cx = Ctxt::default();
        cx.error_spanned_by(quote::quote!(a), "first");
        cx.error_spanned_by(quote::quote!(b), "second");
        let error = cx.check().unwrap_err();
        assert_eq!(error.into_iter().count(), 2);
    }

    #[test]
    #[should_panic(expected = "dropped without being checked")]
    fn an_unchecked_context_panics_when_dropped() {
        let mut cx = Ctxt::default();
        cx.error_spanned_by(quote::quote!(a), "lost");
        drop(cx);
    }
}
