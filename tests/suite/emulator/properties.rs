//! Property tests of the emulator's validation, through its router in process: every valid
//! request it is given is accepted, and each single-field corruption of one is refused with
//! that field, and only that field, in `fieldList`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};
use sirops::emulator::EmulatorConfig;
use tower::ServiceExt;

const SIGNATURE: &str = "AWS4-HMAC-SHA256 Credential=AKIDPROPERTY/20260101/us-east-1/security-ir/aws4_request, SignedHeaders=host, Signature=00";

fn call(router: &axum::Router, method: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", SIGNATURE)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    })
}

fn field_names(answer: &Value) -> Vec<String> {
    answer["fieldList"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|field| field["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn text(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9 ]{{{min},{max}}}")).unwrap()
}

fn email() -> impl Strategy<Value = String> {
    "[a-z]{1,10}(\\.[a-z]{1,5})?@[a-z]{2,10}\\.(com|org|example)"
}

fn ip() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        proptest::collection::vec(0u16..=0xFFFF, 8).prop_map(|groups| {
            groups
                .iter()
                .map(|group| format!("{group:X}"))
                .collect::<Vec<_>>()
                .join(":")
        }),
    ]
}

/// A CreateCase body that satisfies every constraint of the model.
fn valid_create_case() -> impl Strategy<Value = Value> {
    let watchers = proptest::collection::btree_set(email(), 0..4).prop_flat_map(|emails| {
        let count = emails.len();
        (
            Just(emails.into_iter().collect::<Vec<_>>()),
            proptest::collection::vec(proptest::option::of(text(1, 50)), count),
        )
            .prop_map(|(emails, names)| {
                emails
                    .into_iter()
                    .zip(names)
                    .map(|(email, name)| match name {
                        Some(name) => json!({"email": email, "name": name}),
                        None => json!({"email": email}),
                    })
                    .collect::<Vec<_>>()
            })
    });
    let ips = proptest::collection::vec(ip(), 0..4).prop_map(|ips| {
        ips.into_iter()
            .map(|address| json!({"ipAddress": address}))
            .collect::<Vec<_>>()
    });
    let services = proptest::collection::btree_set("[A-Za-z][A-Za-z0-9 ().:-]{1,20}", 0..4);
    let regions = proptest::sample::subsequence(
        vec!["us-east-1", "eu-west-1", "ap-south-2", "ca-west-1"],
        0..=4,
    );
    let accounts = proptest::collection::btree_set("[0-9]{12}", 0..4);
    let tags = proptest::collection::btree_map("[a-z][a-z0-9:_-]{0,20}", text(0, 30), 0..4);
    (
        (text(1, 300), text(1, 500), 1_600_000_000i64..1_900_000_000),
        (
            prop_oneof![Just("Security Incident"), Just("Investigation")],
            prop_oneof![Just("Self"), Just("AWS")],
        ),
        (watchers, ips, services, regions, accounts, tags),
    )
        .prop_map(
            |((title, description, date), (engagement, resolver), lists)| {
                let (watchers, ips, services, regions, accounts, tags) = lists;
                json!({
                    "title": title,
                    "description": description,
                    "engagementType": engagement,
                    "resolverType": resolver,
                    "reportedIncidentStartDate": date,
                    "watchers": watchers,
                    "threatActorIpAddresses": ips,
                    "impactedServices": services,
                    "impactedAwsRegions": regions.iter().map(|region| json!({"region": region})).collect::<Vec<_>>(),
                    "impactedAccounts": accounts,
                    "tags": tags,
                })
            },
        )
}

/// Breaks one member of a valid body; returns the field name the service must name.
fn corrupt(body: &mut Value, which: usize) -> Option<String> {
    let first_item =
        |body: &Value, list: &str| body[list].as_array().is_some_and(|items| !items.is_empty());
    // One arm per member, each breaking it its own way: the arms share a shape, not a rule.
    Some(match which {
        0 => {
            body["title"] = json!("");
            "title".into()
        }
        1 => {
            body["description"] = json!("d".repeat(8001));
            "description".into()
        }
        2 => {
            body["engagementType"] = json!("Incident");
            "engagementType".into()
        }
        3 => {
            body["resolverType"] = json!("Maybe");
            "resolverType".into()
        }
        4 => {
            body.as_object_mut()?.remove("reportedIncidentStartDate");
            "reportedIncidentStartDate".into()
        }
        5 if first_item(body, "watchers") => {
            body["watchers"][0]["email"] = json!("Alice <alice@example.com>");
            "watchers[0].email".into()
        }
        6 if first_item(body, "threatActorIpAddresses") => {
            body["threatActorIpAddresses"][0]["ipAddress"] = json!("300.1.1.1");
            "threatActorIpAddresses[0].ipAddress".into()
        }
        7 if first_item(body, "impactedServices") => {
            body["impactedServices"][0] = json!("EC2_instance");
            "impactedServices[0]".into()
        }
        8 if first_item(body, "impactedAwsRegions") => {
            body["impactedAwsRegions"][0]["region"] = json!("mars-north-1");
            "impactedAwsRegions[0].region".into()
        }
        9 if first_item(body, "impactedAccounts") => {
            body["impactedAccounts"][0] = json!("12345678901x");
            "impactedAccounts[0]".into()
        }
        10 => {
            body["clientToken"] = json!("t".repeat(256));
            "clientToken".into()
        }
        11 => {
            body["tags"]["aws:owner"] = json!("x");
            "tags.key".into()
        }
        12 if first_item(body, "impactedAccounts") => {
            let first = body["impactedAccounts"][0].clone();
            body["impactedAccounts"].as_array_mut()?.push(first);
            let last = body["impactedAccounts"].as_array()?.len() - 1;
            format!("impactedAccounts[{last}]")
        }
        _ => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn create_case_accepts_valid_input_and_names_each_corrupted_field(
        body in valid_create_case(),
        which in 0usize..13,
    ) {
        let router = sirops::emulator::router(&EmulatorConfig::default()).unwrap();
        let (status, answer) = call(&router, "POST", "/v1/create-case", &body);
        prop_assert_eq!(status, StatusCode::CREATED, "{} refused: {}", body, answer);

        let mut broken = body.clone();
        if let Some(field) = corrupt(&mut broken, which) {
            let (status, answer) = call(&router, "POST", "/v1/create-case", &broken);
            prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{} accepted", broken);
            let names = field_names(&answer);
            prop_assert!(names.contains(&field), "{} not in {:?}", field, names);
            prop_assert!(
                names.iter().all(|name| *name == field),
                "only {} is wrong, yet {:?}", field, names
            );
        }
    }

    #[test]
    fn update_case_names_a_bad_case_id_beside_bad_body_members(
        title in text(1, 300),
        bad_id in prop_oneof![Just("123"), Just("abcdefghijkl"), Just("1234567890123456789012345678901234")],
    ) {
        let router = sirops::emulator::router(&EmulatorConfig::default()).unwrap();
        let (status, _) = call(
            &router,
            "POST",
            &format!("/v1/cases/{bad_id}/update-case"),
            &json!({"title": title}),
        );
        prop_assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, answer) = call(
            &router,
            "POST",
            &format!("/v1/cases/{bad_id}/update-case"),
            &json!({"title": ""}),
        );
        let names = field_names(&answer);
        prop_assert!(names.contains(&"caseId".to_string()), "{:?}", names);
        prop_assert!(names.contains(&"title".to_string()), "{:?}", names);
    }
}
