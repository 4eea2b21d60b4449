//! "Did you mean" for misspelt keys and enum values: most manifest mistakes are one typo away
//! from a valid name, and naming it saves a trip to the docs.

/// The candidate closest to `input`, when one is close enough to be a likely typo. Case is
/// ignored for the comparison, so `Title` suggests `title` and `us-EAST-1` suggests `us-east-1`.
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
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
}
