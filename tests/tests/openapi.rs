//! The OpenAPI document describes what the server does: every error status with the error
//! body, the one public operation, unique operation ids, path parameters that are in the path
//! and query parameters that are in the query, and the rules request fields are checked by.
//! Then the wording of errors a first user meets: sign-in, duplicate slugs, control characters,
//! and the session list's paging. (The schema fuzzer in `.ci/run` checks the document against
//! the server request by request.)

use curbside_tests::{on_both_backends, Backend, TestApp, ADMIN_EMAIL};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling {r}")),
        None => schema,
    }
}

/// Every (schema name, property, property schema) reachable from request bodies.
fn request_properties(doc: &Value) -> Vec<(String, String, Value)> {
    fn walk(
        doc: &Value,
        name: &str,
        schema: &Value,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, String, Value)>,
    ) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let target = r.rsplit('/').next().unwrap_or_default().to_owned();
            if seen.insert(target.clone()) {
                walk(doc, &target, resolve(doc, schema), seen, out);
            }
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (p, s) in props {
                out.push((name.to_owned(), p.clone(), s.clone()));
                walk(doc, name, s, seen, out);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                walk(doc, name, part, seen, out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(doc, name, items, seen, out);
        }
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (_, _, op) in operations(doc) {
        if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
            walk(doc, "request", schema, &mut seen, &mut out);
        }
    }
    out
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// String fields the server takes as any string (the body limit bounds them): sign-in
/// credentials (a wrong one is a 401, never a 422) and write-only platform secrets.
const ANY_STRING: &[(&str, &str)] = &[
    ("LoginRequest", "email"),
    ("LoginRequest", "password"),
    ("CreateUser", "password"),
    // Checked against the stored hash, whatever it is.
    ("ChangePassword", "current_password"),
    ("SourceInput", "access_token"),
    ("SourceToken", "access_token"),
];

async fn the_document_keeps_its_invariants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(
        doc["components"]["schemas"]["ErrorBody"]["properties"]["message"].is_object(),
        "the error body is a component"
    );
    assert!(doc["security"].as_array().is_some_and(|s| !s.is_empty()), "signed-in by default");
    let ops = operations(&doc);
    assert!(ops.len() >= 39, "only {} operations", ops.len());
    let mut ids = BTreeSet::new();
    for (method, path, op) in &ops {
        let name = format!("{} {path}", method.to_uppercase());
        // Every error status the API can answer, with the error body.
        for status in curbside_server::openapi::ERROR_STATUSES.map(|(s, _)| s.to_string()) {
            let schema = op.pointer(&format!("/responses/{status}/content/application~1json/schema/$ref"));
            assert_eq!(
                schema.and_then(Value::as_str),
                Some("#/components/schemas/ErrorBody"),
                "{name} does not document {status} with the error body"
            );
        }
        // Unique operation ids.
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{name} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice ({name})");
        // Public only where listed.
        let public = curbside_server::openapi::PUBLIC_OPERATIONS.contains(&(method.as_str(), path.as_str()));
        assert_eq!(op.get("security") == Some(&json!([])), public, "{name}: public = {public}");
        // Path parameters are exactly the template's; everything else is in the query.
        let template: BTreeSet<String> =
            path.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(p, _)| p.to_owned())).collect();
        let mut declared = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let pname = p["name"].as_str().unwrap_or_default().to_owned();
            match p["in"].as_str() {
                Some("path") => {
                    assert!(
                        template.contains(&pname),
                        "{name}: `{pname}` is a path parameter not in the path"
                    );
                    assert_eq!(p["required"], true, "{name}: path parameter `{pname}` must be required");
                    declared.insert(pname);
                }
                Some("query") => assert!(!template.contains(&pname), "{name}: `{pname}` is in both"),
                other => panic!("{name}: parameter `{pname}` in {other:?}"),
            }
        }
        assert_eq!(declared, template, "{name}: path parameters");
    }
    // The public sign-in, and the questions' `state` filter as a query parameter with its values.
    let login = &doc["paths"]["/api/login"]["post"];
    assert_eq!(login["security"], json!([]));
    let list = &doc["paths"]["/api/sessions/{id}/questions"]["get"]["parameters"];
    let state = list.as_array().into_iter().flatten().find(|p| p["name"] == "state").expect("state");
    assert_eq!(state["in"], "query");
    assert!(state["schema"]["enum"].as_array().is_some_and(|v| v.contains(&json!("active"))), "{state}");
    // Every string a request sends is bounded or enumerated, unless the server takes any string.
    let props = request_properties(&doc);
    assert!(props.len() > 30, "{props:?}");
    for (schema, property, s) in &props {
        if !is_string(s) || ANY_STRING.contains(&(schema.as_str(), property.as_str())) {
            continue;
        }
        assert!(
            s.get("maxLength").is_some() || s.get("enum").is_some() || s.get("format").is_some(),
            "{schema}.{property} is a string with no maxLength, enum or format: {s}"
        );
    }
    // The text rules are the domain's.
    let title = &doc["components"]["schemas"]["CreateSession"]["properties"]["title"];
    assert_eq!(title["maxLength"], 200);
    assert_eq!(title["minLength"], 1);
    assert_eq!(title["pattern"], curbside_domain::NON_SPACE);
    assert_eq!(title["not"]["pattern"], curbside_domain::TextLimit::TITLE.refused_pattern());
    app.finish().await;
}

async fn errors_a_first_user_meets_say_what_is_wrong(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (status, body) = app
        .call("POST", "/api/login", None, Some(json!({"email": ADMIN_EMAIL, "password": "not the password"})))
        .await;
    assert_eq!((status, body["message"].clone()), (401, json!("wrong email or password")));
    let (status, body) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "nobody@x.test", "password": "whatever it is"})),
        )
        .await;
    assert_eq!((status, body["message"].clone()), (401, json!("wrong email or password")));
    let (status, body) = app.call("GET", "/api/me", None, None).await;
    assert_eq!((status, body["message"].clone()), (401, json!("sign in first")));

    let create = |body: Value| app.call("POST", "/api/sessions", Some(&admin), Some(body));
    let (status, _) = create(json!({"title": "First", "slug": "dup-slug"})).await;
    assert_eq!(status, 201);
    let (status, body) = create(json!({"title": "Second", "slug": "dup-slug"})).await;
    assert_eq!((status, body["message"].clone()), (409, json!("the slug \"dup-slug\" is already in use")));

    let (status, body) = create(json!({"title": "Heart\u{0} health"})).await;
    assert_eq!(
        (status, body["message"].clone()),
        (422, json!("`title` contains the control character U+0000; remove it (only plain text is allowed)"))
    );
    let (status, _) = create(json!({"title": "Two\nlines"})).await;
    assert_eq!(status, 422, "a title is one line");
    let user = |name: &str| json!({"email": "x@curbside.test", "name": name, "role": "moderator", "password": "long enough password"});
    let (status, body) =
        app.call("POST", "/api/users", Some(&admin), Some(user("Dana\u{1b}[31m Reyes"))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("`name` contains the control character U+001B"));
    app.finish().await;
}

async fn the_session_list_pages_with_limit_and_cursor(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    for n in 1..=5 {
        app.create_session(&format!("Session {n}")).await;
    }
    let mut titles = Vec::new();
    let mut path = "/api/sessions?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (status, body) = app.call("GET", &path, Some(&admin), None).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        let page = body["sessions"].as_array().expect("sessions");
        assert!(page.len() <= 2);
        titles.extend(page.iter().map(|s| s["title"].as_str().unwrap_or_default().to_owned()));
        match body["next_cursor"].as_i64() {
            Some(cursor) => path = format!("/api/sessions?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        titles,
        ["Session 5", "Session 4", "Session 3", "Session 2", "Session 1"],
        "newest first, once each"
    );
    let (status, body) = app.call("GET", "/api/sessions", Some(&admin), None).await;
    assert_eq!((status, body["sessions"].as_array().map(Vec::len)), (200, Some(5)));
    assert!(body.get("next_cursor").is_none(), "{body}");
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=x"] {
        let (status, body) = app.call("GET", &format!("/api/sessions?{bad}"), Some(&admin), None).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    app.finish().await;
}

on_both_backends!(
    the_document_keeps_its_invariants,
    errors_a_first_user_meets_say_what_is_wrong,
    the_session_list_pages_with_limit_and_cursor,
);
