//! The emulator started in process, SDK clients for it, and the SDK calls tests make again
//! and again. Each call helper returns the SDK's own `Result`, so that a test says at the call
//! whether it expects success (`unwrap`) or a refusal (`service_error`).

use std::fmt::Debug;

use aws_sdk_securityir::Client;
use aws_sdk_securityir::config::retry::RetryConfig;
use aws_sdk_securityir::error::SdkError;
use aws_sdk_securityir::operation::close_case::{CloseCaseError, CloseCaseOutput};
use aws_sdk_securityir::operation::create_case::builders::CreateCaseFluentBuilder;
use aws_sdk_securityir::operation::create_case::{CreateCaseError, CreateCaseOutput};
use aws_sdk_securityir::operation::create_case_comment::{
    CreateCaseCommentError, CreateCaseCommentOutput,
};
use aws_sdk_securityir::operation::get_case::{GetCaseError, GetCaseOutput};
use aws_sdk_securityir::operation::list_case_edits::{ListCaseEditsError, ListCaseEditsOutput};
use aws_sdk_securityir::operation::list_cases::{ListCasesError, ListCasesOutput};
use aws_sdk_securityir::operation::list_comments::{ListCommentsError, ListCommentsOutput};
use aws_sdk_securityir::operation::list_tags_for_resource::{
    ListTagsForResourceError, ListTagsForResourceOutput,
};
use aws_sdk_securityir::operation::tag_resource::{TagResourceError, TagResourceOutput};
use aws_sdk_securityir::operation::untag_resource::{UntagResourceError, UntagResourceOutput};
use aws_sdk_securityir::operation::update_case::{UpdateCaseError, UpdateCaseOutput};
use aws_sdk_securityir::operation::update_case_comment::{
    UpdateCaseCommentError, UpdateCaseCommentOutput,
};
use aws_sdk_securityir::operation::update_case_status::{
    UpdateCaseStatusError, UpdateCaseStatusOutput,
};
use aws_sdk_securityir::operation::update_resolver_type::{
    UpdateResolverTypeError, UpdateResolverTypeOutput,
};
use aws_sdk_securityir::primitives::DateTime;
use aws_sdk_securityir::types::{ResolverType, SelfManagedCaseStatus, ValidationExceptionField};
use aws_smithy_runtime_api::client::result::CreateUnhandledError;
use sirops::emulator::{Emulator, EmulatorConfig, RunningEmulator};

use super::fixtures::{client_config, new_case};

pub async fn start() -> RunningEmulator {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.expect("the emulator starts")
}

/// An emulator and a `client` for it.
pub async fn start_and_connect() -> (RunningEmulator, Client) {
    start_and_connect_with(EmulatorConfig::default()).await
}

pub async fn start_and_connect_with(config: EmulatorConfig) -> (RunningEmulator, Client) {
    let emulator = start_with(config).await;
    let client = client(&emulator.endpoint_url());
    (emulator, client)
}

/// A client that reports every failure as it comes: no retries, so tests see raw errors.
pub fn client(endpoint_url: &str) -> Client {
    client_with_retries(endpoint_url, RetryConfig::disabled())
}

pub fn client_with_retries(endpoint_url: &str, retry: RetryConfig) -> Client {
    let config = client_config(endpoint_url, "AKIDEMULATORTEST", "us-east-1")
        .retry_config(retry)
        .build();
    Client::from_conf(config)
}

/// A client signing with its own access key, as another person would.
pub fn client_as(endpoint_url: &str, access_key: &str, region: &str) -> Client {
    let config = client_config(endpoint_url, access_key, region)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// What a call that must be refused was refused with.
pub trait Refused<E> {
    fn service_error(self) -> E;
}

impl<T: Debug, E> Refused<E> for Result<T, SdkError<E>>
where
    E: std::error::Error + Send + Sync + CreateUnhandledError + 'static,
{
    #[track_caller]
    fn service_error(self) -> E {
        self.unwrap_err().into_service_error()
    }
}

/// Sends a CreateCase that must succeed; returns the new case's id.
pub async fn created(request: CreateCaseFluentBuilder) -> String {
    request
        .send()
        .await
        .expect("CreateCase succeeds")
        .case_id()
        .to_string()
}

/// Creates a case from `new_case`; returns its id.
pub async fn create(client: &Client, title: &str) -> String {
    created(new_case(client, title)).await
}

/// Sends `new_case` with a client token, as a retrying client would.
pub async fn create_with_token(
    client: &Client,
    title: &str,
    client_token: &str,
) -> Result<CreateCaseOutput, SdkError<CreateCaseError>> {
    new_case(client, title)
        .client_token(client_token)
        .send()
        .await
}

/// A CreateCase as a responder sends it from the console: self-resolved, an investigation,
/// with no account and no watcher unless the caller adds them.
pub fn console_case(client: &Client, title: &str, description: &str) -> CreateCaseFluentBuilder {
    client
        .create_case()
        .resolver_type("Self".into())
        .title(title)
        .description(description)
        .engagement_type("Investigation".into())
        .reported_incident_start_date(DateTime::from_secs(1_795_161_600))
        .set_impacted_accounts(Some(vec![]))
        .set_watchers(Some(vec![]))
}

pub async fn get_case(
    client: &Client,
    case_id: &str,
) -> Result<GetCaseOutput, SdkError<GetCaseError>> {
    client.get_case().case_id(case_id).send().await
}

/// The ARN of a case, which the tag operations name it by.
pub async fn case_arn(client: &Client, case_id: &str) -> String {
    let case = get_case(client, case_id).await.expect("GetCase succeeds");
    case.case_arn().expect("a case has an ARN").to_string()
}

/// The live status of a case, as the service spells it.
pub async fn case_status(client: &Client, case_id: &str) -> String {
    let case = get_case(client, case_id).await.expect("GetCase succeeds");
    case.case_status()
        .expect("a case has a status")
        .as_str()
        .to_string()
}

pub async fn update_title(
    client: &Client,
    case_id: &str,
    title: &str,
) -> Result<UpdateCaseOutput, SdkError<UpdateCaseError>> {
    client
        .update_case()
        .case_id(case_id)
        .title(title)
        .send()
        .await
}

/// What a responder edits in the console: the title, and AWS Lambda added to the impacted
/// services.
pub async fn console_edit(
    client: &Client,
    case_id: &str,
    title: &str,
) -> Result<UpdateCaseOutput, SdkError<UpdateCaseError>> {
    client
        .update_case()
        .case_id(case_id)
        .title(title)
        .impacted_services_to_add("AWS Lambda")
        .send()
        .await
}

pub async fn update_resolver_type(
    client: &Client,
    case_id: &str,
    resolver_type: ResolverType,
) -> Result<UpdateResolverTypeOutput, SdkError<UpdateResolverTypeError>> {
    client
        .update_resolver_type()
        .case_id(case_id)
        .resolver_type(resolver_type)
        .send()
        .await
}

pub async fn update_case_status(
    client: &Client,
    case_id: &str,
    status: SelfManagedCaseStatus,
) -> Result<UpdateCaseStatusOutput, SdkError<UpdateCaseStatusError>> {
    client
        .update_case_status()
        .case_id(case_id)
        .case_status(status)
        .send()
        .await
}

// One wrapper per operation: the SDK's builders share no trait one generic sender could use.
pub async fn close_case(
    client: &Client,
    case_id: &str,
) -> Result<CloseCaseOutput, SdkError<CloseCaseError>> {
    client.close_case().case_id(case_id).send().await
}

pub async fn create_case_comment(
    client: &Client,
    case_id: &str,
    body: &str,
) -> Result<CreateCaseCommentOutput, SdkError<CreateCaseCommentError>> {
    client
        .create_case_comment()
        .case_id(case_id)
        .body(body)
        .send()
        .await
}

pub async fn update_case_comment(
    client: &Client,
    case_id: &str,
    comment_id: &str,
    body: &str,
) -> Result<UpdateCaseCommentOutput, SdkError<UpdateCaseCommentError>> {
    client
        .update_case_comment()
        .case_id(case_id)
        .comment_id(comment_id)
        .body(body)
        .send()
        .await
}

/// The page of cases that `next_token` names.
pub async fn list_cases_after(
    client: &Client,
    next_token: &str,
) -> Result<ListCasesOutput, SdkError<ListCasesError>> {
    client.list_cases().next_token(next_token).send().await
}

/// The first page of a case's comments.
pub async fn list_comments(
    client: &Client,
    case_id: &str,
) -> Result<ListCommentsOutput, SdkError<ListCommentsError>> {
    client.list_comments().case_id(case_id).send().await
}

/// The first page of a case's edit history.
pub async fn list_case_edits(
    client: &Client,
    case_id: &str,
) -> Result<ListCaseEditsOutput, SdkError<ListCaseEditsError>> {
    client.list_case_edits().case_id(case_id).send().await
}

pub async fn list_tags_for_resource(
    client: &Client,
    arn: &str,
) -> Result<ListTagsForResourceOutput, SdkError<ListTagsForResourceError>> {
    client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
}

pub async fn tag_resource(
    client: &Client,
    arn: &str,
    tags: &[(&str, &str)],
) -> Result<TagResourceOutput, SdkError<TagResourceError>> {
    let mut request = client.tag_resource().resource_arn(arn);
    for (key, value) in tags {
        request = request.tags(*key, *value);
    }
    request.send().await
}

pub async fn untag_resource(
    client: &Client,
    arn: &str,
    keys: &[&str],
) -> Result<UntagResourceOutput, SdkError<UntagResourceError>> {
    let mut request = client.untag_resource().resource_arn(arn);
    for key in keys {
        request = request.tag_keys(*key);
    }
    request.send().await
}

/// The names of the fields a ValidationException lists, in its order.
pub fn field_names(fields: &[ValidationExceptionField]) -> Vec<&str> {
    fields
        .iter()
        .map(aws_sdk_securityir::types::ValidationExceptionField::name)
        .collect()
}
