//! Opaque `nextToken`s. A case listing resumes after the last case id it returned, so cases
//! created between pages neither repeat nor shift the rest; comments and edits only ever grow at
//! the end, so an offset is stable for them.

use crate::emulator::service_error::ServiceError;

const CASES_PREFIX: &str = "cases-after:";
const OFFSET_PREFIX: &str = "offset:";

fn encode(text: &str) -> String {
    hex::encode(text.as_bytes())
}

fn decode(token: &str) -> Option<String> {
    String::from_utf8(hex::decode(token).ok()?).ok()
}

fn invalid_token() -> ServiceError {
    ServiceError::invalid_field(
        "nextToken",
        "is not a token this operation returned; start again without it",
    )
}

pub(crate) fn case_token(last_case_id: &str) -> String {
    encode(&format!("{CASES_PREFIX}{last_case_id}"))
}

/// The case id a ListCases page resumes after.
pub(crate) fn parse_case_token(token: &str) -> Result<String, ServiceError> {
    decode(token)
        .and_then(|text| text.strip_prefix(CASES_PREFIX).map(str::to_string))
        .filter(|case_id| !case_id.is_empty())
        .ok_or_else(invalid_token)
}

pub(crate) fn offset_token(offset: usize) -> String {
    encode(&format!("{OFFSET_PREFIX}{offset}"))
}

pub(crate) fn parse_offset_token(token: &str) -> Result<usize, ServiceError> {
    decode(token)
        .and_then(|text| text.strip_prefix(OFFSET_PREFIX)?.parse().ok())
        .ok_or_else(invalid_token)
}

/// One page of `items` starting at `offset`, and the token for the next page if any remain.
pub(crate) fn page_by_offset<T: Clone>(
    items: &[T],
    next_token: Option<&str>,
    max_results: usize,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let offset = match next_token {
        Some(token) if !token.is_empty() => parse_offset_token(token)?,
        _ => 0,
    };
    let end = offset.saturating_add(max_results).min(items.len());
    let page = items.get(offset..end).unwrap_or_default().to_vec();
    let next = (end < items.len()).then(|| offset_token(end));
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_foreign_values() {
        assert_eq!(
            parse_case_token(&case_token("1000000042")).ok().as_deref(),
            Some("1000000042")
        );
        assert_eq!(parse_offset_token(&offset_token(50)).ok(), Some(50));
        assert!(parse_case_token(&offset_token(3)).is_err());
        assert!(parse_offset_token(&case_token("1000000042")).is_err());
        assert!(parse_case_token("zz-not-hex").is_err());
    }

    #[test]
    fn offset_pages_cover_every_item_once() {
        let items: Vec<u32> = (0..7).collect();
        let (first, token) = page_by_offset(&items, None, 3).unwrap();
        assert_eq!(first, [0, 1, 2]);
        let (second, token) = page_by_offset(&items, token.as_deref(), 3).unwrap();
        assert_eq!(second, [3, 4, 5]);
        let (third, token) = page_by_offset(&items, token.as_deref(), 3).unwrap();
        assert_eq!(third, [6]);
        assert_eq!(token, None);
        let (beyond, token) = page_by_offset(&items, Some(&offset_token(99)), 3).unwrap();
        assert!(beyond.is_empty() && token.is_none());
    }
}
