//! The palette list: only my teams' palettes, filters, orderings, invalid
//! parameters, and keyset pages that lose and repeat nothing.

mod common;

use std::collections::HashSet;

use common::{create, id_of, team_with};
use serde_json::{json, Value};
use test_support::{spawn_app, TestApp, TestUser};

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn list_v2(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let response = app.get(&format!("/api/palettes/?{query}")).v2().auth(user).send().await;
    assert_eq!(response.status, 200, "{query}: {}", response.text);
    assert_eq!(
        response.json.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["items".to_owned(), "next_cursor".to_owned()])
    );
    response.json
}

#[actix_web::test]
async fn filters_select_by_team_name_and_colour() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let studio = team_with(&app, "Studio", &[&ada]).await;
    let mine = ada.personal_team_id;
    create(&app, &ada, mine, "Deep Sea", json!(["#000080", "#fff"])).await;
    create(&app, &ada, mine, "50% off", json!(["#FF0000"])).await;
    create(&app, &ada, mine, "500 off", json!(["#ff000080"])).await;
    create(&app, &ada, studio, "sea_side", json!(["#f00"])).await;
    create(&app, &ada, studio, "Seaside", json!([])).await;
    create(&app, &eve, eve.personal_team_id, "Sea of Eve", json!(["#f00"])).await;

    let all = list_v2(&app, &ada, "").await;
    assert_eq!(
        names(&all["items"]),
        ["Deep Sea", "50% off", "500 off", "sea_side", "Seaside"],
        "only my teams' palettes, by id by default"
    );
    assert_eq!(
        names(&list_v2(&app, &ada, &format!("team={studio}")).await["items"]),
        ["sea_side", "Seaside"]
    );
    assert_eq!(
        list_v2(&app, &ada, &format!("team={}", eve.personal_team_id)).await["items"],
        json!([]),
        "a team I am not in gives an empty list"
    );
    assert_eq!(
        names(&list_v2(&app, &ada, "search=SEA").await["items"]),
        ["Deep Sea", "sea_side", "Seaside"]
    );
    // LIKE wildcards in the search text match literally.
    assert_eq!(names(&list_v2(&app, &ada, "search=0%25").await["items"]), ["50% off"]);
    assert_eq!(names(&list_v2(&app, &ada, "search=a_s").await["items"]), ["sea_side"]);
    assert_eq!(names(&list_v2(&app, &ada, "search=").await["items"]).len(), 5);
    // The colour is normalised first: `F00` is `#ff0000`, not `#ff000080`.
    assert_eq!(
        names(&list_v2(&app, &ada, "color=F00").await["items"]),
        ["50% off", "sea_side"]
    );
    assert_eq!(
        names(&list_v2(&app, &ada, "color=%23ff000080").await["items"]),
        ["500 off"]
    );
    assert_eq!(
        names(&list_v2(&app, &ada, &format!("color=f00&team={studio}&search=side")).await["items"]),
        ["sea_side"],
        "filters combine"
    );

    // 1.0 takes the same filters and answers a bare array.
    let v1 = app.get("/api/palettes?search=sea&color=000080").auth(&ada).send().await;
    assert_eq!(v1.status, 200);
    assert_eq!(names(&v1.json), ["Deep Sea"]);
    assert_eq!(v1.json[0]["owner"]["users"], json!([{"id": ada.id, "username": "ada"}]));
}

#[actix_web::test]
async fn each_ordering_sorts_ascending_and_descending() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let mut ids = Vec::new();
    for name in ["banana", "Cherry", "apple"] {
        ids.push(id_of(&create(&app, &ada, team, name, json!([])).await));
    }
    // Touch the first one so it is the most recently written.
    let touched = app
        .patch(&format!("/api/palettes/{}", ids[0]))
        .v2()
        .auth(&ada)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(touched.status, 200);

    let expectations = [
        ("", ["banana", "Cherry", "apple"]),
        ("ordering=name", ["apple", "banana", "Cherry"]),
        ("ordering=-name", ["Cherry", "banana", "apple"]),
        ("ordering=created_at", ["banana", "Cherry", "apple"]),
        ("ordering=-created_at", ["apple", "Cherry", "banana"]),
        ("ordering=updated_at", ["Cherry", "apple", "banana"]),
        ("ordering=-updated_at", ["banana", "apple", "Cherry"]),
    ];
    for (query, expected) in expectations {
        assert_eq!(names(&list_v2(&app, &ada, query).await["items"]), expected, "{query}");
        let v1 = app.get(&format!("/api/palettes?{query}")).auth(&ada).send().await;
        assert_eq!(names(&v1.json), expected, "1.0 {query}");
    }
}

#[actix_web::test]
async fn invalid_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for _ in 0..3 {
        create(
            &app,
            &ada,
            ada.personal_team_id,
            &format!("p{}", rand_name()),
            json!([]),
        )
        .await;
    }
    let by_name = list_v2(&app, &ada, "ordering=name&limit=1").await;
    let name_cursor = by_name["next_cursor"].as_str().expect("a next page").to_owned();

    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("ordering=colour", "ordering"),
        ("ordering=id", "ordering"),
        ("ordering=%2Bname", "ordering"),
        ("color=%2312", "color"),
        ("color=red", "color"),
        ("team=studio", "team"),
        ("cursor=bogus", "cursor"),
        ("cursor=W10", "cursor"),
        ("search=a%00b", "search"),
    ];
    let other_ordering = format!("ordering=-name&cursor={name_cursor}");
    let default_ordering = format!("cursor={name_cursor}");
    let cases = cases
        .iter()
        .map(|(q, f)| ((*q).to_owned(), *f))
        .chain([(other_ordering, "cursor"), (default_ordering, "cursor")]);
    for (query, field) in cases {
        let v1 = app.get(&format!("/api/palettes?{query}")).auth(&ada).send().await;
        assert_eq!(v1.status, 400, "{query}: {}", v1.text);
        assert!(v1.json[field].is_array(), "{query}: {}", v1.text);
        let v2 = app.get(&format!("/api/palettes?{query}")).v2().auth(&ada).send().await;
        assert_eq!(v2.status, 400, "{query}");
        assert_eq!(v2.header("content-type"), Some("application/problem+json"));
        assert!(v2.json["errors"][field].is_array(), "{query}: {}", v2.text);
    }
    // Limits at the bounds are fine; unknown parameters are ignored.
    assert_eq!(
        list_v2(&app, &ada, "limit=1000&format=json").await["items"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(
        list_v2(&app, &ada, "limit=1").await["items"].as_array().map(Vec::len),
        Some(1)
    );
}

#[actix_web::test]
async fn empty_team_color_or_ordering_is_400_naming_the_parameter() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    create(&app, &ada, ada.personal_team_id, "Sea", json!(["#000"])).await;
    for (query, field) in [
        ("ordering=", "ordering"),
        ("color=", "color"),
        ("team=", "team"),
        ("team=%20", "team"),
        ("search=sea&ordering=", "ordering"),
    ] {
        let v1 = app.get(&format!("/api/palettes/?{query}")).auth(&ada).send().await;
        assert_eq!(v1.status, 400, "{query}: {}", v1.text);
        assert!(v1.json[field].is_array(), "{query}: {}", v1.text);
        let v2 = app.get(&format!("/api/palettes/?{query}")).v2().auth(&ada).send().await;
        assert_eq!(v2.status, 400, "{query}: {}", v2.text);
        assert_eq!(v2.header("content-type"), Some("application/problem+json"));
        assert!(v2.json["errors"][field].is_array(), "{query}: {}", v2.text);
    }
    // An empty search is no filter, as documented.
    assert_eq!(names(&list_v2(&app, &ada, "search=").await["items"]), ["Sea"]);
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Walks every page of `ordering` (the default when empty), two items a page, creating a palette
/// between requests; returns the ids seen, in order.
async fn walk_v2(app: &TestApp, user: &TestUser, team: i64, ordering: &str, created: &mut usize) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        // The default order is asked for by leaving `ordering` out.
        let mut query = if ordering.is_empty() {
            "limit=2".to_owned()
        } else {
            format!("ordering={ordering}&limit=2")
        };
        if let Some(cursor) = &cursor {
            query.push_str(&format!("&cursor={cursor}"));
        }
        let page = list_v2(app, user, &query).await;
        seen.extend(page["items"].as_array().into_iter().flatten().map(id_of));
        // While the walk lasts, newcomers sort first, last and in between.
        if seen.len() <= 12 {
            *created += 1;
            let prefix = ["0", "m", "zz"][*created % 3];
            create(app, user, team, &format!("{prefix} new {created}"), json!([])).await;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
        assert!(seen.len() < 500, "pagination does not end");
    }
}

#[actix_web::test]
async fn pages_lose_and_repeat_nothing_while_palettes_are_created() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let studio = team_with(&app, "Studio", &[&ada]).await;
    let mut originals = HashSet::new();
    // The same names in two teams, differing in case: ties on the name key.
    for name in ["Sea", "lake", "River", "pond", "Bay", "delta", "Fjord"] {
        originals.insert(id_of(&create(&app, &ada, ada.personal_team_id, name, json!([])).await));
        originals.insert(id_of(
            &create(&app, &ada, studio, &name.to_uppercase(), json!([])).await,
        ));
    }
    let mut created = 0;
    for ordering in [
        "",
        "name",
        "-name",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ] {
        let before: HashSet<i64> = list_v2(&app, &ada, "limit=1000").await["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(id_of)
            .collect();
        let seen = walk_v2(&app, &ada, ada.personal_team_id, ordering, &mut created).await;
        let unique: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{ordering}: an item was repeated: {seen:?}");
        assert!(before.is_subset(&unique), "{ordering}: an item was lost");
        assert!(originals.is_subset(&unique));
    }
}

#[actix_web::test]
async fn v1_pages_follow_the_link_header_with_the_filters() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let body = create(&app, &ada, ada.personal_team_id, &format!("Sea {i}"), json!(["#abc"])).await;
        expected.push(id_of(&body));
    }
    create(&app, &ada, ada.personal_team_id, "Lake", json!(["#abc"])).await;
    create(&app, &ada, ada.personal_team_id, "Sea without the colour", json!([])).await;
    expected.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/palletes/?search=sea&color=ABC&ordering=-created_at&limit=2".to_owned();
    loop {
        let page = app.get(&path).auth(&ada).send().await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        let items = page.json.as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(id_of));
        let Some(link) = page.header("link") else {
            break;
        };
        let url = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .expect("a next link");
        for kept in ["search=sea", "color=ABC", "ordering=-created_at", "limit=2", "cursor="] {
            assert!(url.contains(kept), "{url} lacks {kept}");
        }
        path = url
            .strip_prefix(&app.address)
            .expect("an absolute URL to this server")
            .to_owned();
    }
    assert_eq!(seen, expected);
}

/// A cursor the server issued, with its keys edited (its signature kept),
/// is a cursor the server did not issue: 400 naming `cursor`.
#[actix_web::test]
async fn an_edited_cursor_is_400_naming_the_cursor() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let app = test_support::spawn_app().await;
    let ada = app.user("ada").await;
    for name in ["a", "b", "c"] {
        create(&app, &ada, ada.personal_team_id, name, json!([])).await;
    }
    let first = list_v2(&app, &ada, "limit=1").await;
    let token = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (payload, signature) = token.split_once('.').expect("a signed cursor");
    let keys: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json");
    let mut edited = keys.clone();
    edited[1][1] = json!(edited[1][1].as_i64().expect("an id") + 1);
    let edited = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(edited.to_string()));
    for cursor in [edited, payload.to_owned()] {
        let response = app
            .get(&format!("/api/palettes/?limit=1&cursor={cursor}"))
            .v2()
            .auth(&ada)
            .send()
            .await;
        assert_eq!(response.status, 400, "{}", response.text);
        assert!(response.json["errors"]["cursor"].is_array(), "{}", response.text);
    }
    let second = list_v2(&app, &ada, &format!("limit=1&cursor={token}")).await;
    assert_eq!(names(&second["items"]), ["b"], "the issued cursor still works");
}

#[actix_web::test]
async fn a_forged_cursor_with_an_impossible_time_is_400_not_500() {
    use base64::Engine;
    let app = test_support::spawn_app().await;
    let ada = app.user("ada").await;
    let forged =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"["k1",["created_at",-5000000000000000000,1]]"#);
    let response = app
        .get(&format!("/api/palettes/?ordering=created_at&cursor={forged}"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.json["cursor"].is_array(), "{}", response.text);
}

/// With the teams cache off (or its change listener down), lists and reads
/// load the caller's teams from the database and answer exactly the same.
#[actix_web::test]
async fn lists_and_reads_are_the_same_with_the_teams_cache_off() {
    let mut bodies = Vec::new();
    for capacity in [100_000, 0] {
        let app = test_support::spawn_app_with(|settings| settings.team_cache_capacity = capacity).await;
        assert_eq!(app.state.team_cache().is_live(), capacity > 0);
        let ana = app.user("ana").await;
        let ben = app.user("ben").await;
        let team = team_with(&app, "studio", &[&ana, &ben]).await;
        let palette = id_of(&create(&app, &ana, team, "Dawn", json!(["#abc", "#ff000080"])).await);
        create(&app, &ben, ben.personal_team_id, "Mine", json!([])).await;
        let mut seen = Vec::new();
        for accept in [test_support::V1, test_support::V2] {
            for path in ["/api/palettes/".to_owned(), format!("/api/palettes/{palette}/")] {
                let response = app.get(&path).accept(accept).auth(&ben).send().await;
                assert_eq!(response.status, 200, "{path}: {}", response.text);
                let mut body = response.json;
                // Times and ids differ between the two apps' databases.
                strip(&mut body);
                seen.push(body);
            }
        }
        bodies.push(seen);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0][0][0]["owner"]["users"].as_array().map(Vec::len), Some(2));
}

/// Drops the keys whose values depend on the database: ids and times.
fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !matches!(key.as_str(), "id" | "created_at" | "updated_at"));
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}
