//! The case status machine (design section 2): which moves the API allows, and the shortest
//! legal path from a live status to a desired one.

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

/// The steps after the live status, in order; empty when already there. The last step may be
/// `Closed` (made with CloseCase, not UpdateCaseStatus).
pub fn shortest_path(
    live: CaseStatus,
    desired: CaseStatus,
    resolver: ResolverType,
) -> Result<Vec<CaseStatus>, StatusPathError> {
    let _ = (live, desired, resolver);
    todo!("status helper")
}
