//! "Did you mean" for misspelt keys and enum values: most manifest mistakes are one typo away
//! from a valid name, and naming it saves a trip to the docs.

/// Input longer than this is no typo of a key or enum value (the longest is 37 characters), and
/// comparing it would cost time in proportion to its length for nothing.
const SUGGESTED_INPUT_CHARS_MAX: usize = 64;

/// The candidate closest to `input`, when one is close enough to be a likely typo. Case is
/// ignored for the comparison, so `Title` suggests `title` and `us-EAST-1` suggests `us-east-1`.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if input.chars().nth(SUGGESTED_INPUT_CHARS_MAX).is_some() {
        return None;
    }
    let input = input.to_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&input, &candidate.to_lowercase()),
                *candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|left, right| left.0.total_cmp(&right.0))
        .map(|(_, candidate)| candidate)
}

/// A hint naming the likely intended value, or else every valid one.
pub(crate) fn hint(input: &str, candidates: &[&str]) -> String {
    match closest(input, candidates) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_typos_are_suggested_and_unrelated_words_are_not() {
        let fields = ["title", "description", "watchers", "tags"];
        assert_eq!(closest("titel", &fields), Some("title"));
        assert_eq!(closest("watcher", &fields), Some("watchers"));
        assert_eq!(closest("Title", &fields), Some("title"));
        assert_eq!(closest("severity", &fields), None);
        assert_eq!(hint("zzz", &["a", "b"]), "expected one of: a, b");
    }

    #[test]
    fn long_input_gets_no_suggestion() {
        let at_most = "a".repeat(SUGGESTED_INPUT_CHARS_MAX);
        let longer = "a".repeat(SUGGESTED_INPUT_CHARS_MAX + 1);
        assert_eq!(closest(&at_most, &[&at_most]), Some(at_most.as_str()));
        assert_eq!(closest(&longer, &[&longer]), None);
    }
}
