//! The keys of a manifest's `spec`, each defined once. The validator reads exactly these, in
//! this order; plans list changes in this order; redaction, the audit comment, a create's
//! display and the manifest schema take their per-field rules from [`SpecField::definition`],
//! so a field added here is handled everywhere or fails to compile (every `match` over it is
//! exhaustive) or fails the schema test.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One key of a manifest's `spec`, in the order a reviewer reads a case: the derived `Ord`
/// is that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecField {
    Title,
    Description,
    EngagementType,
    ResolverType,
    Status,
    ReportedIncidentStartDate,
    ActualIncidentStartDate,
    Watchers,
    ThreatActorIpAddresses,
    ImpactedServices,
    ImpactedAwsRegions,
    ImpactedAccounts,
    CaseMetadata,
    Tags,
}

/// What a field's values are, which decides how redaction treats them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValues {
    /// Enum values and dates: never sensitive and never searched for sensitive text, so a
    /// redacted request still deserialises.
    Fixed,
    /// Text the user wrote that is sensitive as a whole (it gets a placeholder of its own).
    SensitiveText,
    /// Lists: items with named members (a watcher's `email`) are redacted by member, plain
    /// strings are searched for sensitive values they embed.
    Items,
    /// Maps whose keys are the user's: a key that happens to be `name` is not the API member
    /// of that name, so only the values are searched.
    UserKeyed,
}

/// Everything sirops knows about one spec field.
#[derive(Debug)]
pub struct FieldDefinition {
    pub field: SpecField,
    /// The manifest key, which is also the API member name in CreateCase, GetCase and the
    /// changes of a plan.
    pub name: &'static str,
    /// A manifest must give it, because CreateCase needs it.
    pub required: bool,
    /// CreateCase carries it; the others are set after the create (status, caseMetadata,
    /// actualIncidentStartDate) or are not API members of CreateCase.
    pub sent_on_create: bool,
    pub values: FieldValues,
    /// Listed in the audit comment's `Changed:` line; the status has a line of its own.
    pub audited_as_change: bool,
}

const fn define(
    field: SpecField,
    name: &'static str,
    required: bool,
    sent_on_create: bool,
    values: FieldValues,
) -> FieldDefinition {
    FieldDefinition {
        field,
        name,
        required,
        sent_on_create,
        values,
        audited_as_change: !matches!(field, SpecField::Status),
    }
}

use FieldValues::{Fixed, Items, SensitiveText, UserKeyed};

/// Indexed by `SpecField as usize`; a test checks each row is its own field's.
const DEFINITIONS: [FieldDefinition; 14] = [
    define(SpecField::Title, "title", true, true, SensitiveText),
    define(
        SpecField::Description,
        "description",
        true,
        true,
        SensitiveText,
    ),
    define(
        SpecField::EngagementType,
        "engagementType",
        true,
        true,
        Fixed,
    ),
    define(SpecField::ResolverType, "resolverType", true, true, Fixed),
    define(SpecField::Status, "status", false, false, Fixed),
    define(
        SpecField::ReportedIncidentStartDate,
        "reportedIncidentStartDate",
        true,
        true,
        Fixed,
    ),
    define(
        SpecField::ActualIncidentStartDate,
        "actualIncidentStartDate",
        false,
        false,
        Fixed,
    ),
    define(SpecField::Watchers, "watchers", false, true, Items),
    define(
        SpecField::ThreatActorIpAddresses,
        "threatActorIpAddresses",
        false,
        true,
        Items,
    ),
    define(
        SpecField::ImpactedServices,
        "impactedServices",
        false,
        true,
        Items,
    ),
    define(
        SpecField::ImpactedAwsRegions,
        "impactedAwsRegions",
        false,
        true,
        Items,
    ),
    define(
        SpecField::ImpactedAccounts,
        "impactedAccounts",
        false,
        true,
        Items,
    ),
    define(
        SpecField::CaseMetadata,
        "caseMetadata",
        false,
        false,
        UserKeyed,
    ),
    define(SpecField::Tags, "tags", false, true, UserKeyed),
];

/// The manifest keys, in manifest order.
const NAMES: [&str; 14] = {
    let mut names = [""; 14];
    let mut index = 0;
    while index < names.len() {
        names[index] = DEFINITIONS[index].name;
        index += 1;
    }
    names
};

impl SpecField {
    /// Every field, in manifest order.
    pub const ALL: [SpecField; 14] = [
        SpecField::Title,
        SpecField::Description,
        SpecField::EngagementType,
        SpecField::ResolverType,
        SpecField::Status,
        SpecField::ReportedIncidentStartDate,
        SpecField::ActualIncidentStartDate,
        SpecField::Watchers,
        SpecField::ThreatActorIpAddresses,
        SpecField::ImpactedServices,
        SpecField::ImpactedAwsRegions,
        SpecField::ImpactedAccounts,
        SpecField::CaseMetadata,
        SpecField::Tags,
    ];

    pub const fn definition(self) -> &'static FieldDefinition {
        &DEFINITIONS[self as usize]
    }

    pub const fn name(self) -> &'static str {
        self.definition().name
    }

    pub fn from_name(name: &str) -> Option<SpecField> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }

    /// The manifest keys, in manifest order.
    pub const fn names() -> &'static [&'static str] {
        &NAMES
    }

    /// The keys a manifest must give.
    pub fn required_names() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .into_iter()
            .filter(|field| field.definition().required)
            .map(SpecField::name)
    }
}

impl fmt::Display for SpecField {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Tests compare a field with its manifest key.
impl PartialEq<str> for SpecField {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for SpecField {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for SpecField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SpecField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        SpecField::from_name(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, SpecField::names()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_of_the_table_is_its_own_fields() {
        for field in SpecField::ALL {
            assert_eq!(field.definition().field, field);
        }
        let mut sorted = SpecField::ALL;
        sorted.sort();
        assert_eq!(sorted, SpecField::ALL, "ALL is in the declared order");
    }

    #[test]
    fn names_round_trip_through_serde() {
        for field in SpecField::ALL {
            let json = serde_json::to_value(field).unwrap();
            assert_eq!(json, field.name());
            assert_eq!(serde_json::from_value::<SpecField>(json).unwrap(), field);
        }
        assert!(serde_json::from_value::<SpecField>("titel".into()).is_err());
    }
}
