//! How names become NATS subjects: one token per actor name, message type or topic key,
//! under the node's prefix.

use std::fmt::Write as _;

use super::error::NatsError;

/// Whether a byte stands for itself in a subject token; every other byte is written
/// `~XX` (two uppercase hex digits), `~` itself included.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':')
}

/// The subject token for any string: never empty, never a wildcard, with no dot or
/// white space, and different strings give different tokens. Readable where the string
/// is (`app::Price` stays `app::Price`; `Vec<u8>` becomes `Vec~3Cu8~3E`). The empty
/// string is `~`, which no other string gives.
pub(crate) fn token(s: &str) -> String {
    if s.is_empty() {
        return "~".to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if plain(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "~{b:02X}");
        }
    }
    out
}

/// Checks a prefix given by the user (the subject prefix, the inbox prefix): dot-separated
/// tokens, none empty, of printable ASCII without wildcards.
pub(crate) fn check_prefix(what: &'static str, prefix: &str) -> Result<(), NatsError> {
    let invalid = |reason: &str| NatsError::Invalid {
        what,
        value: prefix.to_owned(),
        reason: reason.to_owned(),
    };
    if prefix.is_empty() {
        return Err(invalid("it is empty"));
    }
    for part in prefix.split('.') {
        if part.is_empty() {
            return Err(invalid(
                "it has an empty token: two dots in a row, or a dot at one end",
            ));
        }
        if part.bytes().any(|b| b == b'*' || b == b'>') {
            return Err(invalid("the wildcards `*` and `>` cannot appear in it"));
        }
        if part.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(invalid(
                "it may hold only printable ASCII, without spaces or control characters",
            ));
        }
    }
    Ok(())
}

/// The subjects of one node's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subjects {
    prefix: String,
}

impl Subjects {
    /// Subjects under `prefix`, already checked with [`check_prefix`].
    pub(crate) fn new(prefix: &str) -> Self {
        Subjects {
            prefix: prefix.to_owned(),
        }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Where requests to the actor exposed as `name` go: `{prefix}.actor.{name}`.
    pub(crate) fn actor(&self, name: &str) -> String {
        format!("{}.actor.{}", self.prefix, token(name))
    }

    /// Where the messages published with wire name `message` go: `{prefix}.topic.{message}`,
    /// or `{prefix}.topic.{message}.{key}` under a key.
    pub(crate) fn topic(&self, message: &str, key: Option<&str>) -> String {
        match key {
            None => format!("{}.topic.{}", self.prefix, token(message)),
            Some(key) => format!("{}.topic.{}.{}", self.prefix, token(message), token(key)),
        }
    }
}

#[cfg(feature = "console")]
impl Subjects {
    /// Where the node named `name` publishes its snapshots: `{prefix}.console.{name}`.
    pub(crate) fn console(&self, name: &str) -> String {
        format!("{}.console.{}", self.prefix, token(name))
    }

    /// Every node's snapshots: `{prefix}.console.*`.
    pub(crate) fn consoles(&self) -> String {
        format!("{}.console.*", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(token("warehouse"), "warehouse");
        assert_eq!(token("app::msg::Price"), "app::msg::Price");
        assert_eq!(token("worker-1_a"), "worker-1_a");
    }

    #[test]
    fn dots_spaces_wildcards_and_generics_are_escaped() {
        assert_eq!(token("a.b"), "a~2Eb");
        assert_eq!(token("a b"), "a~20b");
        assert_eq!(token("*"), "~2A");
        assert_eq!(token(">"), "~3E");
        assert_eq!(token("Vec<u8>"), "Vec~3Cu8~3E");
        assert_eq!(token("~"), "~7E");
        assert_eq!(token("é"), "~C3~A9");
    }

    #[test]
    fn every_token_is_one_valid_subject_token() {
        for name in [
            "", " ", ".", "..", "*", ">", "a.b.>", "\t\r\n", "(u8, u8)", "~", "é",
        ] {
            let t = token(name);
            assert!(!t.is_empty(), "{name:?}");
            assert!(t.bytes().all(|b| plain(b) || b == b'~'), "{name:?} -> {t}");
        }
    }

    #[test]
    fn different_names_give_different_tokens() {
        let names = ["", "~", "~7E", "a.b", "a~2Eb", "a b", "a~20b", "Vec<u8>"];
        let tokens: std::collections::HashSet<_> = names.iter().map(|n| token(n)).collect();
        assert_eq!(tokens.len(), names.len());
    }

    #[test]
    fn subjects_sit_under_the_prefix() {
        let subjects = Subjects::new("shop.prod");
        assert_eq!(subjects.actor("cart"), "shop.prod.actor.cart");
        assert_eq!(
            subjects.topic("app::Price", None),
            "shop.prod.topic.app::Price"
        );
        assert_eq!(
            subjects.topic("app::Price", Some("eu.west")),
            "shop.prod.topic.app::Price.eu~2Ewest"
        );
        #[cfg(feature = "console")]
        {
            assert_eq!(subjects.console("web.1"), "shop.prod.console.web~2E1");
            assert_eq!(subjects.consoles(), "shop.prod.console.*");
        }
    }

    #[test]
    fn bad_prefixes_are_refused_with_the_reason() {
        assert!(check_prefix("subject prefix", "shop.prod").is_ok());
        assert!(check_prefix("subject prefix", "$app").is_ok());
        for bad in [
            "", ".", "a..b", "a.", ".a", "a.*", "a.>", "a b", "a\tb", "é",
        ] {
            let err = check_prefix("subject prefix", bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("`{bad}` is not a valid subject prefix: ")),
                "{err}"
            );
        }
    }
}
