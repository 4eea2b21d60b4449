//! The emulator writes the API model's limits down on its own, apart from the `model::limits`
//! the manifest validator uses, so that one mistaken table cannot pass both sides. This test
//! is what keeps the two copies honest: at every limit, the validator and the emulator accept
//! the largest value the model allows and refuse one more.

use std::path::Path;

use aws_sdk_securityir::Client;
use aws_sdk_securityir::types::{CaseMetadataEntry, ThreatActorIp};
use sirops::model::limits;

use crate::support::{create, manifest, new_case, start_and_connect, watcher};

fn validator_accepts(extra_spec: &str) -> bool {
    let text = manifest("limits", extra_spec);
    let loaded = sirops::manifest::parse_source(Path::new("cases/limits.yaml"), text.as_bytes());
    !loaded.has_errors()
}

/// The largest value is accepted by both and one more is refused by both. `emulator_offset`
/// is what sirops adds to a manifest's count before it reaches the service (its own tags).
async fn agree(
    what: &str,
    max: usize,
    emulator_offset: usize,
    manifest_lines: impl Fn(usize) -> String,
    emulator_accepts: impl AsyncFn(usize) -> bool,
) {
    for (size, accepted) in [(max, true), (max + 1, false)] {
        assert_eq!(
            validator_accepts(&manifest_lines(size)),
            accepted,
            "the validator on {what} of {size}"
        );
        assert_eq!(
            emulator_accepts(size + emulator_offset).await,
            accepted,
            "the emulator on {what} of {}",
            size + emulator_offset
        );
    }
}

fn list(key: &str, items: impl Iterator<Item = String>) -> String {
    let mut lines = format!("  {key}:\n");
    for item in items {
        lines.push_str(&format!("    - {item}\n"));
    }
    lines
}

fn ip(index: usize) -> String {
    format!("10.0.{}.{}", index / 250, index % 250)
}

fn account(index: usize) -> String {
    format!("{:012}", 100_000_000_000 + index)
}

fn service(index: usize) -> String {
    format!("Service {index:04}")
}

#[tokio::test]
async fn the_validator_and_the_emulator_agree_on_the_limits_of_a_create() {
    let (_emulator, client) = start_and_connect().await;
    let client = &client;
    let creates = async |request: aws_sdk_securityir::operation::create_case::builders::CreateCaseFluentBuilder| {
        request.send().await.is_ok()
    };
    // The manifest's own title and description come first, so a later key of the same name
    // would be a duplicate: these two limits are checked on the emulator and the validator
    // apart, each against the same bound.
    for (size, accepted) in [(limits::TITLE.1, true), (limits::TITLE.1 + 1, false)] {
        let title = "t".repeat(size);
        assert_eq!(
            creates(new_case(client, &title)).await,
            accepted,
            "title of {size}"
        );
        let text =
            manifest("limits", "").replace("title: Incident limits", &format!("title: {title}"));
        let loaded =
            sirops::manifest::parse_source(Path::new("cases/limits.yaml"), text.as_bytes());
        assert_eq!(!loaded.has_errors(), accepted, "validator: title of {size}");
    }
    for (size, accepted) in [
        (limits::DESCRIPTION.1, true),
        (limits::DESCRIPTION.1 + 1, false),
    ] {
        let description = "d".repeat(size);
        let request = new_case(client, "description").description(&description);
        assert_eq!(creates(request).await, accepted, "description of {size}");
        let text = manifest("limits", "").replace(
            "description: |\n    What happened to limits.",
            &format!("description: {description}"),
        );
        let loaded =
            sirops::manifest::parse_source(Path::new("cases/limits.yaml"), text.as_bytes());
        assert_eq!(
            !loaded.has_errors(),
            accepted,
            "validator: description of {size}"
        );
    }

    agree(
        "watchers",
        limits::WATCHERS_MAX,
        0,
        |size| {
            list(
                "watchers",
                (0..size).map(|i| format!("email: w{i}@example.com")),
            )
        },
        async |size| {
            let watchers = (0..size)
                .map(|i| watcher(&format!("w{i}@example.com")))
                .collect();
            creates(new_case(client, "watchers").set_watchers(Some(watchers))).await
        },
    )
    .await;
    agree(
        "a watcher's name",
        limits::PERSON_NAME.1,
        0,
        |size| {
            format!(
                "  watchers:\n    - email: ann@example.com\n      name: {}\n",
                "n".repeat(size)
            )
        },
        async |size| {
            let named = aws_sdk_securityir::types::Watcher::builder()
                .email("ann@example.com")
                .name("n".repeat(size))
                .build()
                .unwrap();
            creates(new_case(client, "name").set_watchers(Some(vec![named]))).await
        },
    )
    .await;
    agree(
        "threat actor IPs",
        limits::THREAT_ACTOR_IPS_MAX,
        0,
        |size| {
            list(
                "threatActorIpAddresses",
                (0..size).map(|i| format!("ipAddress: {}", ip(i))),
            )
        },
        async |size| {
            let ips = (0..size)
                .map(|i| ThreatActorIp::builder().ip_address(ip(i)).build().unwrap())
                .collect();
            creates(new_case(client, "ips").set_threat_actor_ip_addresses(Some(ips))).await
        },
    )
    .await;
    agree(
        "a user agent",
        limits::USER_AGENT.1,
        0,
        |size| {
            format!(
                "  threatActorIpAddresses:\n    - ipAddress: 10.0.0.1\n      userAgent: {}\n",
                "u".repeat(size)
            )
        },
        async |size| {
            let with_agent = ThreatActorIp::builder()
                .ip_address("10.0.0.1")
                .user_agent("u".repeat(size))
                .build()
                .unwrap();
            let request = new_case(client, "agent").threat_actor_ip_addresses(with_agent);
            creates(request).await
        },
    )
    .await;
    agree(
        "impacted services",
        limits::IMPACTED_SERVICES_MAX,
        0,
        |size| list("impactedServices", (0..size).map(service)),
        async |size| {
            let services = (0..size).map(service).collect();
            creates(new_case(client, "services").set_impacted_services(Some(services))).await
        },
    )
    .await;
    agree(
        "a service name",
        limits::AWS_SERVICE.1,
        0,
        |size| format!("  impactedServices:\n    - {}\n", "s".repeat(size)),
        async |size| creates(new_case(client, "service").impacted_services("s".repeat(size))).await,
    )
    .await;
    agree(
        "impacted accounts",
        limits::IMPACTED_ACCOUNTS_MAX,
        0,
        |size| {
            list(
                "impactedAccounts",
                (0..size).map(|i| format!("\"{}\"", account(i))),
            )
        },
        async |size| {
            let accounts = (0..size).map(account).collect();
            creates(new_case(client, "accounts").set_impacted_accounts(Some(accounts))).await
        },
    )
    .await;
    // sirops adds its two tags to every case it creates, so a manifest may hold two fewer
    // than the service's limit.
    agree(
        "tags",
        limits::USER_TAGS_MAX,
        limits::TAGS_MAX - limits::USER_TAGS_MAX,
        |size| list("tags", (0..size).map(|i| format!("k{i}: v"))).replace("    - ", "    "),
        async |size| {
            let tags = (0..size)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect();
            creates(new_case(client, "tags").set_tags(Some(tags))).await
        },
    )
    .await;
    agree(
        "a tag key",
        limits::TAG_KEY.1,
        0,
        |size| format!("  tags:\n    {}: v\n", "k".repeat(size)),
        async |size| creates(new_case(client, "key").tags("k".repeat(size), "v")).await,
    )
    .await;
    agree(
        "a tag value",
        limits::TAG_VALUE.1,
        0,
        |size| format!("  tags:\n    k: {}\n", "v".repeat(size)),
        async |size| creates(new_case(client, "value").tags("k", "v".repeat(size))).await,
    )
    .await;
}

#[tokio::test]
async fn the_validator_and_the_emulator_agree_on_the_limits_of_case_metadata() {
    let (_emulator, client) = start_and_connect().await;
    let case_id = create(&client, "metadata").await;
    let updates = async |client: &Client, entries: Vec<CaseMetadataEntry>| {
        client
            .update_case()
            .case_id(&case_id)
            .set_case_metadata(Some(entries))
            .send()
            .await
            .is_ok()
    };
    let entry = |key: String, value: String| {
        CaseMetadataEntry::builder()
            .key(key)
            .value(value)
            .build()
            .unwrap()
    };
    agree(
        "case metadata entries",
        limits::CASE_METADATA.1,
        0,
        |size| {
            list("caseMetadata", (0..size).map(|i| format!("k{i}: v"))).replace("    - ", "    ")
        },
        async |size| {
            let entries = (0..size)
                .map(|i| entry(format!("k{i}"), "v".into()))
                .collect();
            updates(&client, entries).await
        },
    )
    .await;
    agree(
        "a metadata key",
        limits::CASE_METADATA_KEY.1,
        0,
        |size| format!("  caseMetadata:\n    {}: v\n", "k".repeat(size)),
        async |size| updates(&client, vec![entry("k".repeat(size), "v".into())]).await,
    )
    .await;
    agree(
        "a metadata value",
        limits::CASE_METADATA_VALUE.1,
        0,
        |size| format!("  caseMetadata:\n    k: {}\n", "v".repeat(size)),
        async |size| updates(&client, vec![entry("k".into(), "v".repeat(size))]).await,
    )
    .await;
}
