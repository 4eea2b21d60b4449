//! Which edits of a case's history explain a field that changed outside git. The API does not
//! document its edit actions, so the reading is the strictest one: an action that names a field
//! (`<Field>Updated` with the manifest key capitalised, and `CaseClosed` and `TagsRemoved`)
//! explains that field alone; the actions known to change no manifest field (creating the
//! case, comments, attachments, the closure code, AWS's pending action) explain none; and any
//! other action, whose effect nothing states, may have changed any field and so explains
//! every one. No I/O here: the history is read by
//! [`super::CaseApi::list_case_edits`].

use std::collections::BTreeSet;

use crate::model::{CaseEdit, SpecField, Timestamp};

/// The principal sirops ran as when it applied the revision the case is tagged with, committed
/// at `committed`. Only sirops writes the revision tag, and it does so in the first run that
/// changes the case after the commit: in CreateCase, or in a TagResource. So the case's
/// creation or first tag change at or after the commit is sirops's. (Somebody tagging the case
/// by hand between the commit and that run would be taken for sirops; the service records no
/// more than that to tell them apart.)
pub fn sirops_principal(edits: &[CaseEdit], committed: Timestamp) -> Option<&str> {
    edits
        .iter()
        .filter(|edit| edit.time >= committed)
        .find(|edit| RECORD_REVISION.contains(&edit.action.as_str()))
        .map(|edit| edit.principal.as_str())
}

/// The actions by which apply records the revision on a case.
const RECORD_REVISION: [&str; 2] = ["CaseCreated", "TagsUpdated"];

/// What explains `field`'s drift, for a plan to show: the edits of [`edits_explaining`], with
/// those by a principal in `own` (sirops's) marked. sirops's own edits applied git, so they
/// are shown only when nothing else explains the field (an apply from uncommitted manifests,
/// say); otherwise they are left out.
pub fn explanation(
    field: SpecField,
    edits: &[CaseEdit],
    since: Option<Timestamp>,
    own: &BTreeSet<String>,
) -> Vec<CaseEdit> {
    let explaining = edits_explaining(field, edits, since);
    let by_others: Vec<CaseEdit> = explaining
        .iter()
        .filter(|edit| !own.contains(&edit.principal))
        .map(|edit| (*edit).clone())
        .collect();
    if !by_others.is_empty() {
        return by_others;
    }
    explaining
        .into_iter()
        .map(|edit| CaseEdit {
            by_sirops: true,
            ..edit.clone()
        })
        .collect()
}

/// The edits that may have set `field`, oldest first as `edits` are, made at or after `since`
/// when given.
pub fn edits_explaining(
    field: SpecField,
    edits: &[CaseEdit],
    since: Option<Timestamp>,
) -> Vec<&CaseEdit> {
    edits
        .iter()
        .filter(|edit| since.is_none_or(|since| edit.time >= since))
        .filter(|edit| !CHANGE_NO_FIELD.contains(&edit.action.as_str()))
        .filter(|edit| field_named_by(&edit.action).is_none_or(|named| named == field))
        .collect()
}

/// Actions that change nothing a manifest manages. A case's creation is not drift either: the
/// base it would drift from did not exist before it.
const CHANGE_NO_FIELD: [&str; 6] = [
    "AttachmentAdded",
    "CaseCreated",
    "ClosureCodeUpdated",
    "CommentAdded",
    "CommentUpdated",
    "PendingActionUpdated",
];

/// The one field an action says it changed; `None` when it names none.
pub fn field_named_by(action: &str) -> Option<SpecField> {
    match action {
        "CaseClosed" => Some(SpecField::Status),
        "TagsRemoved" => Some(SpecField::Tags),
        _ => {
            let subject = action.strip_suffix("Updated")?;
            SpecField::ALL
                .into_iter()
                .find(|field| is_capitalised(subject, field.name()))
        }
    }
}

/// `subject` is `name` with its first letter upper case: `ImpactedAwsRegions` for
/// `impactedAwsRegions`.
fn is_capitalised(subject: &str, name: &str) -> bool {
    let mut subject_chars = subject.chars();
    let mut name_chars = name.chars();
    match (subject_chars.next(), name_chars.next()) {
        (Some(first), Some(name_first)) => {
            name_first.to_uppercase().eq(std::iter::once(first))
                && subject_chars.as_str() == name_chars.as_str()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn edit(seconds: i64, principal: &str, action: &str) -> CaseEdit {
        CaseEdit {
            time: Timestamp::from_epoch_millis(seconds * 1000),
            principal: principal.to_string(),
            action: action.to_string(),
            message: format!("{action} by {principal}"),
            by_sirops: false,
        }
    }

    fn actions<'a>(explaining: &[&'a CaseEdit]) -> Vec<&'a str> {
        explaining.iter().map(|edit| edit.action.as_str()).collect()
    }

    #[test]
    fn each_field_is_named_by_its_capitalised_key_and_updated() {
        for field in SpecField::ALL {
            let name = field.name();
            let action = format!("{}{}Updated", name[..1].to_uppercase(), &name[1..]);
            assert_eq!(field_named_by(&action), Some(field), "{action}");
        }
        assert_eq!(
            field_named_by("ImpactedAwsRegionsUpdated"),
            Some(SpecField::ImpactedAwsRegions)
        );
        assert_eq!(
            field_named_by("CaseMetadataUpdated"),
            Some(SpecField::CaseMetadata)
        );
    }

    #[test]
    fn closing_names_the_status_and_removing_tags_names_the_tags() {
        assert_eq!(field_named_by("CaseClosed"), Some(SpecField::Status));
        assert_eq!(field_named_by("TagsRemoved"), Some(SpecField::Tags));
        assert_eq!(field_named_by("TagsUpdated"), Some(SpecField::Tags));
    }

    #[test]
    fn near_misses_name_no_field() {
        for action in [
            "",
            "Updated",
            "titleUpdated",
            "TITLEUpdated",
            "TitleUpdate",
            "TitleUpdatedd",
            "ImpactedAWSRegionsUpdated",
            "CaseCreated",
            "CommentAdded",
            "ClosureCodeUpdated",
        ] {
            assert_eq!(field_named_by(action), None, "{action:?}");
        }
    }

    #[test]
    fn a_field_is_explained_by_its_own_edits_and_by_edits_of_unknown_effect() {
        let history = [
            edit(1, "sirops", "CaseCreated"),
            edit(2, "console", "TitleUpdated"),
            edit(3, "console", "DescriptionUpdated"),
            edit(4, "responder", "SomethingNew"),
            edit(5, "console", "TitleUpdated"),
        ];
        assert_eq!(
            actions(&edits_explaining(SpecField::Title, &history, None)),
            ["TitleUpdated", "SomethingNew", "TitleUpdated"]
        );
        assert_eq!(
            actions(&edits_explaining(SpecField::Watchers, &history, None)),
            ["SomethingNew"]
        );
    }

    #[test]
    fn the_status_is_explained_by_moves_and_by_closing() {
        let history = [
            edit(1, "sirops", "StatusUpdated"),
            edit(2, "sirops", "WatchersUpdated"),
            edit(3, "responder", "CaseClosed"),
        ];
        assert_eq!(
            actions(&edits_explaining(SpecField::Status, &history, None)),
            ["StatusUpdated", "CaseClosed"]
        );
    }

    #[test]
    fn tags_are_explained_by_additions_and_removals() {
        let history = [
            edit(1, "console", "TagsUpdated"),
            edit(2, "console", "TitleUpdated"),
            edit(3, "console", "TagsRemoved"),
        ];
        assert_eq!(
            actions(&edits_explaining(SpecField::Tags, &history, None)),
            ["TagsUpdated", "TagsRemoved"]
        );
    }

    #[test]
    fn only_edits_at_or_after_since_explain() {
        let history = [
            edit(1, "sirops", "TitleUpdated"),
            edit(2, "console", "TitleUpdated"),
            edit(3, "console", "Unknown"),
        ];
        let since = Some(Timestamp::from_epoch_millis(2000));
        let explaining = edits_explaining(SpecField::Title, &history, since);
        assert_eq!(
            explaining
                .iter()
                .map(|edit| (edit.principal.as_str(), edit.action.as_str()))
                .collect::<Vec<_>>(),
            [("console", "TitleUpdated"), ("console", "Unknown")]
        );
        let after_all = Some(Timestamp::from_epoch_millis(3001));
        assert!(edits_explaining(SpecField::Title, &history, after_all).is_empty());
        assert!(edits_explaining(SpecField::Title, &[], None).is_empty());
    }

    #[test]
    fn the_explaining_edits_keep_the_order_they_were_given_in() {
        let history = [
            edit(2, "console", "TitleUpdated"),
            edit(1, "console", "TitleUpdated"),
        ];
        assert_eq!(
            edits_explaining(SpecField::Title, &history, None),
            [&history[0], &history[1]]
        );
    }

    /// Every action string the emulator records, read from its source.
    fn emulator_actions() -> BTreeSet<String> {
        fn visit(directory: &Path, found: &mut BTreeSet<String>, action: &regex::Regex) {
            for entry in std::fs::read_dir(directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, found, action);
                } else if path.extension().is_some_and(|extension| extension == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    for captures in action.captures_iter(&source) {
                        found.insert(captures[1].to_string());
                    }
                }
            }
        }
        let action =
            regex::Regex::new(r#""([A-Z][A-Za-z]+(?:Updated|Closed|Removed|Added|Created))""#)
                .unwrap();
        let mut found = BTreeSet::new();
        visit(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/emulator"),
            &mut found,
            &action,
        );
        found
    }

    #[test]
    fn sirops_is_whoever_recorded_the_revision_first_after_its_commit() {
        let history = [
            edit(5, "role/old-ci", "TagsUpdated"),
            edit(9, "alice", "TitleUpdated"),
            edit(10, "role/ci", "TitleUpdated"),
            edit(11, "role/ci", "TagsUpdated"),
            edit(12, "bob", "TagsUpdated"),
        ];
        let at = |seconds: i64| Timestamp::from_epoch_millis(seconds * 1000);
        assert_eq!(sirops_principal(&history, at(10)), Some("role/ci"));
        assert_eq!(sirops_principal(&history, at(11)), Some("role/ci"));
        assert_eq!(sirops_principal(&history, at(4)), Some("role/old-ci"));
        assert_eq!(sirops_principal(&history, at(13)), None);
        let created = [
            edit(20, "role/ci", "CaseCreated"),
            edit(21, "alice", "TagsUpdated"),
        ];
        assert_eq!(sirops_principal(&created, at(19)), Some("role/ci"));
    }

    #[test]
    fn sirops_own_edits_are_left_out_while_somebody_else_explains_the_field() {
        let history = [
            edit(10, "role/ci", "TitleUpdated"),
            edit(11, "role/ci", "TagsUpdated"),
            edit(20, "alice", "TitleUpdated"),
        ];
        let own = BTreeSet::from(["role/ci".to_string()]);
        let shown = explanation(SpecField::Title, &history, None, &own);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].principal, "alice");
        assert!(!shown[0].by_sirops);

        let by_sirops_alone = explanation(SpecField::Title, &history[..2], None, &own);
        assert_eq!(by_sirops_alone.len(), 1);
        assert_eq!(by_sirops_alone[0].principal, "role/ci");
        assert!(by_sirops_alone[0].by_sirops);

        let nobody_known = explanation(SpecField::Title, &history, None, &BTreeSet::new());
        assert_eq!(nobody_known.len(), 2);
        assert!(nobody_known.iter().all(|edit| !edit.by_sirops));
    }

    #[test]
    fn every_field_is_named_by_an_action_the_emulator_records() {
        let actions = emulator_actions();
        let named: BTreeSet<SpecField> = actions
            .iter()
            .filter_map(|action| field_named_by(action))
            .collect();
        assert_eq!(named, SpecField::ALL.into_iter().collect());
        let naming_no_field: Vec<&str> = actions
            .iter()
            .map(String::as_str)
            .filter(|action| field_named_by(action).is_none())
            .collect();
        assert_eq!(
            naming_no_field, CHANGE_NO_FIELD,
            "an action the emulator records for a field must name it as the matcher reads it"
        );
    }
}
