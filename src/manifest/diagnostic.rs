//! The one shape every manifest problem takes, so the CLI can print, count and sort them
//! without knowing which rule produced them.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one manifest file, pointing at the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What would be right, when sirops can say.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {severity}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

/// How many characters of a value from the manifest a message shows: enough to recognise it,
/// few enough that a megabyte value still makes a one-line message.
pub(crate) const SHOWN_CHARS_MAX: usize = 60;

/// A value from the manifest as a message shows it: whole when short, else its first
/// characters, `…` and its full length.
pub(crate) fn shortened(text: &str) -> Cow<'_, str> {
    match cut(text) {
        None => Cow::Borrowed(text),
        Some((start, length)) => Cow::Owned(format!("{start}… ({length} characters)")),
    }
}

/// `shortened`, in quotes with control characters escaped. An escape such as `\u{15}` takes
/// several characters, so the start is cut where its escaped form reaches the limit.
pub(crate) fn quoted(text: &str) -> String {
    let mut shown = String::new();
    let mut shown_chars = 0;
    for character in text.chars() {
        let escaped: String = match character {
            // As `{:?}` of a string writes it: only the double quote needs a backslash.
            '\'' => "'".into(),
            _ => character.escape_debug().collect(),
        };
        let width = escaped.chars().count();
        if shown_chars + width > SHOWN_CHARS_MAX {
            let length = text.chars().count();
            return format!("\"{shown}\"… ({length} characters)");
        }
        shown.push_str(&escaped);
        shown_chars += width;
    }
    format!("\"{shown}\"")
}

/// The first `SHOWN_CHARS_MAX` characters and the length in characters, when there are more.
fn cut(text: &str) -> Option<(&str, usize)> {
    let (end, _) = text.char_indices().nth(SHOWN_CHARS_MAX)?;
    Some((&text[..end], text.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole_and_long_ones_cut_with_their_length() {
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert_eq!(shortened("abc"), "abc");
        let sixty = "é".repeat(SHOWN_CHARS_MAX);
        assert_eq!(quoted(&sixty), format!("{sixty:?}"));
        let long = format!("{sixty}{}", "x".repeat(5_000));
        assert_eq!(quoted(&long), format!("{sixty:?}… (5060 characters)"));
        assert_eq!(shortened(&long), format!("{sixty}… (5060 characters)"));
    }

    #[test]
    fn escapes_count_towards_the_limit_as_written() {
        let controls = "\u{15}".repeat(100);
        let shown = "\\u{15}".repeat(SHOWN_CHARS_MAX / 6);
        assert_eq!(quoted(&controls), format!("\"{shown}\"… (100 characters)"));
        for text in ["it's \"x\"\n\t\\ é \u{1F600}", "", "\u{301}a"] {
            assert_eq!(quoted(text), format!("{text:?}"));
        }
    }
}
