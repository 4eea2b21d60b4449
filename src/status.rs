//! The case status machine (`docs/reference.md`, "Status machine"): which moves the API allows, and the shortest
//! legal path from a live status to a desired one, so a plan never asks the API for a move it
//! would reject.

use std::collections::VecDeque;

use crate::model::{CaseStatus, ResolverType};

/// Why no legal path leads from the live status to the desired one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusPathError {
    #[error("the case is Closed and cannot be reopened to {desired}; Closed is final")]
    CannotReopen { desired: CaseStatus },
    #[error(
        "no legal path from {live} to Submitted: a case cannot return to Submitted once it has left it"
    )]
    CannotReturnToSubmitted { live: CaseStatus },
    #[error("{desired} is set only by AWS responders; a manifest cannot ask for it")]
    SetOnlyByAws { desired: CaseStatus },
    #[error(
        "an AWS-supported case's status is driven by AWS responders: omit `status` or set it to Closed (asked for {desired})"
    )]
    AwsResolverStatus { desired: CaseStatus },
    #[error("no legal path from {live} to {desired}")]
    NoPath {
        live: CaseStatus,
        desired: CaseStatus,
    },
}

/// The moves UpdateCaseStatus makes on a self-managed case (the seed documents' edge list).
/// Closing is not here: it is a different call (CloseCase) open to every open status.
fn self_managed_moves(from: CaseStatus) -> &'static [CaseStatus] {
    use CaseStatus::{
        Acknowledged, Closed, ContainmentEradicationAndRecovery, DetectionAndAnalysis,
        PostIncidentActivities, ReadyToClose, Submitted,
    };
    match from {
        Submitted => &[DetectionAndAnalysis],
        DetectionAndAnalysis => &[ContainmentEradicationAndRecovery, PostIncidentActivities],
        ContainmentEradicationAndRecovery => &[DetectionAndAnalysis, PostIncidentActivities],
        PostIncidentActivities => &[ContainmentEradicationAndRecovery, DetectionAndAnalysis],
        // Acknowledged and Ready to Close are AWS's to leave; Closed is final.
        Acknowledged | ReadyToClose | Closed => &[],
    }
}

/// Whether one move (one UpdateCaseStatus, or CloseCase when `to` is Closed) is legal. The
/// emulator states the same rules on its own (`emulator::status_edges`), so that a mistake here
/// cannot be mirrored by the stand-in the planner is tested against.
pub fn is_legal_move(from: CaseStatus, to: CaseStatus, resolver: ResolverType) -> bool {
    if to.is_closed() {
        return !from.is_closed();
    }
    resolver == ResolverType::SelfManaged && self_managed_moves(from).contains(&to)
}

/// The steps after the live status, in order; empty when already there. The last step may be
/// `Closed` (made with CloseCase, not UpdateCaseStatus).
///
/// On an AWS-supported case every desired status but Closed is an error, even one equal to the
/// live status: AWS responders drive it, so a manifest that names it would go stale (and fail)
/// the moment they move the case. The check comes first so the answer never depends on where
/// the responders happen to have put the case.
pub fn shortest_path(
    live: CaseStatus,
    desired: CaseStatus,
    resolver: ResolverType,
) -> Result<Vec<CaseStatus>, StatusPathError> {
    if resolver == ResolverType::Aws && !desired.is_closed() {
        return Err(StatusPathError::AwsResolverStatus { desired });
    }
    if live == desired {
        return Ok(Vec::new());
    }
    if live.is_closed() {
        return Err(StatusPathError::CannotReopen { desired });
    }
    if desired.is_closed() {
        return Ok(vec![CaseStatus::Closed]);
    }
    if matches!(desired, CaseStatus::Acknowledged | CaseStatus::ReadyToClose) {
        return Err(StatusPathError::SetOnlyByAws { desired });
    }
    if desired == CaseStatus::Submitted {
        return Err(StatusPathError::CannotReturnToSubmitted { live });
    }
    search_self_managed_path(live, desired).ok_or(StatusPathError::NoPath { live, desired })
}

/// Breadth-first over the self-managed moves, so the first path found is a shortest one. The
/// graph has four nodes, so carrying whole paths in the queue costs nothing and reads plainly.
fn search_self_managed_path(from: CaseStatus, to: CaseStatus) -> Option<Vec<CaseStatus>> {
    let mut visited = vec![from];
    let mut queue: VecDeque<Vec<CaseStatus>> = VecDeque::from([Vec::new()]);
    while let Some(steps) = queue.pop_front() {
        let current = steps.last().copied().unwrap_or(from);
        if current == to {
            return Some(steps);
        }
        for &next in self_managed_moves(current) {
            if !visited.contains(&next) {
                visited.push(next);
                let mut longer = steps.clone();
                longer.push(next);
                queue.push_back(longer);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;
    use ResolverType::{Aws, SelfManaged};

    #[test]
    fn submitted_to_post_incident_goes_through_detection_and_analysis() {
        assert_eq!(
            shortest_path(Submitted, PostIncidentActivities, SelfManaged),
            Ok(vec![DetectionAndAnalysis, PostIncidentActivities])
        );
    }

    #[test]
    fn closing_is_one_step_from_any_open_status() {
        for &live in CaseStatus::ALL.iter().filter(|s| !s.is_closed()) {
            assert_eq!(shortest_path(live, Closed, SelfManaged), Ok(vec![Closed]));
            assert_eq!(shortest_path(live, Closed, Aws), Ok(vec![Closed]));
        }
    }

    #[test]
    fn closed_cannot_be_reopened() {
        assert_eq!(
            shortest_path(Closed, DetectionAndAnalysis, SelfManaged),
            Err(StatusPathError::CannotReopen {
                desired: DetectionAndAnalysis
            })
        );
        assert_eq!(shortest_path(Closed, Closed, SelfManaged), Ok(vec![]));
    }

    #[test]
    fn submitted_is_not_reachable_once_left() {
        assert_eq!(
            shortest_path(ContainmentEradicationAndRecovery, Submitted, SelfManaged),
            Err(StatusPathError::CannotReturnToSubmitted {
                live: ContainmentEradicationAndRecovery
            })
        );
    }

    #[test]
    fn aws_only_statuses_cannot_be_asked_for_but_an_equal_one_is_no_move() {
        assert_eq!(
            shortest_path(DetectionAndAnalysis, ReadyToClose, SelfManaged),
            Err(StatusPathError::SetOnlyByAws {
                desired: ReadyToClose
            })
        );
        assert_eq!(
            shortest_path(Acknowledged, Acknowledged, SelfManaged),
            Ok(vec![])
        );
    }

    #[test]
    fn aws_only_statuses_have_no_self_managed_exit_but_closed() {
        assert_eq!(
            shortest_path(Acknowledged, DetectionAndAnalysis, SelfManaged),
            Err(StatusPathError::NoPath {
                live: Acknowledged,
                desired: DetectionAndAnalysis
            })
        );
        assert_eq!(
            shortest_path(ReadyToClose, Closed, SelfManaged),
            Ok(vec![Closed])
        );
    }

    #[test]
    fn an_aws_case_may_only_be_asked_to_close_even_when_already_there() {
        assert_eq!(
            shortest_path(DetectionAndAnalysis, DetectionAndAnalysis, Aws),
            Err(StatusPathError::AwsResolverStatus {
                desired: DetectionAndAnalysis
            })
        );
        assert_eq!(shortest_path(Closed, Closed, Aws), Ok(vec![]));
    }

    #[test]
    fn legal_moves_follow_the_edge_list() {
        assert!(is_legal_move(
            PostIncidentActivities,
            DetectionAndAnalysis,
            SelfManaged
        ));
        assert!(!is_legal_move(
            Submitted,
            PostIncidentActivities,
            SelfManaged
        ));
        assert!(!is_legal_move(Submitted, DetectionAndAnalysis, Aws));
        assert!(is_legal_move(Acknowledged, Closed, Aws));
        assert!(!is_legal_move(Closed, Closed, SelfManaged));
    }
}
