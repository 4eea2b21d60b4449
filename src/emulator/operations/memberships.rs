//! Memberships: each account has one, active in every region, unless the emulator runs with
//! `--not-active`. GetMembership and ListMemberships; the operations that create, change or
//! cancel memberships are not emulated.

use axum::http::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{CallContext, Reply};
use crate::emulator::service_error::ServiceError;
use crate::emulator::store::Partition;
use crate::emulator::validation::RequestChecker;
use crate::emulator::wire::PageInput;

/// The membership of a partition: a stable id derived from its account and region. Shaped as
/// the model's membership, which the stored case structs only resemble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Membership {
    pub(crate) membership_id: String,
    pub(crate) account_id: String,
    pub(crate) region: String,
    pub(crate) membership_arn: String,
    pub(crate) membership_status: &'static str,
}

impl Membership {
    pub(crate) fn of(partition: &Partition) -> Membership {
        let digest = Sha256::digest(format!("{}/{}", partition.account, partition.region));
        let membership_id = format!("m-{}", &hex::encode(digest)[..16]);
        Membership {
            membership_arn: format!("{}membership/{membership_id}", partition.arn_prefix()),
            membership_id,
            account_id: partition.account.clone(),
            region: partition.region.clone(),
            membership_status: "Active",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetMembershipOutput {
    #[serde(flatten)]
    membership: Membership,
    membership_name: &'static str,
    customer_type: &'static str,
    number_of_accounts_covered: u64,
}

pub(crate) fn get_membership(
    context: &CallContext,
    active: bool,
    membership_id: &str,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.membership_id(membership_id);
    checker.finish()?;
    let membership = Membership::of(&context.partition);
    if !active || membership.membership_id != membership_id {
        return Err(ServiceError::ResourceNotFound {
            message: format!("Membership {membership_id} does not exist"),
        });
    }
    Ok(Reply::json(
        StatusCode::OK,
        &GetMembershipOutput {
            membership,
            membership_name: "sirops emulator",
            customer_type: "Standalone",
            number_of_accounts_covered: 1,
        },
    ))
}

pub(crate) fn list_memberships(
    context: &CallContext,
    active: bool,
    input: &PageInput,
) -> Result<Reply, ServiceError> {
    let mut checker = RequestChecker::new();
    checker.page(&input.next_token, input.max_results);
    checker.finish()?;
    let items: Vec<Membership> = if active {
        vec![Membership::of(&context.partition)]
    } else {
        Vec::new()
    };
    // ListMemberships has no `total`, unlike the case listings.
    Ok(Reply::json(
        StatusCode::OK,
        &serde_json::json!({"items": items}),
    ))
}
