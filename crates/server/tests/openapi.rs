//! The OpenAPI document, snapshotted so that a change to the contract shows up in review.
//! After an intended change: `INSTA_UPDATE=always cargo test -p server --test openapi`.

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_value(server::openapi()).expect("the document serialises");
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn every_operation_documents_its_responses_and_protected_ones_their_security() {
    let doc = serde_json::to_value(server::openapi()).expect("the document serialises");
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
