//! The console's page and files: types, caching and the policy.

use actix_web::http::{header, StatusCode};
use actix_web::{test, App};

fn header_of(response: &actix_web::dev::ServiceResponse, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no {name}"))
}

#[actix_web::test]
async fn the_page_points_at_this_releases_files_under_a_strict_policy() {
    let app = test::init_service(App::new().configure(console::configure)).await;
    let page = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header_of(&page, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header_of(&page, header::CACHE_CONTROL), "no-cache");
    let policy = header_of(&page, header::CONTENT_SECURITY_POLICY).to_owned();
    for directive in [
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "default-src 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let etag = header_of(&page, header::ETAG).to_owned();
    let html = String::from_utf8(test::read_body(page).await.to_vec()).expect("UTF-8");
    assert!(!html.contains("%ASSETS%"), "every placeholder is replaced");
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "no inline code: {html}"
    );
    let script = html
        .split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|src| src.ends_with(".js"))
        .expect("the page loads a script")
        .to_owned();
    assert!(script.starts_with("/console/"), "{script}");

    let again = test::TestRequest::get()
        .uri("/")
        .insert_header((header::IF_NONE_MATCH, etag.as_str()))
        .to_request();
    let unchanged = test::call_service(&app, again).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    // A browser merges a 304's headers into its copy: the same policy, or the page breaks.
    assert_eq!(header_of(&unchanged, header::CONTENT_SECURITY_POLICY), policy);
    assert_eq!(header_of(&unchanged, header::CACHE_CONTROL), "no-cache");

    let file = test::call_service(&app, test::TestRequest::get().uri(&script).to_request()).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(header_of(&file, header::CONTENT_TYPE), "text/javascript; charset=utf-8");
    assert!(header_of(&file, header::CACHE_CONTROL).contains("immutable"));
    let file_etag = header_of(&file, header::ETAG).to_owned();
    let revalidated = test::TestRequest::get()
        .uri(&script)
        .insert_header((header::IF_NONE_MATCH, file_etag.as_str()))
        .to_request();
    let unchanged = test::call_service(&app, revalidated).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header_of(&unchanged, header::CONTENT_SECURITY_POLICY), policy);

    // Another release's files are not served under this one's name, nor the page as a file.
    let file_name = script.rsplit('/').next().expect("a name");
    for path in [
        format!("/console/000000000000/{file_name}"),
        format!("{}/index.html", script.rsplit_once('/').expect("a folder").0),
        format!("{}/../Cargo.toml", script.rsplit_once('/').expect("a folder").0),
    ] {
        let response = test::call_service(&app, test::TestRequest::get().uri(&path).to_request()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
