//! The OpenAPI document, snapshotted so that a change to the contract shows up in review.
//! After an intended change: `INSTA_UPDATE=always cargo test -p server --test openapi`.

#[test]
fn openapi_document_matches_the_snapshot() {
    insta::assert_json_snapshot!("openapi", server::spec::document(None));
}

#[test]
fn every_operation_documents_its_responses_and_protected_ones_their_security() {
    let doc = server::spec::document(None);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} documents no response");
            let public = path == "/api/users" && method == "post" || !path.starts_with("/api/");
            if !public {
                assert!(operation["security"].is_array(), "{method} {path} declares no security");
                assert!(responses.contains_key("401"), "{method} {path} does not document 401");
            }
        }
    }
}

fn media_types(value: &serde_json::Value, found: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(content) = map.get("content").and_then(serde_json::Value::as_object) {
                found.extend(content.keys().cloned());
            }
            map.values().for_each(|v| media_types(v, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| media_types(v, found)),
        _ => {}
    }
}

#[test]
fn each_version_document_describes_only_its_media_types() {
    use api_versioning::ApiVersion;
    let of = |version| {
        let mut found = std::collections::BTreeSet::new();
        media_types(&server::spec::document(version)["paths"], &mut found);
        found.into_iter().collect::<Vec<_>>()
    };
    let v1 = "application/vnd.photoroom+json; version=1.0";
    let v2 = "application/vnd.photoroom+json; version=2.0";
    let (only_v1, only_v2, both) = (of(Some(ApiVersion::V1)), of(Some(ApiVersion::V2)), of(None));
    assert!(
        only_v1.contains(&v1.to_owned()) && !only_v1.contains(&v2.to_owned()),
        "{only_v1:?}"
    );
    assert!(!only_v1.iter().any(|t| t == "application/problem+json"), "{only_v1:?}");
    assert!(
        only_v2.contains(&v2.to_owned()) && !only_v2.contains(&v1.to_owned()),
        "{only_v2:?}"
    );
    assert!(
        both.contains(&v1.to_owned()) && both.contains(&v2.to_owned()),
        "{both:?}"
    );
}

#[test]
fn every_api_operation_documents_negotiation_and_availability() {
    let doc = server::spec::document(None);
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/") {
            continue;
        }
        for (method, operation) in item.as_object().expect("path item") {
            for status in ["406", "503"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{method} {path} lacks {status}"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn each_version_document_shows_only_its_own_request_examples() {
    use api_versioning::ApiVersion;
    for (version, other) in [(ApiVersion::V1, "2.0"), (ApiVersion::V2, "1.0")] {
        let doc = server::spec::document(Some(version));
        let create = &doc["paths"]["/api/palettes"]["post"]["requestBody"]["content"]["application/json"]["examples"];
        assert!(create[version.as_str()].is_object(), "{create}");
        assert!(
            create.get(other).is_none(),
            "the {} document shows a {other} example: {create}",
            version.as_str()
        );
    }
    let both = server::spec::document(None);
    let create = &both["paths"]["/api/palettes"]["post"]["requestBody"]["content"]["application/json"]["examples"];
    assert!(create["1.0"].is_object() && create["2.0"].is_object(), "{create}");
}

#[test]
fn each_version_document_names_its_own_write_bodies() {
    use api_versioning::ApiVersion;
    let body_schema = |doc: &serde_json::Value, method: &str, path: &str| {
        let reference = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has a body"))
            .to_owned();
        let name = reference.rsplit('/').next().expect("a name").to_owned();
        (name.clone(), doc["components"]["schemas"][&name].clone())
    };
    let v1 = server::spec::document(Some(ApiVersion::V1));
    let v2 = server::spec::document(Some(ApiVersion::V2));
    for method in ["post", "put"] {
        let path = if method == "post" {
            "/api/palettes"
        } else {
            "/api/palettes/{id}"
        };
        let (name, schema) = body_schema(v1, method, path);
        assert_eq!(name, "PaletteCreateV1");
        assert_eq!(schema["required"], serde_json::json!(["name", "owner_id"]), "{schema}");
        assert!(
            schema["properties"].get("team_id").is_none(),
            "1.0 has no team_id: {schema}"
        );
        assert_eq!(
            schema["properties"]["colors"]["items"]["$ref"], "#/components/schemas/PaletteHexInput",
            "1.0 colours are hex strings only: {schema}"
        );
        let (name, schema) = body_schema(v2, method, path);
        assert_eq!(name, "PaletteCreateV2");
        assert_eq!(schema["required"], serde_json::json!(["name", "team_id"]), "{schema}");
    }
    let (name, schema) = body_schema(v1, "patch", "/api/palettes/{id}");
    assert_eq!(name, "PaletteWriteV1");
    assert!(schema.get("required").is_none(), "{schema}");
    assert_eq!(body_schema(v2, "patch", "/api/palettes/{id}").0, "PaletteWriteV2");
    // Both versions at once: the shared bodies.
    let both = server::spec::document(None);
    assert_eq!(body_schema(both, "post", "/api/palettes").0, "PaletteCreate");
    assert_eq!(body_schema(both, "patch", "/api/palettes/{id}").0, "PaletteWrite");
}
