//! Exports, imports and contrast over HTTP: every format downloads as an
//! attachment with its type and `ETag`, imports back to the same palette,
//! refuses what it cannot read without creating anything, and stays
//! invisible to non-members.

mod common;

use std::time::Duration;

use common::{create, id_of, palette_count, row, team_with};
use serde_json::{json, Value};
use test_support::{spawn_app, TestApp, TestUser};

const FORMATS: [(&str, &str); 5] = [
    ("css", "text/css; charset=utf-8"),
    ("tokens.json", "application/design-tokens+json"),
    ("gpl", "application/x-gimp-palette"),
    ("ase", "application/x-adobe-ase"),
    ("svg", "image/svg+xml"),
];

/// A palette with names that break naive writers, one translucent colour and one unnamed.
async fn odd_palette(app: &TestApp, user: &TestUser, name: &str) -> Value {
    create(
        app,
        user,
        user.personal_team_id,
        name,
        json!([
            {"hex": "#0077be", "name": "Quote \" */ </text>"},
            {"hex": "#aabbcc80", "name": "أزرق 🎨"},
            "#102030",
            {"hex": "#ffffff", "name": "x".repeat(100)},
        ]),
    )
    .await
}

async fn export(app: &TestApp, user: &TestUser, id: i64, format: &str) -> test_support::Response {
    app.get(&format!("/api/palettes/{id}/export/{format}"))
        .auth(user)
        .send()
        .await
}

async fn import(
    app: &TestApp,
    user: &TestUser,
    query: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> test_support::Response {
    app.post(&format!("/api/palettes/import/?{query}"))
        .v2()
        .auth(user)
        .body(content_type, bytes)
        .send()
        .await
}

#[actix_web::test]
async fn every_format_downloads_as_an_attachment_with_its_type_and_the_same_bytes_in_both_versions() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let palette = odd_palette(&app, &ann, "Sea \"deep\" / é").await;
    let id = id_of(&palette);
    for (format, media_type) in FORMATS {
        let v1 = export(&app, &ann, id, format).await;
        assert_eq!(v1.status, 200, "{format}: {}", v1.text);
        assert_eq!(v1.header("content-type"), Some(media_type), "{format}");
        let extension = format;
        assert_eq!(
            v1.header("content-disposition"),
            Some(
                format!("attachment; filename=\"Sea _deep_ _ _.{extension}\"; filename*=UTF-8''Sea%20%22deep%22%20_%20%C3%A9.{extension}")
                    .as_str()
            ),
            "{format}"
        );
        let v2 = app
            .get(&format!("/api/palettes/{id}/export/{format}/"))
            .v2()
            .auth(&ann)
            .send()
            .await;
        assert_eq!(v2.status, 200, "{format}");
        assert_eq!(v1.bytes, v2.bytes, "{format}: the same bytes in both versions");
        assert!(!v1.bytes.is_empty());
    }
    // The seed's spelling and a media type Accept header work too.
    let css = app
        .get(&format!("/api/palletes/{id}/export/css"))
        .accept("text/css")
        .auth(&ann)
        .send()
        .await;
    assert_eq!(css.status, 200);
    assert!(
        css.text.starts_with("/* Palette: \"Sea \\\"deep\\\" \\/ é\" */"),
        "{}",
        css.text
    );
}

#[actix_web::test]
async fn a_matching_if_none_match_is_a_304_until_the_palette_changes() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let id = id_of(&odd_palette(&app, &ann, "Sea").await);
    let first = export(&app, &ann, id, "gpl").await;
    let etag = first.header("etag").expect("an ETag").to_owned();
    let again = app
        .get(&format!("/api/palettes/{id}/export/gpl"))
        .auth(&ann)
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert!(again.bytes.is_empty());
    // Another format of the same revision has another tag.
    let svg = export(&app, &ann, id, "svg").await;
    assert_ne!(svg.header("etag"), Some(etag.as_str()));
    let renamed = app
        .patch(&format!("/api/palettes/{id}/"))
        .v2()
        .auth(&ann)
        .json(&json!({"name": "Ocean"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200);
    let after = app
        .get(&format!("/api/palettes/{id}/export/gpl"))
        .auth(&ann)
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(after.status, 200);
    assert!(after.text.contains("Name: Ocean"));
}

#[actix_web::test]
async fn an_unknown_format_is_a_404_naming_the_formats_that_exist() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let id = id_of(&odd_palette(&app, &ann, "Sea").await);
    let response = app
        .get(&format!("/api/palettes/{id}/export/pdf"))
        .v2()
        .auth(&ann)
        .send()
        .await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json["detail"],
        "Unknown format \"pdf\": use one of css, tokens.json, gpl, ase, svg."
    );
}

#[actix_web::test]
async fn non_members_get_404_for_every_file_route_and_cannot_import_into_the_team() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let id = id_of(&odd_palette(&app, &ann, "Sea").await);
    for (format, _) in FORMATS {
        let response = export(&app, &bob, id, format).await;
        response.assert_not_found(false, format);
    }
    let response = app
        .get(&format!("/api/palettes/{id}/contrast/"))
        .v2()
        .auth(&bob)
        .send()
        .await;
    response.assert_not_found(true, "contrast");
    let missing = export(&app, &bob, id + 1000, "css").await;
    missing.assert_not_found(false, "a palette that does not exist");
    let before = palette_count(&app).await;
    let gpl = b"GIMP Palette\nName: Intruder\n0 0 0\n".to_vec();
    let refused = import(
        &app,
        &bob,
        &format!("team_id={}&format=gpl", ann.personal_team_id),
        "application/x-gimp-palette",
        gpl,
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.json["errors"]["team_id"].is_array(), "{}", refused.text);
    assert_eq!(palette_count(&app).await, before);
}

#[actix_web::test]
async fn every_format_exported_imports_back_to_the_same_palette() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let original = odd_palette(&app, &ann, "Sea 🎨 \"quoted\"").await;
    let id = id_of(&original);
    let team = team_with(&app, "Studio", &[&ann]).await;
    for (format, media_type) in FORMATS.into_iter().filter(|(f, _)| *f != "svg") {
        let file = export(&app, &ann, id, format).await;
        let imported = import(
            &app,
            &ann,
            &format!("team_id={team}&format={format}"),
            media_type,
            file.bytes,
        )
        .await;
        assert_eq!(imported.status, 201, "{format}: {}", imported.text);
        assert_eq!(imported.json["name"], original["name"], "{format}");
        assert_eq!(imported.json["team"]["id"], team);
        let mut expected = original["colors"].clone();
        if matches!(format, "gpl" | "ase") {
            // The format has no alpha.
            expected[1]["hex"] = json!("#aabbcc");
        }
        assert_eq!(imported.json["colors"], expected, "{format}");
        let location = imported.header("location").expect("Location");
        assert_eq!(location, format!("/api/palettes/{}/", id_of(&imported.json)));
        // Each import is a new palette of that name: remove it for the next format.
        let deleted = app.delete(location).auth(&ann).send().await;
        assert_eq!(deleted.status, 204);
    }
}

#[actix_web::test]
async fn the_name_comes_from_the_query_or_the_file_and_a_file_without_one_needs_the_query() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let team = ann.personal_team_id;
    let css = b":root { --brand-blue: #00f; }".to_vec();
    let unnamed = import(
        &app,
        &ann,
        &format!("team_id={team}&format=css"),
        "text/css",
        css.clone(),
    )
    .await;
    assert_eq!(unnamed.status, 400);
    assert!(unnamed.json["errors"]["name"][0]
        .as_str()
        .is_some_and(|m| m.contains("?name=")));
    let named = import(
        &app,
        &ann,
        &format!("team_id={team}&format=css&name=%20Brand%20"),
        "text/css",
        css,
    )
    .await;
    assert_eq!(named.status, 201, "{}", named.text);
    assert_eq!(named.json["name"], "Brand");
    assert_eq!(named.json["colors"], json!([{"hex": "#0000ff", "name": "brand-blue"}]));
    let tokens =
        json!({"Brand": {"$description": "From the build", "primary": {"$type": "color", "$value": "#ff0000"}}});
    let from_file = import(
        &app,
        &ann,
        &format!("team_id={team}&format=tokens.json"),
        "application/design-tokens+json",
        tokens.to_string().into_bytes(),
    )
    .await;
    assert_eq!(from_file.status, 409, "the name Brand is taken: {}", from_file.text);
    let renamed = import(
        &app,
        &ann,
        &format!("team_id={team}&format=tokens.json&name=Brand%202"),
        "application/json",
        tokens.to_string().into_bytes(),
    )
    .await;
    assert_eq!(renamed.status, 201, "{}", renamed.text);
    assert_eq!(renamed.json["description"], "From the build");
    assert_eq!(
        row(&app, id_of(&renamed.json)).await.map(|p| p.colors),
        Some(vec!["#ff0000".to_owned()])
    );
}

#[actix_web::test]
async fn a_malformed_file_of_each_format_is_a_400_saying_where_and_creates_nothing() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let team = ann.personal_team_id;
    let cases: [(&str, &[u8], &str); 4] = [
        ("css", b"/* Palette: \"x\" */\n:root {\n  --a: #12345;\n}", "Line 3"),
        (
            "tokens.json",
            b"{\"p\": {\"a\": {\"$type\": \"color\", \"$value\": \"red\"}}}",
            "Token \"p.a\"",
        ),
        ("gpl", b"GIMP Palette\nName: p\n1 2 300\n", "Line 3"),
        (
            "ase",
            b"ASEF\x00\x01\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\xff",
            "Block 1",
        ),
    ];
    let before = palette_count(&app).await;
    for (format, bytes, location) in cases {
        let response = import(
            &app,
            &ann,
            &format!("team_id={team}&format={format}"),
            "application/octet-stream",
            bytes.to_vec(),
        )
        .await;
        assert_eq!(response.status, 400, "{format}: {}", response.text);
        let message = response.json["errors"]["file"][0].as_str().unwrap_or_default();
        assert!(message.starts_with(location), "{format}: {message}");
    }
    let too_many: String = (0..257).map(|i| format!("{} 0 0 c{i}\n", i % 256)).collect();
    let response = import(
        &app,
        &ann,
        &format!("team_id={team}&format=gpl&name=Big"),
        "text/plain",
        format!("GIMP Palette\n{too_many}").into_bytes(),
    )
    .await;
    assert_eq!(response.status, 400);
    assert!(response.json["errors"]["colors"].is_array(), "{}", response.text);
    assert_eq!(palette_count(&app).await, before);
}

#[actix_web::test]
async fn a_missing_or_unknown_format_or_team_is_a_400_naming_it_in_the_versions_error_shape() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let gpl = b"GIMP Palette\nName: p\n0 0 0\n".to_vec();
    let cases = [
        ("team_id=1", "format"),
        ("team_id=1&format=svg", "format"),
        ("team_id=1&format=pdf", "format"),
        ("format=gpl", "team_id"),
        ("format=gpl&team_id=abc", "team_id"),
    ];
    for (query, field) in cases {
        let v1 = app
            .post(&format!("/api/palettes/import?{query}"))
            .auth(&ann)
            .body("application/x-gimp-palette", gpl.clone())
            .send()
            .await;
        assert_eq!(v1.status, 400, "{query}");
        assert!(v1.json[field][0].is_string(), "{query}: {}", v1.text);
        let v2 = import(&app, &ann, query, "application/x-gimp-palette", gpl.clone()).await;
        assert_eq!(v2.status, 400);
        assert_eq!(v2.header("content-type"), Some("application/problem+json"));
        assert!(v2.json["errors"][field][0].is_string(), "{query}: {}", v2.text);
    }
    let too_large = import(
        &app,
        &ann,
        &format!("team_id={}&format=gpl&name=Big", ann.personal_team_id),
        "application/x-gimp-palette",
        [b"GIMP Palette\n".as_slice(), &b"0 0 0\n".repeat(12_000)].concat(),
    )
    .await;
    assert_eq!(too_large.status, 413, "{}", too_large.text);
    let wrong_type = import(
        &app,
        &ann,
        &format!("team_id={}&format=gpl", ann.personal_team_id),
        "application/x-www-form-urlencoded",
        gpl,
    )
    .await;
    assert_eq!(wrong_type.status, 415);
    let empty = import(
        &app,
        &ann,
        &format!("team_id={}&format=css&name=Empty", ann.personal_team_id),
        "text/css",
        Vec::new(),
    )
    .await;
    assert_eq!(empty.status, 400, "{}", empty.text);
    assert!(empty.json["errors"]["file"].is_array(), "{}", empty.text);
    // A file without a colour (here JSON's `null` sent as a style sheet) is not a palette's.
    let colourless = import(
        &app,
        &ann,
        &format!("team_id={}&format=css&name=Nothing", ann.personal_team_id),
        "text/css",
        b"null".to_vec(),
    )
    .await;
    assert_eq!(colourless.status, 400, "{}", colourless.text);
    assert!(
        colourless.json["errors"]["file"][0]
            .as_str()
            .is_some_and(|m| m.contains("no colours")),
        "{}",
        colourless.text
    );
    let trace = app
        .request(actix_web::http::Method::TRACE, "/api/palettes/import")
        .auth(&ann)
        .body("application/design-tokens+json", b"\"\"".to_vec())
        .send()
        .await;
    assert_eq!(trace.status, 405, "a method the path does not take, whatever the body");
    let no_auth = app.post("/api/palettes/import?format=gpl&team_id=1").send().await;
    assert_eq!(no_auth.status, 401);
    let get = app.get("/api/palettes/import/").auth(&ann).send().await;
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST, OPTIONS"));
}

#[actix_web::test]
async fn an_import_reaches_live_streams_as_palette_created() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let mut stream = app.get("/api/events/").auth(&ann).stream().await;
    assert_eq!(stream.status, 200);
    // `retry:` comes first, then `ready`.
    let mut opening = stream.next_event(Duration::from_secs(5)).await.expect("the opening");
    if opening.event.is_none() {
        opening = stream.next_event(Duration::from_secs(5)).await.expect("ready");
    }
    assert_eq!(opening.event.as_deref(), Some("ready"));
    let imported = import(
        &app,
        &ann,
        &format!("team_id={}&format=gpl", ann.personal_team_id),
        "application/x-gimp-palette",
        b"GIMP Palette\nName: Live\n1 2 3 one\n".to_vec(),
    )
    .await;
    assert_eq!(imported.status, 201);
    let event = stream.next_event(Duration::from_secs(5)).await.expect("an event");
    assert_eq!(event.event.as_deref(), Some("palette.created"));
    assert_eq!(event.json()["palette"]["id"], imported.json["id"]);
    assert_eq!(
        event.json()["palette"]["colors"],
        json!([{"hex": "#010203", "name": "one"}])
    );
}

#[actix_web::test]
async fn contrast_rates_every_ordered_pair_against_wcag() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let palette = create(
        &app,
        &ann,
        ann.personal_team_id,
        "Ink",
        json!(["#000", "#fff", "#777777"]),
    )
    .await;
    let response = app
        .get(&format!("/api/palettes/{}/contrast", id_of(&palette)))
        .v2()
        .auth(&ann)
        .send()
        .await;
    assert_eq!(response.status, 200);
    let pairs = response.json["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 6);
    assert_eq!(
        pairs[0],
        json!({"foreground": {"index": 0, "hex": "#000000"}, "background": {"index": 1, "hex": "#ffffff"},
               "ratio": 21.0, "aa_normal": true, "aa_large": true, "aaa_normal": true, "aaa_large": true})
    );
    let grey_on_white = pairs
        .iter()
        .find(|p| p["foreground"]["index"] == 2 && p["background"]["index"] == 1)
        .expect("grey on white");
    assert_eq!(grey_on_white["ratio"], 4.48);
    assert_eq!(grey_on_white["aa_normal"], false);
    assert_eq!(grey_on_white["aa_large"], true);
    let v1 = app
        .get(&format!("/api/palettes/{}/contrast/", id_of(&palette)))
        .auth(&ann)
        .send()
        .await;
    assert_eq!(v1.json, response.json);
}
