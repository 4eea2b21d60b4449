//! Tag deltas (TagResource / UntagResource). Keys under the reserved `sirops:` prefix are
//! sirops' own bookkeeping, the ownership tag above all: a manifest's tags never touch them,
//! because losing the ownership tag would orphan the case from its manifest. Keys under `aws:`
//! belong to AWS, which refuses writes to them, so they are left alone the same way.

use std::collections::BTreeMap;

use super::FieldChange;
use super::fields::item_change;
use crate::model::{SpecField, is_reserved_tag_key};

#[derive(Debug, Default)]
pub(crate) struct TagDelta {
    /// Keys to add or whose value changes (TagResource).
    pub(crate) to_set: BTreeMap<String, String>,
    /// Keys to remove (UntagResource), sorted.
    pub(crate) to_remove: Vec<String>,
    pub(crate) changes: Vec<FieldChange>,
}

/// `desired` is the manifest's map; reserved keys in it (the validator refuses them) are ignored
/// rather than written, for the reason in the module doc.
pub(crate) fn diff_tags(
    desired: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
) -> TagDelta {
    let mut delta = TagDelta::default();
    let keys: std::collections::BTreeSet<&String> = desired
        .keys()
        .chain(live.keys())
        .filter(|key| !is_reserved_tag_key(key))
        .collect();
    for key in keys {
        let before = live.get(key).map(|value| tag_item(key, value));
        let after = desired.get(key).map(|value| tag_item(key, value));
        if before == after {
            continue;
        }
        match desired.get(key) {
            Some(value) => {
                delta.to_set.insert(key.clone(), value.clone());
            }
            None => delta.to_remove.push(key.clone()),
        }
        delta.changes.push(item_change(
            SpecField::Tags,
            before.as_ref(),
            after.as_ref(),
        ));
    }
    delta
}

/// A tag shown on its own, so an Add, Remove or Modify of one key says which key it is.
fn tag_item(key: &str, value: &str) -> serde_json::Value {
    serde_json::json!({ "key": key, "value": value })
}
