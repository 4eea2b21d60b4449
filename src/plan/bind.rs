//! Which live case each manifest means, decided from what was read: the rules of identity and
//! ownership in one pure place, so the reader (`live::discover`) only fetches.
//!
//! # Rules
//! - A manifest with `metadata.caseId` means that case. When the case carries no sirops tag, or
//!   its ownership tag names a manifest that no longer exists, the manifest **adopts** it: the
//!   plan says so and the first apply tags it. A case of another scope is never adopted, and a
//!   case whose tag names a manifest that still exists is claimed twice: an error naming both.
//! - A manifest without `caseId` means the one case of its scope tagged `sirops:name=<name>`;
//!   failing that, the one tagged with one of its `previousNames` (a rename: the case keeps its
//!   id and is retagged). Two such cases are an error: sirops does not guess.
//! - A case's scope is its `sirops:scope` tag; a case with an ownership tag but no scope tag
//!   was made before scopes existed and belongs to the default scope. A run sees only cases of
//!   its own scope: the others are not listed as its orphans and never modified.

use std::collections::BTreeMap;

use crate::model::{
    CaseStatus, DEFAULT_SCOPE, DesiredCase, LiveCase, OWNERSHIP_TAG_KEY, SCOPE_TAG_KEY,
};

/// What the repository's manifests claim, for the rules that look across manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The scope of this run (`sirops.yaml`).
    pub scope: String,
    /// Where each manifest of the repository is written (`cases/x.yaml:3`), by name: the
    /// loaded ones and, in a run over part of the manifest root, the ones left out.
    sources: BTreeMap<String, String>,
    /// Case ids named by a loaded manifest's `caseId`, to the manifest's name.
    case_ids: BTreeMap<String, String>,
    /// Previous names of loaded manifests, to the manifest's name.
    previous_names: BTreeMap<String, String>,
}

impl Claims {
    /// `loaded` are the manifests of this run with where each is written; `others` are
    /// manifests of the repository this run did not load (name to where it is written).
    pub fn new<'a>(
        scope: &str,
        loaded: impl IntoIterator<Item = (&'a DesiredCase, String)>,
        others: BTreeMap<String, String>,
    ) -> Claims {
        let mut claims = Claims {
            scope: scope.to_string(),
            sources: others,
            ..Claims::default()
        };
        for (desired, source) in loaded {
            claims.sources.insert(desired.name.clone(), source);
            if let Some(case_id) = &desired.case_id {
                claims
                    .case_ids
                    .insert(case_id.clone(), desired.name.clone());
            }
            for previous in &desired.previous_names {
                claims
                    .previous_names
                    .insert(previous.clone(), desired.name.clone());
            }
        }
        claims
    }

    fn source(&self, name: &str) -> String {
        self.sources
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("the manifest {name:?}"))
    }

    /// True when the case belongs to a manifest this run loaded, by id, by name or by a
    /// previous name; such a case is never an orphan.
    pub fn claims_case(&self, case_id: &str, tags: &BTreeMap<String, String>) -> bool {
        self.case_ids.contains_key(case_id)
            || tags.get(OWNERSHIP_TAG_KEY).is_some_and(|name| {
                self.sources.contains_key(name) || self.previous_names.contains_key(name)
            })
    }
}

/// What a case's sirops tags say about who owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    /// The ownership tag's manifest name.
    pub name: Option<&'a str>,
    /// The scope: the scope tag, else the default scope when the case has an ownership tag
    /// (it predates scopes), else none (sirops never touched the case).
    pub scope: Option<&'a str>,
}

impl<'a> Owner<'a> {
    pub fn of(tags: &'a BTreeMap<String, String>) -> Owner<'a> {
        let name = tags.get(OWNERSHIP_TAG_KEY).map(String::as_str);
        let scope = tags
            .get(SCOPE_TAG_KEY)
            .map(String::as_str)
            .or(name.map(|_| DEFAULT_SCOPE));
        Owner { name, scope }
    }
}

/// A case found by the ListCases scan, with its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedCase {
    pub case_id: String,
    pub case_arn: String,
    pub status: Option<CaseStatus>,
    pub tags: BTreeMap<String, String>,
}

impl TaggedCase {
    fn owner(&self) -> Owner<'_> {
        Owner::of(&self.tags)
    }
}

/// Where to look for a manifest's case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Read the case its `caseId` names.
    ById(String),
    /// The scan found it by its tags: `tagged[index]`, through a previous name when set.
    ByTag {
        index: usize,
        renamed_from: Option<String>,
    },
    /// No case is this manifest's yet: it will be created.
    NotFound,
    /// The manifest cannot be bound; the message says why and what to do.
    Refused(String),
}

/// Where `desired`'s case is, from its `caseId` or the tags of the scanned cases.
pub fn lookup(desired: &DesiredCase, claims: &Claims, tagged: &[TaggedCase]) -> Lookup {
    if let Some(case_id) = &desired.case_id {
        return Lookup::ById(case_id.clone());
    }
    let in_scope_named = |name: &str| -> Vec<usize> {
        tagged
            .iter()
            .enumerate()
            .filter(|(_, case)| {
                let owner = case.owner();
                owner.name == Some(name) && owner.scope == Some(claims.scope.as_str())
            })
            .map(|(index, _)| index)
            .collect()
    };
    let mut found: Vec<(usize, Option<&String>)> = in_scope_named(&desired.name)
        .into_iter()
        .map(|index| (index, None))
        .collect();
    if found.is_empty() {
        for previous in &desired.previous_names {
            if let Some(source) = claims
                .sources
                .get(previous)
                .filter(|_| *previous != desired.name)
            {
                return Lookup::Refused(format!(
                    "metadata.previousNames names {previous:?}, but a manifest of that name still exists ({source}); a case has one manifest: remove the name from previousNames or delete that manifest"
                ));
            }
            found.extend(
                in_scope_named(previous)
                    .into_iter()
                    .map(|index| (index, Some(previous))),
            );
        }
    }
    match found.as_slice() {
        [] => Lookup::NotFound,
        [(index, renamed_from)] => {
            let case = &tagged[*index];
            if let Some(other) = claims.case_ids.get(&case.case_id) {
                return Lookup::Refused(claimed_twice(&case.case_id, other, claims));
            }
            Lookup::ByTag {
                index: *index,
                renamed_from: renamed_from.cloned(),
            }
        }
        several => {
            let ids: Vec<String> = several
                .iter()
                .map(|(index, name)| {
                    let name = name.map_or(desired.name.as_str(), String::as_str);
                    format!("{} ({OWNERSHIP_TAG_KEY}={name})", tagged[*index].case_id)
                })
                .collect();
            Lookup::Refused(format!(
                "{} cases of scope {:?} are tagged for this manifest: {}; sirops will not guess which one it means: set metadata.caseId to the one to keep",
                ids.len(),
                claims.scope,
                ids.join(", ")
            ))
        }
    }
}

fn claimed_twice(case_id: &str, by_id: &str, claims: &Claims) -> String {
    format!(
        "case {case_id} is also claimed by {} through its metadata.caseId; one case has one manifest: remove caseId there or the tag here",
        claims.source(by_id)
    )
}

/// How a bound case came to be this manifest's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The case already carries this manifest's ownership tag (maybe without the scope tag,
    /// if it predates scopes; apply adds it).
    Owned,
    /// `metadata.caseId` names a case sirops does not own under this name: apply tags it.
    Adopted {
        /// The manifest name its ownership tag had, when it had one whose manifest is gone.
        previous_name: Option<String>,
    },
    /// The case is tagged with one of the manifest's `previousNames`: apply retags it.
    Renamed { from: String },
}

/// What reading the live side found for one manifest.
// One binding per manifest, built once and consumed by `build_plan`: boxing the live case
// would cost every caller an allocation to save a few hundred bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// The case the manifest means, with its tags read, and how it came to be its.
    Found { live: LiveCase, claim: Claim },
    /// No case is bound yet: the manifest's case will be created.
    NotFound,
    /// The manifest cannot be planned (its case does not exist, is another manifest's or
    /// another scope's, or could not be read). Never a create: a manifest that names a case
    /// must not silently make another one.
    Failed(String),
}

/// The binding of a manifest whose case `lookup` named and the read returned (`live` with
/// its tags). `renamed_from` is `lookup`'s for a case found by tag.
pub fn classify(
    desired: &DesiredCase,
    claims: &Claims,
    live: LiveCase,
    renamed_from: Option<String>,
) -> Binding {
    let tags = live.tags.clone().unwrap_or_default();
    let owner = Owner::of(&tags);
    if let Some(scope) = owner.scope
        && scope != claims.scope
    {
        let how = match owner.name {
            Some(name) => format!(" as {name:?}"),
            None => String::new(),
        };
        return Binding::Failed(format!(
            "case {} belongs to scope {scope:?}{how} ({}), not to this repository's scope {:?}; sirops never adopts or changes another scope's case: remove metadata.caseId, or move the case on purpose by tagging it {SCOPE_TAG_KEY}={}",
            live.case_id,
            if tags.contains_key(SCOPE_TAG_KEY) {
                format!("tag {SCOPE_TAG_KEY}={scope}")
            } else {
                format!("it has {OWNERSHIP_TAG_KEY} but no {SCOPE_TAG_KEY}, so it predates scopes")
            },
            claims.scope,
            claims.scope,
        ));
    }
    let claim = match owner.name {
        Some(name) if name == desired.name => Claim::Owned,
        Some(name)
            if desired
                .previous_names
                .iter()
                .any(|previous| previous == name) =>
        {
            Claim::Renamed {
                from: name.to_string(),
            }
        }
        Some(name) if claims.sources.contains_key(name) => {
            return Binding::Failed(format!(
                "case {} is claimed twice: this manifest names it by metadata.caseId, and its ownership tag {OWNERSHIP_TAG_KEY}={name} names {}; one case has one manifest: remove caseId from one of them",
                live.case_id,
                claims.source(name),
            ));
        }
        Some(name) => Claim::Adopted {
            previous_name: Some(name.to_string()),
        },
        None => Claim::Adopted {
            previous_name: None,
        },
    };
    // A case found through a previous name is a rename even when its tag was read only now.
    let claim = match (claim, renamed_from) {
        (Claim::Owned, _) => Claim::Owned,
        (_, Some(from)) => Claim::Renamed { from },
        (claim, None) => claim,
    };
    Binding::Found { live, claim }
}

/// The sirops tags `live` must get to be `name`'s case in `scope`: none when it has them.
pub fn ownership_tags_to_set(name: &str, scope: &str, live: &LiveCase) -> BTreeMap<String, String> {
    let tags = live.tags.clone().unwrap_or_default();
    [(OWNERSHIP_TAG_KEY, name), (SCOPE_TAG_KEY, scope)]
        .into_iter()
        .filter(|(key, value)| tags.get(*key).map(String::as_str) != Some(*value))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// The owned cases of this scope that no loaded manifest claims and that are still open:
/// what `--prune` would close.
pub fn orphans<'a>(claims: &Claims, tagged: &'a [TaggedCase]) -> Vec<&'a TaggedCase> {
    tagged
        .iter()
        .filter(|case| {
            let owner = case.owner();
            owner.name.is_some()
                && owner.scope == Some(claims.scope.as_str())
                && !claims.claims_case(&case.case_id, &case.tags)
                && case.status.is_none_or(|status| !status.is_closed())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::{desired_case, live_case};

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn tagged(case_id: &str, pairs: &[(&str, &str)]) -> TaggedCase {
        TaggedCase {
            case_id: case_id.into(),
            case_arn: format!("arn:aws:security-ir:us-east-1:123456789012:case/{case_id}"),
            status: Some(CaseStatus::Submitted),
            tags: tags(pairs),
        }
    }

    fn claims(scope: &str, manifests: &[&DesiredCase]) -> Claims {
        Claims::new(
            scope,
            manifests
                .iter()
                .map(|desired| (*desired, format!("cases/{}.yaml:1", desired.name))),
            BTreeMap::new(),
        )
    }

    fn live_with(case_id: &str, pairs: &[(&str, &str)]) -> LiveCase {
        let mut live = live_case(case_id, "x", CaseStatus::Submitted);
        live.tags = Some(tags(pairs));
        live
    }

    #[test]
    fn a_case_without_a_scope_tag_belongs_to_the_default_scope() {
        let legacy = tags(&[(OWNERSHIP_TAG_KEY, "a")]);
        assert_eq!(Owner::of(&legacy).scope, Some(DEFAULT_SCOPE));
        let untouched = tags(&[("team", "x")]);
        assert_eq!(
            Owner::of(&untouched),
            Owner {
                name: None,
                scope: None
            }
        );
    }

    #[test]
    fn only_cases_of_the_runs_scope_are_found_by_tag() {
        let desired = desired_case("payroll");
        let scanned = [
            tagged(
                "1000000001",
                &[(OWNERSHIP_TAG_KEY, "payroll"), (SCOPE_TAG_KEY, "team-b")],
            ),
            tagged(
                "1000000002",
                &[(OWNERSHIP_TAG_KEY, "payroll"), (SCOPE_TAG_KEY, "team-a")],
            ),
        ];
        assert_eq!(
            lookup(&desired, &claims("team-a", &[&desired]), &scanned),
            Lookup::ByTag {
                index: 1,
                renamed_from: None
            }
        );
        assert_eq!(
            lookup(&desired, &claims("team-c", &[&desired]), &scanned),
            Lookup::NotFound
        );
        let legacy = [tagged("1000000003", &[(OWNERSHIP_TAG_KEY, "payroll")])];
        assert!(matches!(
            lookup(&desired, &claims(DEFAULT_SCOPE, &[&desired]), &legacy),
            Lookup::ByTag { index: 0, .. }
        ));
        assert_eq!(
            lookup(&desired, &claims("team-a", &[&desired]), &legacy),
            Lookup::NotFound
        );
    }

    #[test]
    fn a_previous_name_finds_the_case_only_when_the_current_name_does_not() {
        let mut desired = desired_case("payroll-phishing");
        desired.previous_names = vec!["payroll".into()];
        let old = [tagged("1000000001", &[(OWNERSHIP_TAG_KEY, "payroll")])];
        let claims = claims(DEFAULT_SCOPE, &[&desired]);
        assert_eq!(
            lookup(&desired, &claims, &old),
            Lookup::ByTag {
                index: 0,
                renamed_from: Some("payroll".into())
            }
        );
        let both = [
            old[0].clone(),
            tagged("1000000002", &[(OWNERSHIP_TAG_KEY, "payroll-phishing")]),
        ];
        assert_eq!(
            lookup(&desired, &claims, &both),
            Lookup::ByTag {
                index: 1,
                renamed_from: None
            }
        );
    }

    #[test]
    fn two_candidate_cases_are_refused_not_guessed() {
        let desired = desired_case("payroll");
        let scanned = [
            tagged("1000000001", &[(OWNERSHIP_TAG_KEY, "payroll")]),
            tagged("1000000002", &[(OWNERSHIP_TAG_KEY, "payroll")]),
        ];
        let Lookup::Refused(message) =
            lookup(&desired, &claims(DEFAULT_SCOPE, &[&desired]), &scanned)
        else {
            panic!("not refused");
        };
        assert!(message.contains("1000000001") && message.contains("1000000002"));
    }

    #[test]
    fn a_case_tagged_for_one_manifest_and_named_by_anothers_case_id_is_refused_for_both() {
        let tagged_for = desired_case("a");
        let mut by_id = desired_case("b");
        by_id.case_id = Some("1000000001".into());
        let claims = claims(DEFAULT_SCOPE, &[&tagged_for, &by_id]);
        let scanned = [tagged("1000000001", &[(OWNERSHIP_TAG_KEY, "a")])];
        let Lookup::Refused(message) = lookup(&tagged_for, &claims, &scanned) else {
            panic!("not refused");
        };
        assert!(message.contains("cases/b.yaml:1"), "{message}");
        let Binding::Failed(message) = classify(
            &by_id,
            &claims,
            live_with("1000000001", &[(OWNERSHIP_TAG_KEY, "a")]),
            None,
        ) else {
            panic!("not refused");
        };
        assert!(message.contains("cases/a.yaml:1"), "{message}");
    }

    #[test]
    fn a_case_id_naming_an_untagged_or_abandoned_case_is_an_adoption() {
        let mut desired = desired_case("payroll");
        desired.case_id = Some("1000000001".into());
        let claims = claims("team-a", &[&desired]);
        assert_eq!(
            classify(&desired, &claims, live_with("1000000001", &[]), None),
            Binding::Found {
                live: live_with("1000000001", &[]),
                claim: Claim::Adopted {
                    previous_name: None
                }
            }
        );
        let abandoned = live_with(
            "1000000001",
            &[(OWNERSHIP_TAG_KEY, "gone"), (SCOPE_TAG_KEY, "team-a")],
        );
        assert!(matches!(
            classify(&desired, &claims, abandoned, None),
            Binding::Found {
                claim: Claim::Adopted {
                    previous_name: Some(name)
                },
                ..
            } if name == "gone"
        ));
        let owned = live_with(
            "1000000001",
            &[(OWNERSHIP_TAG_KEY, "payroll"), (SCOPE_TAG_KEY, "team-a")],
        );
        assert!(matches!(
            classify(&desired, &claims, owned, None),
            Binding::Found {
                claim: Claim::Owned,
                ..
            }
        ));
    }

    #[test]
    fn another_scopes_case_is_never_adopted() {
        let mut desired = desired_case("payroll");
        desired.case_id = Some("1000000001".into());
        for foreign in [
            live_with(
                "1000000001",
                &[(OWNERSHIP_TAG_KEY, "payroll"), (SCOPE_TAG_KEY, "team-b")],
            ),
            live_with("1000000001", &[(SCOPE_TAG_KEY, "team-b")]),
            live_with("1000000001", &[(OWNERSHIP_TAG_KEY, "payroll")]),
        ] {
            let binding = classify(&desired, &claims("team-a", &[&desired]), foreign, None);
            let Binding::Failed(message) = binding else {
                panic!("adopted: {binding:?}");
            };
            assert!(
                message.contains("team-a") && message.contains("scope"),
                "{message}"
            );
        }
    }

    #[test]
    fn ownership_tags_are_set_only_where_missing_or_different() {
        let live = live_with("1000000001", &[(OWNERSHIP_TAG_KEY, "payroll")]);
        assert_eq!(
            ownership_tags_to_set("payroll", DEFAULT_SCOPE, &live),
            tags(&[(SCOPE_TAG_KEY, DEFAULT_SCOPE)])
        );
        let live = live_with(
            "1000000001",
            &[(OWNERSHIP_TAG_KEY, "payroll"), (SCOPE_TAG_KEY, "team-a")],
        );
        assert!(ownership_tags_to_set("payroll", "team-a", &live).is_empty());
        assert_eq!(
            ownership_tags_to_set("renamed", "team-a", &live),
            tags(&[(OWNERSHIP_TAG_KEY, "renamed")])
        );
    }

    #[test]
    fn orphans_are_open_owned_cases_of_this_scope_that_no_manifest_claims() {
        let mut kept = desired_case("kept");
        kept.previous_names = vec!["old-kept".into()];
        let mut by_id = desired_case("by-id");
        by_id.case_id = Some("1000000006".into());
        let claims = claims("team-a", &[&kept, &by_id]);
        let scope = (SCOPE_TAG_KEY, "team-a");
        let mut closed = tagged("1000000004", &[(OWNERSHIP_TAG_KEY, "closed"), scope]);
        closed.status = Some(CaseStatus::Closed);
        let scanned = [
            tagged("1000000001", &[(OWNERSHIP_TAG_KEY, "gone"), scope]),
            tagged("1000000002", &[(OWNERSHIP_TAG_KEY, "kept"), scope]),
            tagged("1000000003", &[(OWNERSHIP_TAG_KEY, "old-kept"), scope]),
            closed,
            tagged(
                "1000000005",
                &[(OWNERSHIP_TAG_KEY, "gone"), (SCOPE_TAG_KEY, "team-b")],
            ),
            tagged("1000000006", &[(OWNERSHIP_TAG_KEY, "renamed-by-id"), scope]),
            tagged("1000000007", &[("team", "untagged")]),
        ];
        let ids: Vec<&str> = orphans(&claims, &scanned)
            .into_iter()
            .map(|case| case.case_id.as_str())
            .collect();
        assert_eq!(ids, ["1000000001"]);
    }
}
