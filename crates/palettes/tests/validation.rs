//! What palette writes accept and refuse: colour forms, colour counts, names.

mod common;

use common::{create, id_of, palette_count, row};
use serde_json::{json, Value};
use test_support::spawn_app;

#[actix_web::test]
async fn every_accepted_colour_form_is_stored_canonical() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let forms = [
        ("#abc", "#aabbcc"),
        ("ABC", "#aabbcc"),
        ("#AbCd", "#aabbccdd"),
        ("abcf", "#aabbcc"),
        ("#12AB9f", "#12ab9f"),
        ("12ab9f", "#12ab9f"),
        ("ff000080", "#ff000080"),
        ("#FF0000FF", "#ff0000"),
        ("#FF000000", "#ff000000"),
    ];
    let inputs: Vec<&str> = forms.iter().map(|(input, _)| *input).collect();
    let stored: Vec<String> = forms.iter().map(|(_, canonical)| (*canonical).to_owned()).collect();

    let v1 = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "One", "owner_id": ada.personal_team_id, "colors": inputs}))
        .send()
        .await;
    assert_eq!(v1.status, 201, "{}", v1.text);
    assert_eq!(v1.json["colors"], json!(stored));
    let v1_row = row(&app, id_of(&v1.json)).await.expect("the row");
    assert_eq!(v1_row.colors, stored, "the database holds the canonical form");
    assert_eq!(v1_row.color_names, vec![None; forms.len()]);

    let v2 = create(&app, &ada, ada.personal_team_id, "Two", json!(inputs)).await;
    let hexes: Vec<Value> = v2["colors"]
        .as_array()
        .map(|colors| colors.iter().map(|c| c["hex"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        hexes,
        stored.iter().map(|s| json!(s)).collect::<Vec<_>>(),
        "order is kept"
    );
    assert_eq!(row(&app, id_of(&v2)).await.expect("the row").colors, stored);

    // Objects in 2.0 take the same forms.
    let objects: Vec<Value> = inputs.iter().map(|hex| json!({"hex": hex, "name": "c"})).collect();
    let v2_objects = create(&app, &ada, ada.personal_team_id, "Three", json!(objects)).await;
    assert_eq!(row(&app, id_of(&v2_objects)).await.expect("the row").colors, stored);
}

#[actix_web::test]
async fn refused_colours_are_named_by_position_and_nothing_is_stored() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let colors = json!(["#abc", "#12", "#ggg", "12345", "", 5, null, true, ["#abc"], {"hex": "#abc"}, " #abc"]);

    let v1 = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "Sea", "owner_id": ada.personal_team_id, "colors": colors}))
        .send()
        .await;
    assert_eq!(v1.status, 400, "{}", v1.text);
    let items = v1.json["colors"].as_object().cloned().unwrap_or_default();
    let positions: Vec<&str> = items.keys().map(String::as_str).collect();
    assert_eq!(positions, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    assert_eq!(
        v1.json["colors"]["1"],
        json!([
            "\"#12\" is not a valid colour: use #rgb, #rgba, #rrggbb or #rrggbbaa in hexadecimal (the # is optional)."
        ])
    );
    assert_eq!(v1.json["colors"]["5"], json!(["Not a valid string."]));
    assert_eq!(v1.json["colors"]["6"], json!(["This field may not be null."]));
    assert_eq!(
        v1.json["colors"]["9"],
        json!(["Not a valid string."]),
        "1.0 takes hex strings only"
    );

    let v2 = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Sea", "team_id": ada.personal_team_id, "colors": colors}))
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
    let errors = v2.json["errors"].as_object().cloned().unwrap_or_default();
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "colors.1",
            "colors.2",
            "colors.3",
            "colors.4",
            "colors.5",
            "colors.6",
            "colors.7",
            "colors.8",
            "colors.10"
        ],
        "2.0 takes objects too"
    );

    let bad_objects = json!([{"hex": "#12"}, {"name": "no hex"}, {"hex": "#abc", "name": 3}, {"hex": null}]);
    let v2 = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Sea", "team_id": ada.personal_team_id, "colors": bad_objects}))
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert_eq!(
        v2.json["errors"],
        json!({
            "colors.0": ["hex: \"#12\" is not a valid colour: use #rgb, #rgba, #rrggbb or #rrggbbaa in hexadecimal (the # is optional)."],
            "colors.1": ["hex: This field is required."],
            "colors.2": ["name: Not a valid string."],
            "colors.3": ["hex: This field may not be null."],
        })
    );

    for not_a_list in [json!("#abc"), json!(null), json!({"0": "#abc"})] {
        let response = app
            .post("/api/palettes")
            .auth(&ada)
            .json(&json!({"name": "Sea", "owner_id": ada.personal_team_id, "colors": not_a_list}))
            .send()
            .await;
        assert_eq!(response.status, 400, "{not_a_list}");
        assert!(response.json["colors"][0].is_string(), "{}", response.text);
    }
    assert_eq!(palette_count(&app).await, 0);
}

#[actix_web::test]
async fn at_most_256_colours() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let too_many = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"name": "Big", "owner_id": ada.personal_team_id, "colors": vec!["#abc"; 257]}))
        .send()
        .await;
    assert_eq!(too_many.status, 400);
    assert_eq!(
        too_many.json,
        json!({"colors": ["Ensure this field has no more than 256 elements."]})
    );
    assert_eq!(palette_count(&app).await, 0);
    let most = create(&app, &ada, ada.personal_team_id, "Big", json!(vec!["#abc"; 256])).await;
    assert_eq!(most["colors"].as_array().map(Vec::len), Some(256));
    let none = create(&app, &ada, ada.personal_team_id, "Empty", json!([])).await;
    assert_eq!(none["colors"], json!([]));
}

#[actix_web::test]
async fn names_are_trimmed_and_1_to_255_characters() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let post = |name: Value| {
        app.post("/api/palettes")
            .auth(&ada)
            .json(&json!({"name": name, "owner_id": team, "colors": []}))
            .send()
    };
    let cases = [
        (
            json!("x".repeat(256)),
            json!(["Ensure this field has no more than 255 characters."]),
        ),
        (json!("   "), json!(["This field may not be blank."])),
        (json!(""), json!(["This field may not be blank."])),
        (json!(null), json!(["This field may not be null."])),
        (json!(12), json!(["Not a valid string."])),
        (json!("a\u{0}b"), json!(["Null characters are not allowed."])),
    ];
    for (name, message) in cases {
        let response = post(name.clone()).await;
        assert_eq!(response.status, 400, "{name}");
        assert_eq!(response.json, json!({"name": message}), "{name}");
    }
    let missing = app
        .post("/api/palettes")
        .auth(&ada)
        .json(&json!({"colors": []}))
        .send()
        .await;
    assert_eq!(
        missing.json,
        json!({"name": ["This field is required."], "owner_id": ["This field is required."]})
    );
    assert_eq!(palette_count(&app).await, 0);

    // 255 characters (not bytes) after trimming is the most.
    let longest = format!("  {}  ", "é".repeat(255));
    let response = post(json!(longest)).await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.json["name"], "é".repeat(255));
}

#[actix_web::test]
async fn bodies_that_are_not_objects_or_have_bad_fields_are_400() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let list = app.post("/api/palettes").auth(&ada).json(&json!(["Sea"])).send().await;
    assert_eq!(list.status, 400);
    assert_eq!(
        list.json,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    let bad = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Sea", "team_id": "seven", "description": 5}))
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json["errors"],
        json!({"description": ["Not a valid string."], "team_id": ["A valid integer is required."]})
    );
    let long = app
        .post("/api/palettes")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "Sea", "team_id": ada.personal_team_id, "description": "x".repeat(2001)}))
        .send()
        .await;
    assert_eq!(long.status, 400);
    assert!(long.json["errors"]["description"].is_array());
    let malformed = app
        .post("/api/palettes")
        .auth(&ada)
        .body("application/json", b"{\"name\": ".to_vec())
        .send()
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(palette_count(&app).await, 0);
}

#[actix_web::test]
async fn a_zero_negative_or_overflowing_owner_id_is_answered_as_the_seed_did() {
    let app = test_support::spawn_app().await;
    let ann = app.user("ann").await;
    for (owner_id, message) in [
        (serde_json::json!(0), "Invalid pk \"0\" - object does not exist."),
        (serde_json::json!(-1), "Invalid pk \"-1\" - object does not exist."),
        (serde_json::json!(1e30), "A valid integer is required."),
        (
            serde_json::json!("99999999999999999999"),
            "A valid integer is required.",
        ),
    ] {
        let response = app
            .post("/api/palettes/")
            .auth(&ann)
            .json(&serde_json::json!({"name": "Sea", "owner_id": owner_id, "colors": []}))
            .send()
            .await;
        assert_eq!(response.status, 400, "{owner_id}");
        assert_eq!(response.json, serde_json::json!({"owner_id": [message]}), "{owner_id}");
    }
}
