//! `CaseApi` over the real `aws-sdk-securityir` client: the only place that knows SDK types.
//! Credentials, region and endpoint come from aws-config's default chain unless the caller
//! overrides them. 5xx and dropped connections are retried by the SDK with exponential backoff
//! and a bounded number of attempts; throttled calls are not the SDK's to retry but the
//! [`Pacer`]'s, which slows each operation to its quota and retries while progress is made.

use std::collections::BTreeMap;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_securityir::Client;
use aws_sdk_securityir::config::{Credentials, Region};
use aws_sdk_securityir::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_securityir::types as sdk;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::DateTime;
use aws_smithy_types::retry::RetrySpec;

use super::pacing::{DEFAULT_TIMEOUT, Pacer, PacingReport};
use super::{ApiError, ApiErrorKind, CaseApi, CaseSummary, RequestOutcome};
use crate::model::{
    CaseEdit, CaseStatus, EngagementType, LiveCase, MetadataEntry, ResolverType, ThreatActorIp,
    Timestamp, Watcher,
};
use crate::request::{
    CloseCaseInput, CreateCaseInput, ImpactedAwsRegion, Request, TagResourceInput,
    UntagResourceInput, UpdateCaseInput, UpdateCaseStatusInput, UpdateResolverTypeInput,
};

/// The SDK default is 3 attempts; an incident-time run against a throttled API deserves more.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// How to reach the API. `None` fields fall back to aws-config's default chain
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_SECURITY_IR`, SSO, web identity, ...).
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_attempts: Option<u32>,
    /// How long throttled calls are retried for; [`DEFAULT_TIMEOUT`] when `None`.
    pub timeout: Option<std::time::Duration>,
    /// Fixed dummy credentials, for the local emulator which accepts any signature.
    pub static_credentials: bool,
}

pub struct SdkCaseApi {
    client: Client,
    pacer: Pacer,
    /// `None` when no region was configured: every call then fails with one clear error
    /// instead of the SDK's endpoint-resolution message.
    region: Option<String>,
    /// Where calls go, for messages and for binding saved plans to their target: the
    /// configured endpoint URL, or `aws` for the service's own endpoint of the region.
    endpoint: String,
    /// Whether any credential source was configured: when none was, a failure to get
    /// credentials means "there are none", whatever the last provider of the chain said.
    credentials_configured: bool,
}

/// The endpoint when none is configured: the service's own, chosen by region.
pub const AWS_ENDPOINT: &str = "aws";

impl SdkCaseApi {
    pub async fn connect(settings: &ClientSettings) -> SdkCaseApi {
        let max_attempts = settings.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1);
        // Standard mode with the SDK's Retry Behavior 2.1 (what AWS_NEW_RETRIES_2026 selects):
        // a dropped connection or a 5xx backs off from 50 ms, throttling from 1 s. Behaviour 2.0
        // waits up to a second even for a dropped connection, and adaptive mode slows every
        // call of the run after each throttle. At a 20% fault rate a plan of 220 cases took
        // 8-21 s with 2.0 and 4-6 s with 2.1; adaptive was slower still.
        let retry_config = RetryConfig::standard()
            .with_max_attempts(max_attempts)
            .with_retry_spec(RetrySpec::v2_1());
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config);
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint_url) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint_url);
        }
        if settings.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                "sirops-local",
                "sirops-local",
                None,
                None,
                "sirops-local",
            ));
            if settings.region.is_none() {
                loader = loader.region(Region::new("us-east-1"));
            }
        }
        let config = loader.load().await;
        let client_config = aws_sdk_securityir::config::Builder::from(&config)
            .retry_classifier(ThrottlingIsPaced)
            .build();
        SdkCaseApi {
            client: Client::from_conf(client_config),
            pacer: Pacer::new(settings.timeout.unwrap_or(DEFAULT_TIMEOUT)),
            region: config.region().map(std::string::ToString::to_string),
            endpoint: configured_endpoint(&config, settings.endpoint_url.as_deref())
                .unwrap_or_else(|| AWS_ENDPOINT.to_string()),
            credentials_configured: settings.static_credentials
                || settings.profile.is_some()
                || credential_sources_configured(),
        }
    }

    /// The configured region, if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The endpoint URL calls go to, or [`AWS_ENDPOINT`].
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn endpoint_for_messages(&self) -> String {
        match (&self.region, self.endpoint.as_str()) {
            (Some(region), AWS_ENDPOINT) => format!("https://security-ir.{region}.amazonaws.com"),
            (_, endpoint) => endpoint.to_string(),
        }
    }

    /// Fails before the SDK would, with a message that says what to do.
    fn ready(&self, operation: &'static str) -> Result<(), ApiError> {
        if self.region.is_none() {
            return Err(ApiError {
                operation,
                kind: ApiErrorKind::NoRegion,
                message: "no region".into(),
            });
        }
        Ok(())
    }

    /// Sends one call through the pacer: `call` builds and sends it afresh for each attempt.
    async fn paced<T, E, Fut>(
        &self,
        operation: &'static str,
        call: impl Fn() -> Fut,
    ) -> Result<T, ApiError>
    where
        Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.ready(operation)?;
        self.pacer
            .call(operation, || {
                let sent = call();
                async move { sent.await.map_err(|error| self.api_error(operation, error)) }
            })
            .await
    }

    fn api_error<E>(&self, operation: &'static str, error: SdkError<E, HttpResponse>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut error = classify(operation, error, || self.endpoint_for_messages());
        if error.kind == ApiErrorKind::Credentials && !self.credentials_configured {
            error.kind = ApiErrorKind::NoCredentials;
        }
        error
    }
}

/// Takes throttled calls away from the SDK's retries: its attempt count and retry quota are
/// made for faults, and a quota would exhaust them; the [`Pacer`] retries them instead.
#[derive(Debug)]
struct ThrottlingIsPaced;

impl aws_sdk_securityir::config::retry::ClassifyRetry for ThrottlingIsPaced {
    fn classify_retry(
        &self,
        _: &aws_sdk_securityir::config::interceptors::InterceptorContext,
    ) -> aws_sdk_securityir::config::retry::RetryAction {
        aws_sdk_securityir::config::retry::RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(
        &self,
        context: &aws_sdk_securityir::config::interceptors::InterceptorContext,
        previous: &aws_sdk_securityir::config::retry::RetryAction,
    ) -> aws_sdk_securityir::config::retry::RetryAction {
        use aws_sdk_securityir::config::retry::RetryAction;
        use aws_smithy_runtime_api::client::retries::classifiers::RetryReason;
        let classified_throttling = matches!(
            previous,
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: aws_smithy_types::retry::ErrorKind::ThrottlingError,
                ..
            })
        );
        let status_429 = context
            .response()
            .is_some_and(|response| response.status().as_u16() == 429);
        if classified_throttling || status_429 {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "ThrottlingIsPaced"
    }

    fn priority(
        &self,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority {
        use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Error codes the service and AWS's protocols use for "slow down".
const THROTTLING_CODES: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottledException",
];

/// The endpoint URL the client resolves as the SDK does: the one given, else the service's own
/// setting (`AWS_ENDPOINT_URL_SECURITY_IR`, or `endpoint_url` in the profile's services
/// section), else the general one (`AWS_ENDPOINT_URL`, the profile's `endpoint_url`).
fn configured_endpoint(config: &aws_config::SdkConfig, given: Option<&str>) -> Option<String> {
    if let Some(given) = given {
        return Some(given.to_string());
    }
    let key = aws_types::service_config::ServiceConfigKey::builder()
        .service_id("Security IR")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    config
        .service_config()
        .and_then(|service| service.load_config(key))
        .or_else(|| config.endpoint_url().map(str::to_string))
}

/// Whether the environment or the shared files configure any credential source of the
/// default chain other than instance metadata, which is always tried.
fn credential_sources_configured() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    let environment = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if environment.iter().any(|name| set(name)) {
        return true;
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".aws").join(default)))
            .is_some_and(|path| path.is_file())
    };
    file("AWS_SHARED_CREDENTIALS_FILE", "credentials") || file("AWS_CONFIG_FILE", "config")
}

/// Turns the SDK's error into a kind and a one-line message. The full chain goes to the log at
/// `-v` for failures that happen before a response (it holds no request values); a response
/// that could not be read is not logged, since its raw body could hold case data.
fn classify<E>(
    operation: &'static str,
    error: SdkError<E, HttpResponse>,
    endpoint: impl Fn() -> String,
) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some((kind, message)) = service_error_kind(&error) {
        return ApiError {
            operation,
            kind,
            message,
        };
    }
    let before_response = matches!(
        error,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ConstructionFailure(_)
    );
    if before_response {
        tracing::info!(
            operation,
            error = %DisplayErrorContext(&error),
            "API call failed before a response"
        );
    }
    let (kind, message) =
        credentials_error_kind(&error).unwrap_or_else(|| transport_error_kind(&error, endpoint));
    ApiError {
        operation,
        kind,
        message,
    }
}

/// The kind of an error the service answered with a code.
fn service_error_kind<E>(error: &SdkError<E, HttpResponse>) -> Option<(ApiErrorKind, String)>
where
    E: ProvideErrorMetadata,
{
    let SdkError::ServiceError(service) = error else {
        return None;
    };
    let inner = service.err();
    let code = inner.code()?;
    let message = inner.message().unwrap_or("no message").to_string();
    let status_429 = service.raw().status().as_u16() == 429;
    let kind = if status_429 || THROTTLING_CODES.contains(&code) {
        ApiErrorKind::Throttled {
            code: code.to_string(),
            retry_after: retry_after(service.raw().headers().get("retry-after")),
        }
    } else {
        ApiErrorKind::from_service_code(code)
    };
    Some((kind, message))
}

fn credentials_error_kind<E>(error: &SdkError<E, HttpResponse>) -> Option<(ApiErrorKind, String)>
where
    E: std::error::Error + 'static,
{
    use aws_credential_types::provider::error::CredentialsError;
    let credentials = find_source::<CredentialsError>(error)?;
    let kind = match credentials {
        CredentialsError::CredentialsNotLoaded(_) => ApiErrorKind::NoCredentials,
        _ => ApiErrorKind::Credentials,
    };
    Some((kind, innermost_message(credentials)))
}

/// A call that got no usable answer: the endpoint could not be reached, or the response could
/// not be read.
fn transport_error_kind<E>(
    error: &SdkError<E, HttpResponse>,
    endpoint: impl Fn() -> String,
) -> (ApiErrorKind, String)
where
    E: std::error::Error + 'static,
{
    match error {
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => (
            ApiErrorKind::Unreachable {
                endpoint: endpoint(),
            },
            innermost_message(error),
        ),
        SdkError::TimeoutError(_) => (
            ApiErrorKind::Unreachable {
                endpoint: endpoint(),
            },
            "the request timed out".into(),
        ),
        SdkError::ResponseError(_) => (
            ApiErrorKind::Client,
            "the response could not be read".into(),
        ),
        _ => (ApiErrorKind::Client, innermost_message(error)),
    }
}

/// GetCase's answer as sirops's model; the tags are read apart.
fn live_case(
    case_id: &str,
    output: &aws_sdk_securityir::operation::get_case::GetCaseOutput,
) -> Result<LiveCase, ApiError> {
    const OPERATION: &str = "GetCase";
    Ok(LiveCase {
        case_id: case_id.to_string(),
        case_arn: output.case_arn().unwrap_or_default().to_string(),
        title: output.title().unwrap_or_default().to_string(),
        description: output.description().unwrap_or_default().to_string(),
        status: parse_enum::<CaseStatus>(
            OPERATION,
            output
                .case_status()
                .map(aws_sdk_securityir::types::CaseStatus::as_str),
            "caseStatus",
        )?,
        engagement_type: parse_enum::<EngagementType>(
            OPERATION,
            output
                .engagement_type()
                .map(aws_sdk_securityir::types::EngagementType::as_str),
            "engagementType",
        )?,
        resolver_type: parse_enum::<ResolverType>(
            OPERATION,
            output
                .resolver_type()
                .map(aws_sdk_securityir::types::ResolverType::as_str),
            "resolverType",
        )?,
        reported_incident_start_date: output.reported_incident_start_date().map(to_timestamp),
        actual_incident_start_date: output.actual_incident_start_date().map(to_timestamp),
        watchers: output
            .watchers()
            .iter()
            .map(|watcher| Watcher {
                email: watcher.email().to_string(),
                name: watcher.name().map(str::to_string),
                job_title: watcher.job_title().map(str::to_string),
            })
            .collect(),
        threat_actor_ip_addresses: output
            .threat_actor_ip_addresses()
            .iter()
            .map(|ip| ThreatActorIp {
                ip_address: ip.ip_address().to_string(),
                user_agent: ip.user_agent().map(str::to_string),
            })
            .collect(),
        impacted_services: output.impacted_services().to_vec(),
        impacted_aws_regions: output
            .impacted_aws_regions()
            .iter()
            .map(|region| region.region().as_str().to_string())
            .collect(),
        impacted_accounts: output.impacted_accounts().to_vec(),
        case_metadata: output
            .case_metadata()
            .iter()
            .map(|entry| MetadataEntry {
                key: entry.key().to_string(),
                value: entry.value().to_string(),
            })
            .collect(),
        tags: None,
    })
}

/// One row of ListCases as sirops's model. A status sirops does not know reads as none: the
/// listing still finds the case, and nothing is planned from a status it cannot name.
fn case_summary(item: &sdk::ListCasesItem) -> CaseSummary {
    CaseSummary {
        case_id: item.case_id().to_string(),
        case_arn: item.case_arn().unwrap_or_default().to_string(),
        status: item
            .case_status()
            .and_then(|status| status.as_str().parse().ok()),
        pending_action: item
            .pending_action()
            .map(|action| action.as_str().to_string()),
        last_updated: item.last_updated_date().map(to_timestamp),
    }
}

/// One row of ListCaseEdits as sirops's model. An edit without a time cannot be placed in the
/// history, so it fails the read; a missing principal, action or message reads as empty, and
/// an empty action is one that names no field.
fn case_edit(operation: &'static str, item: &sdk::CaseEditItem) -> Result<CaseEdit, ApiError> {
    let time = item.event_timestamp().ok_or_else(|| ApiError {
        operation,
        kind: ApiErrorKind::Client,
        message: "the response has an edit without eventTimestamp".into(),
    })?;
    Ok(CaseEdit {
        time: to_timestamp(time),
        principal: item.principal().unwrap_or_default().to_string(),
        action: item.action().unwrap_or_default().to_string(),
        message: item.message().unwrap_or_default().to_string(),
        by_sirops: false,
    })
}

/// The token of the page after the one just read, or `None` when that was the last. A service
/// that answers the token it was sent would otherwise page forever.
fn next_page(sent: Option<&str>, answered: Option<&str>) -> Option<String> {
    answered
        .filter(|token| !token.is_empty() && sent != Some(*token))
        .map(str::to_string)
}

/// A `Retry-After` header in seconds (the service's form), capped so that a bad value cannot
/// park a call for hours.
fn retry_after(header: Option<&str>) -> Option<std::time::Duration> {
    let seconds: f64 = header?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| std::time::Duration::from_secs_f64(seconds.min(300.0)))
}

/// The first error of type `T` in `error`'s source chain.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// The deepest cause's message: "Connection refused (os error 111)" says more than "dispatch
/// failure", and it never carries the SDK's debug formatting.
fn innermost_message(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    deepest.to_string()
}

fn missing_case_id(operation: &'static str) -> ApiError {
    ApiError {
        operation,
        kind: ApiErrorKind::Client,
        message: "the case id is not known (its CreateCase did not succeed)".into(),
    }
}

fn build_error(operation: &'static str, error: impl std::fmt::Display) -> ApiError {
    ApiError {
        operation,
        kind: ApiErrorKind::Client,
        message: format!("could not build the request: {error}"),
    }
}

fn to_timestamp(date: &DateTime) -> Timestamp {
    let millis = date.to_millis().unwrap_or(date.secs() * 1000);
    Timestamp::from_epoch_millis(millis)
}

fn to_sdk_date(timestamp: Timestamp) -> DateTime {
    DateTime::from_millis(timestamp.epoch_millis())
}

fn parse_enum<T: std::str::FromStr>(
    operation: &'static str,
    value: Option<&str>,
    what: &str,
) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    let value = value.ok_or_else(|| ApiError {
        operation,
        kind: ApiErrorKind::Client,
        message: format!("the response has no {what}"),
    })?;
    value.parse().map_err(|error: T::Err| ApiError {
        operation,
        kind: ApiErrorKind::Client,
        message: format!("the response has an unexpected {what}: {error}"),
    })
}

/// The request's case id (or ARN), which a create's later requests get from its response.
fn known_case_id<'a>(operation: &'static str, id: &'a Option<String>) -> Result<&'a str, ApiError> {
    id.as_deref().ok_or_else(|| missing_case_id(operation))
}

fn sdk_watchers(
    operation: &'static str,
    watchers: &[Watcher],
) -> Result<Vec<sdk::Watcher>, ApiError> {
    watchers
        .iter()
        .map(|watcher| {
            sdk::Watcher::builder()
                .email(&watcher.email)
                .set_name(watcher.name.clone())
                .set_job_title(watcher.job_title.clone())
                .build()
                .map_err(|error| build_error(operation, error))
        })
        .collect()
}

fn sdk_ips(
    operation: &'static str,
    ips: &[ThreatActorIp],
) -> Result<Vec<sdk::ThreatActorIp>, ApiError> {
    ips.iter()
        .map(|ip| {
            sdk::ThreatActorIp::builder()
                .ip_address(&ip.ip_address)
                .set_user_agent(ip.user_agent.clone())
                .build()
                .map_err(|error| build_error(operation, error))
        })
        .collect()
}

fn sdk_regions(
    operation: &'static str,
    regions: &[ImpactedAwsRegion],
) -> Result<Vec<sdk::ImpactedAwsRegion>, ApiError> {
    regions
        .iter()
        .map(|region| {
            sdk::ImpactedAwsRegion::builder()
                .region(sdk::AwsRegion::from(region.region.as_str()))
                .build()
                .map_err(|error| build_error(operation, error))
        })
        .collect()
}

fn sdk_metadata(
    operation: &'static str,
    entries: &[MetadataEntry],
) -> Result<Vec<sdk::CaseMetadataEntry>, ApiError> {
    entries
        .iter()
        .map(|entry| {
            sdk::CaseMetadataEntry::builder()
                .key(&entry.key)
                .value(&entry.value)
                .build()
                .map_err(|error| build_error(operation, error))
        })
        .collect()
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// One function per planned request: the request's values in the SDK's types, then the call.
impl SdkCaseApi {
    async fn create_case(&self, input: &CreateCaseInput) -> Result<RequestOutcome, ApiError> {
        const OPERATION: &str = "CreateCase";
        let call = self
            .client
            .create_case()
            .client_token(&input.client_token)
            .resolver_type(sdk::ResolverType::from(input.resolver_type.as_str()))
            .title(&input.title)
            .description(&input.description)
            .engagement_type(sdk::EngagementType::from(input.engagement_type.as_str()))
            .reported_incident_start_date(to_sdk_date(input.reported_incident_start_date))
            .set_impacted_accounts(Some(input.impacted_accounts.clone()))
            .set_watchers(Some(sdk_watchers(OPERATION, &input.watchers)?))
            .set_threat_actor_ip_addresses(non_empty(sdk_ips(
                OPERATION,
                &input.threat_actor_ip_addresses,
            )?))
            .set_impacted_services(non_empty(input.impacted_services.clone()))
            .set_impacted_aws_regions(non_empty(sdk_regions(
                OPERATION,
                &input.impacted_aws_regions,
            )?))
            .set_tags(Some(input.tags.clone().into_iter().collect()));
        let output = self.paced(OPERATION, || call.clone().send()).await?;
        Ok(RequestOutcome {
            created_case_id: Some(output.case_id().to_string()),
        })
    }

    async fn update_resolver_type(&self, input: &UpdateResolverTypeInput) -> Result<(), ApiError> {
        const OPERATION: &str = "UpdateResolverType";
        let call = self
            .client
            .update_resolver_type()
            .case_id(known_case_id(OPERATION, &input.case_id)?)
            .resolver_type(sdk::ResolverType::from(input.resolver_type.as_str()));
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }

    async fn update_case(&self, input: &UpdateCaseInput) -> Result<(), ApiError> {
        const OPERATION: &str = "UpdateCase";
        let metadata = match &input.case_metadata {
            Some(entries) => Some(sdk_metadata(OPERATION, entries)?),
            None => None,
        };
        let call = self
            .client
            .update_case()
            .case_id(known_case_id(OPERATION, &input.case_id)?)
            .set_title(input.title.clone())
            .set_description(input.description.clone())
            .set_reported_incident_start_date(input.reported_incident_start_date.map(to_sdk_date))
            .set_actual_incident_start_date(input.actual_incident_start_date.map(to_sdk_date))
            .set_engagement_type(
                input
                    .engagement_type
                    .map(|kind| sdk::EngagementType::from(kind.as_str())),
            )
            .set_watchers_to_add(non_empty(sdk_watchers(OPERATION, &input.watchers_to_add)?))
            .set_watchers_to_delete(non_empty(sdk_watchers(
                OPERATION,
                &input.watchers_to_delete,
            )?))
            .set_threat_actor_ip_addresses_to_add(non_empty(sdk_ips(
                OPERATION,
                &input.threat_actor_ip_addresses_to_add,
            )?))
            .set_threat_actor_ip_addresses_to_delete(non_empty(sdk_ips(
                OPERATION,
                &input.threat_actor_ip_addresses_to_delete,
            )?))
            .set_impacted_services_to_add(non_empty(input.impacted_services_to_add.clone()))
            .set_impacted_services_to_delete(non_empty(input.impacted_services_to_delete.clone()))
            .set_impacted_aws_regions_to_add(non_empty(sdk_regions(
                OPERATION,
                &input.impacted_aws_regions_to_add,
            )?))
            .set_impacted_aws_regions_to_delete(non_empty(sdk_regions(
                OPERATION,
                &input.impacted_aws_regions_to_delete,
            )?))
            .set_impacted_accounts_to_add(non_empty(input.impacted_accounts_to_add.clone()))
            .set_impacted_accounts_to_delete(non_empty(input.impacted_accounts_to_delete.clone()))
            .set_case_metadata(metadata);
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }

    async fn update_case_status(&self, input: &UpdateCaseStatusInput) -> Result<(), ApiError> {
        const OPERATION: &str = "UpdateCaseStatus";
        let call = self
            .client
            .update_case_status()
            .case_id(known_case_id(OPERATION, &input.case_id)?)
            .case_status(sdk::SelfManagedCaseStatus::from(input.case_status.as_str()));
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }

    async fn close_case(&self, input: &CloseCaseInput) -> Result<(), ApiError> {
        const OPERATION: &str = "CloseCase";
        let call = self
            .client
            .close_case()
            .case_id(known_case_id(OPERATION, &input.case_id)?);
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }

    async fn tag_resource(&self, input: &TagResourceInput) -> Result<(), ApiError> {
        const OPERATION: &str = "TagResource";
        let call = self
            .client
            .tag_resource()
            .resource_arn(known_case_id(OPERATION, &input.resource_arn)?)
            .set_tags(Some(input.tags.clone().into_iter().collect()));
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }

    async fn untag_resource(&self, input: &UntagResourceInput) -> Result<(), ApiError> {
        const OPERATION: &str = "UntagResource";
        let call = self
            .client
            .untag_resource()
            .resource_arn(known_case_id(OPERATION, &input.resource_arn)?)
            .set_tag_keys(Some(input.tag_keys.clone()));
        self.paced(OPERATION, || call.clone().send()).await?;
        Ok(())
    }
}

impl CaseApi for SdkCaseApi {
    async fn get_case(&self, case_id: &str) -> Result<Option<LiveCase>, ApiError> {
        const OPERATION: &str = "GetCase";
        let read = self
            .paced(OPERATION, || self.client.get_case().case_id(case_id).send())
            .await;
        let output = match read {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        live_case(case_id, &output).map(Some)
    }

    async fn list_tags(&self, case_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let output = self
            .paced("ListTagsForResource", || {
                self.client
                    .list_tags_for_resource()
                    .resource_arn(case_arn)
                    .send()
            })
            .await?;
        Ok(output.tags().clone().into_iter().collect())
    }

    async fn list_cases(&self) -> Result<Vec<CaseSummary>, ApiError> {
        // Page by page rather than with the SDK's paginator, so that each page is paced and
        // a throttled page is retried alone.
        let mut cases = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .paced("ListCases", || {
                    self.client
                        .list_cases()
                        .max_results(25)
                        .set_next_token(next_token.clone())
                        .send()
                })
                .await?;
            cases.extend(page.items().iter().map(case_summary));
            next_token = next_page(next_token.as_deref(), page.next_token());
            if next_token.is_none() {
                break;
            }
        }
        Ok(cases)
    }

    async fn list_case_edits(&self, case_id: &str) -> Result<Vec<CaseEdit>, ApiError> {
        const OPERATION: &str = "ListCaseEdits";
        // By hand for the same reason as ListCases: each page paced and retried alone.
        let mut edits = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .paced(OPERATION, || {
                    self.client
                        .list_case_edits()
                        .case_id(case_id)
                        .max_results(25)
                        .set_next_token(next_token.clone())
                        .send()
                })
                .await?;
            for item in page.items() {
                edits.push(case_edit(OPERATION, item)?);
            }
            next_token = next_page(next_token.as_deref(), page.next_token());
            if next_token.is_none() {
                break;
            }
        }
        // The API does not say in which order it lists edits; a stable sort keeps its order
        // among edits of the same instant.
        edits.sort_by_key(|edit| edit.time);
        Ok(edits)
    }

    async fn send(&self, request: &Request) -> Result<RequestOutcome, ApiError> {
        let done = RequestOutcome::default();
        match request {
            Request::CreateCase(input) => self.create_case(input).await,
            Request::UpdateResolverType(input) => {
                self.update_resolver_type(input).await.map(|()| done)
            }
            Request::UpdateCase(input) => self.update_case(input).await.map(|()| done),
            Request::UpdateCaseStatus(input) => self.update_case_status(input).await.map(|()| done),
            Request::CloseCase(input) => self.close_case(input).await.map(|()| done),
            Request::TagResource(input) => self.tag_resource(input).await.map(|()| done),
            Request::UntagResource(input) => self.untag_resource(input).await.map(|()| done),
        }
    }

    fn pacing(&self) -> PacingReport {
        self.pacer.report()
    }

    fn begin_run(&self) {
        self.pacer.begin_run();
    }

    fn stop(&self) {
        self.pacer.stop();
    }

    async fn create_comment(&self, case_id: &str, body: &str) -> Result<(), ApiError> {
        let call = self
            .client
            .create_case_comment()
            .case_id(case_id)
            .body(body);
        self.paced("CreateCaseComment", || call.clone().send())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_securityir::operation::get_case::GetCaseError;
    use aws_sdk_securityir::types::error::{InternalServerException, ThrottlingException};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> HttpResponse {
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert("Retry-After", seconds.to_string());
        }
        response
    }

    fn classified(error: GetCaseError, raw: HttpResponse) -> ApiError {
        classify("GetCase", SdkError::service_error(error, raw), || {
            "http://localhost".into()
        })
    }

    #[test]
    fn a_429_is_throttling_with_its_retry_after() {
        let throttling = ThrottlingException::builder()
            .message("Rate exceeded")
            .meta(ErrorMetadata::builder().code("ThrottlingException").build())
            .build()
            .unwrap();
        let error = classified(
            GetCaseError::ThrottlingException(throttling),
            response(429, Some("3")),
        );
        assert_eq!(
            error.kind,
            ApiErrorKind::Throttled {
                code: "ThrottlingException".into(),
                retry_after: Some(std::time::Duration::from_secs(3)),
            }
        );
        assert_eq!(error.code(), Some("ThrottlingException"));
    }

    #[test]
    fn other_service_errors_are_not_throttling() {
        let internal = InternalServerException::builder()
            .message("oops")
            .meta(
                ErrorMetadata::builder()
                    .code("InternalServerException")
                    .build(),
            )
            .build()
            .unwrap();
        let error = classified(
            GetCaseError::InternalServerException(internal),
            response(500, Some("3")),
        );
        assert_eq!(
            error.kind,
            ApiErrorKind::Service("InternalServerException".into())
        );
    }

    #[test]
    fn a_request_that_cannot_be_built_is_reported_under_its_own_operation() {
        let error = known_case_id("CloseCase", &None).unwrap_err();
        assert_eq!(error.operation, "CloseCase");
        assert_eq!(error.kind, ApiErrorKind::Client);
        assert_eq!(known_case_id("TagResource", &Some("arn".into())), Ok("arn"));
        let regions = [ImpactedAwsRegion {
            region: "eu-west-1".into(),
        }];
        assert_eq!(sdk_regions("CreateCase", &regions).unwrap().len(), 1);
    }

    #[test]
    fn an_edit_reads_as_the_model_and_needs_its_time() {
        let item = sdk::CaseEditItem::builder()
            .event_timestamp(DateTime::from_millis(1_795_161_600_250))
            .principal("arn:aws:iam::123456789012:user/console")
            .action("TitleUpdated")
            .message("Case title updated")
            .build();
        assert_eq!(
            case_edit("ListCaseEdits", &item),
            Ok(CaseEdit {
                time: Timestamp::parse_rfc3339("2026-11-20T08:00:00.250Z").unwrap(),
                principal: "arn:aws:iam::123456789012:user/console".into(),
                action: "TitleUpdated".into(),
                message: "Case title updated".into(),
                by_sirops: false,
            })
        );
        let bare = sdk::CaseEditItem::builder()
            .event_timestamp(DateTime::from_secs(1_795_161_600))
            .build();
        let read = case_edit("ListCaseEdits", &bare).unwrap();
        assert_eq!(
            (read.principal, read.action, read.message),
            (String::new(), String::new(), String::new())
        );
        let untimed = sdk::CaseEditItem::builder().action("TitleUpdated").build();
        let error = case_edit("ListCaseEdits", &untimed).unwrap_err();
        assert_eq!(
            (error.operation, error.kind),
            ("ListCaseEdits", ApiErrorKind::Client)
        );
    }

    #[test]
    fn a_listed_case_keeps_its_pending_action_and_last_update() {
        let item = sdk::ListCasesItem::builder()
            .case_id("0000000001")
            .case_arn("arn:aws:security-ir:us-east-1:123456789012:case/0000000001")
            .case_status(sdk::CaseStatus::from("Acknowledged"))
            .pending_action(sdk::PendingAction::Customer)
            .last_updated_date(DateTime::from_millis(1_795_161_600_250))
            .build()
            .unwrap();
        assert_eq!(
            case_summary(&item),
            CaseSummary {
                case_id: "0000000001".into(),
                case_arn: "arn:aws:security-ir:us-east-1:123456789012:case/0000000001".into(),
                status: Some(CaseStatus::Acknowledged),
                pending_action: Some("Customer".into()),
                last_updated: Some(Timestamp::parse_rfc3339("2026-11-20T08:00:00.250Z").unwrap()),
            }
        );
        let bare = sdk::ListCasesItem::builder()
            .case_id("0000000002")
            .case_status(sdk::CaseStatus::from("Under Review"))
            .pending_action(sdk::PendingAction::from("Partner"))
            .build()
            .unwrap();
        let read = case_summary(&bare);
        assert_eq!(
            (
                read.status,
                read.pending_action.as_deref(),
                read.last_updated
            ),
            (None, Some("Partner"), None)
        );
    }

    #[test]
    fn paging_stops_at_a_missing_empty_or_repeated_token() {
        assert_eq!(next_page(None, Some("b")), Some("b".into()));
        assert_eq!(next_page(Some("a"), Some("b")), Some("b".into()));
        assert_eq!(next_page(Some("a"), None), None);
        assert_eq!(next_page(Some("a"), Some("")), None);
        assert_eq!(next_page(Some("a"), Some("a")), None);
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        assert_eq!(
            retry_after(Some("2")),
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(Some(" 0.5 ")),
            Some(std::time::Duration::from_millis(500))
        );
        assert_eq!(
            retry_after(Some("86400")),
            Some(std::time::Duration::from_mins(5))
        );
        assert_eq!(retry_after(Some("-1")), None);
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
    }
}
