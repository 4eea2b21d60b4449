//! The self-managed status machine as the service enforces it on UpdateCaseStatus. Kept apart
//! from the planner's path search on purpose: the emulator is an independent statement of the
//! rules, so a planner bug cannot be mirrored by the stand-in it is tested against.

use crate::model::CaseStatus;

/// Whether UpdateCaseStatus may move a self-managed case from `from` to `to`. Closed is reached
/// only through CloseCase, and no move leaves it.
pub(crate) fn is_legal_move(from: CaseStatus, to: CaseStatus) -> bool {
    use CaseStatus::{
        ContainmentEradicationAndRecovery, DetectionAndAnalysis, PostIncidentActivities, Submitted,
    };
    matches!(
        (from, to),
        (
            Submitted | ContainmentEradicationAndRecovery | PostIncidentActivities,
            DetectionAndAnalysis
        ) | (
            DetectionAndAnalysis | PostIncidentActivities,
            ContainmentEradicationAndRecovery
        ) | (
            DetectionAndAnalysis | ContainmentEradicationAndRecovery,
            PostIncidentActivities
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_seven_documented_edges_are_legal() {
        let legal: Vec<(CaseStatus, CaseStatus)> = CaseStatus::ALL
            .iter()
            .flat_map(|&from| CaseStatus::ALL.iter().map(move |&to| (from, to)))
            .filter(|&(from, to)| is_legal_move(from, to))
            .collect();
        assert_eq!(legal.len(), 7);
        assert!(is_legal_move(
            CaseStatus::PostIncidentActivities,
            CaseStatus::DetectionAndAnalysis
        ));
        assert!(!is_legal_move(
            CaseStatus::Submitted,
            CaseStatus::PostIncidentActivities
        ));
        assert!(!is_legal_move(
            CaseStatus::DetectionAndAnalysis,
            CaseStatus::Submitted
        ));
    }

    #[test]
    fn closed_is_neither_reachable_nor_left_by_a_status_update() {
        for &status in CaseStatus::ALL {
            assert!(!is_legal_move(status, CaseStatus::Closed));
            assert!(!is_legal_move(CaseStatus::Closed, status));
            assert!(!is_legal_move(status, status));
        }
    }
}
