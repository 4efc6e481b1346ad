//! Presales with access codes (docs/ARCHITECTURE.md "Presale codes") on both backends:
//! groups and codes managed by an admin (validated, audited), codes redeemed and
//! bound to accounts (single use, multi use, revoked, one group per account, a race
//! for the last use), guessing limited, and a bound account's joins (HTTP, socket,
//! a fan already pre-queued, another replica) in its group's line.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{ms, slow_admission, spawn_app, start, Backend, Options, Shared, TestApp};

crate::both_backends!(
    groups_and_codes_are_managed_listed_and_audited,
    bad_presale_input_is_refused_and_changes_nothing,
    codes_bind_accounts_single_and_multi_use,
    wrong_codes_are_limited_per_account_and_address,
    concurrent_redeems_never_bind_a_use_twice,
    a_crowd_of_right_codes_behind_one_address_is_never_refused,
    a_redeemed_code_moves_the_fans_joins_into_its_groups_line,
    a_groups_draw_is_published_at_its_opening,
);

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// An event opening in an hour: (id, starts_at in ms).
async fn event(app: &TestApp) -> (String, i64) {
    let id = app.create_event(3_600_000, slow_admission()).await;
    let (status, body) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (id, ms(&body["starts_at"]))
}

async fn send(
    app: &TestApp,
    req: reqwest::RequestBuilder,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    let _ = app;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

async fn add_group(
    app: &TestApp,
    event: &str,
    name: &str,
    opens_at_ms: i64,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/admin/events/{event}/presale/groups"),
        Some(&app.admin_token),
        &json!({"name": name, "opens_at": rfc3339(opens_at_ms)}),
    )
    .await
}

async fn group(app: &TestApp, event: &str, name: &str, opens_at_ms: i64) -> String {
    let (status, body) = add_group(app, event, name, opens_at_ms).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn generate(
    app: &TestApp,
    event: &str,
    group: &str,
    count: u32,
    max_uses: u32,
) -> Vec<String> {
    let (status, body) = app
        .post(
            &format!("/api/v1/admin/events/{event}/presale/groups/{group}/codes"),
            Some(&app.admin_token),
            &json!({"count": count, "max_uses": max_uses}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

async fn upload(app: &TestApp, event: &str, group: &str, csv: &str) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url(&format!(
            "/api/v1/admin/events/{event}/presale/groups/{group}/codes/upload"
        )))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    let (status, body, _) = send(app, req).await;
    (status, body)
}

async fn codes(app: &TestApp, event: &str, query: &str) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/admin/events/{event}/presale/codes{query}"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn setup(app: &TestApp, event: &str) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/admin/events/{event}/presale"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn redeem(app: &TestApp, event: &str, token: &str, code: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/events/{event}/presale/redeem"),
        Some(token),
        &json!({"code": code}),
    )
    .await
}

async fn redeem_full(
    app: &TestApp,
    event: &str,
    token: &str,
    code: &str,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let req = app
        .http
        .post(app.url(&format!("/api/v1/events/{event}/presale/redeem")))
        .bearer_auth(token)
        .json(&json!({"code": code}));
    send(app, req).await
}

async fn delete(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let req = app.http.delete(app.url(path)).bearer_auth(&app.admin_token);
    let (status, body, _) = send(app, req).await;
    (status, body)
}

fn code_of(err: &Value) -> &str {
    err["error"]["code"].as_str().unwrap_or("")
}

async fn groups_and_codes_are_managed_listed_and_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    assert_eq!(setup(&app, &event).await, json!({"groups": []}));
    let (status, created) = add_group(&app, &event, "  Fan club ", starts - 1_800_000).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Fan club");
    assert_eq!(created["slot"], 1);
    assert_eq!(ms(&created["opens_at"]), starts - 1_800_000);
    assert_eq!(
        (&created["codes"], &created["fans"]),
        (&json!(0), &json!(0))
    );
    let fan_club = created["id"].as_str().unwrap().to_owned();
    let partners = group(&app, &event, "Partners", starts - 900_000).await;

    // Renamed and moved.
    let (status, changed) = app
        .patch(
            &format!("/api/v1/admin/events/{event}/presale/groups/{partners}"),
            Some(&app.admin_token),
            &json!({"name": "Partners & press", "opens_at": rfc3339(starts - 600_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["name"].as_str(), changed["slot"].as_u64()),
        (Some("Partners & press"), Some(2))
    );
    assert_eq!(ms(&changed["opens_at"]), starts - 600_000);

    let generated = generate(&app, &event, &fan_club, 5, 1).await;
    assert_eq!(generated.len(), 5);
    for c in &generated {
        assert_eq!(c.len(), 12, "{c}");
        assert_eq!((&c[4..5], &c[9..10]), ("-", "-"), "{c}");
    }
    let (status, uploaded) = upload(
        &app,
        &event,
        &partners,
        "code,max_uses\nVIP-0001,3\nvip0001\nVIP-0002\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{uploaded}");
    assert_eq!(uploaded, json!({"added": 2, "duplicates": 1}));

    let all = codes(&app, &event, "").await;
    assert_eq!(all["codes"].as_array().unwrap().len(), 7, "{all}");
    assert_eq!(all["next_after"], Value::Null);
    let vip = all["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "VIP-0001")
        .unwrap()
        .clone();
    assert_eq!(
        vip,
        json!({"code": "VIP-0001", "group": partners, "max_uses": 3, "uses": 0, "revoked": false, "first_email": null, "first_used_at": null})
    );
    // Pages by code, and one group only.
    let first = codes(&app, &event, "?limit=4").await;
    assert_eq!(first["codes"].as_array().unwrap().len(), 4);
    let after = first["next_after"].as_str().unwrap().to_owned();
    let rest = codes(&app, &event, &format!("?limit=4&after={after}")).await;
    assert_eq!(rest["codes"].as_array().unwrap().len(), 3, "{rest}");
    let theirs = codes(&app, &event, &format!("?group={fan_club}")).await;
    assert_eq!(theirs["codes"].as_array().unwrap().len(), 5);

    let listed = setup(&app, &event).await;
    let counts: Vec<_> = listed["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["codes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("Fan club".to_owned(), 5),
            ("Partners & press".to_owned(), 2)
        ]
    );

    // The public event names the groups, by opening, with their seeds' commitments.
    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    let presales = public["presales"].as_array().unwrap();
    assert_eq!(presales.len(), 2, "{public}");
    assert_eq!(presales[0]["name"], "Fan club");
    assert_eq!(presales[0]["id"], json!(fan_club));
    assert_eq!(
        presales[0]["shuffle_commitment"].as_str().unwrap().len(),
        64
    );
    assert_ne!(
        presales[0]["shuffle_commitment"],
        presales[1]["shuffle_commitment"]
    );
    assert_ne!(
        presales[0]["shuffle_commitment"],
        public["shuffle_commitment"]
    );
    assert_eq!(presales[0]["shuffle_seed"], Value::Null);
    // Its draw is not published before its opening.
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{event}/prequeue?presale={fan_club}"),
            None,
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "draw_not_published"),
        "{body}"
    );

    // Revoked: listed so; a second revoke changes nothing.
    let code = &generated[0];
    let (status, _) = delete(
        &app,
        &format!(
            "/api/v1/admin/events/{event}/presale/codes/{}",
            code.to_lowercase()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = delete(
        &app,
        &format!("/api/v1/admin/events/{event}/presale/codes/{code}"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let listed = codes(&app, &event, &format!("?group={fan_club}")).await;
    let revoked: Vec<_> = listed["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["revoked"] == true)
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["code"], json!(code));

    // A group with no fans is deleted with its codes.
    let (status, _) = delete(
        &app,
        &format!("/api/v1/admin/events/{event}/presale/groups/{partners}"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        setup(&app, &event).await["groups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        codes(&app, &event, "").await["codes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let actions: Vec<String> = app
        .audit_entries(&event)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "presale_group_created",
        "presale_group_changed",
        "presale_codes_added",
        "presale_code_revoked",
        "presale_group_deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "presale_code_revoked")
            .count(),
        1
    );
    app.stop().await;
}

async fn bad_presale_input_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let base = format!("/api/v1/admin/events/{event}/presale");
    // Opening at or after the public one; names empty, too long, with a line break.
    for (name, at) in [
        ("Fan club", starts),
        ("Fan club", starts + 1),
        (" ", starts - 1),
        (&"x".repeat(81) as &str, starts - 1),
        ("Fan\nclub", starts - 1),
    ] {
        let (status, body) = add_group(&app, &event, name, at).await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::BAD_REQUEST, "invalid_presale_group"),
            "{name:?}: {body}"
        );
    }
    for body in [
        json!({"name": "A"}),
        json!({"name": "A", "opens_at": "soon"}),
        json!({"name": "A", "opens_at": rfc3339(starts - 1), "x": 1}),
    ] {
        let (status, out) = app
            .post(&format!("{base}/groups"), Some(&app.admin_token), &body)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
    }
    assert_eq!(setup(&app, &event).await, json!({"groups": []}));

    // Fans may not manage groups.
    let fan = app.fan().await;
    let (status, _) = app
        .post(
            &format!("{base}/groups"),
            Some(&fan),
            &json!({"name": "A", "opens_at": rfc3339(starts - 1)}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Eight groups, not nine.
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(group(&app, &event, &format!("Group {i}"), starts - 1_000_000 + i).await);
    }
    let (status, body) = add_group(&app, &event, "Ninth", starts - 1).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "presale_groups_full"),
        "{body}"
    );
    let g = &ids[0];

    // A move past the public opening; an unknown group.
    let (status, body) = app
        .patch(
            &format!("{base}/groups/{g}"),
            Some(&app.admin_token),
            &json!({"opens_at": rfc3339(starts)}),
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_presale_group"),
        "{body}"
    );
    let other = uuid::Uuid::new_v4();
    let (status, _) = app
        .patch(
            &format!("{base}/groups/{other}"),
            Some(&app.admin_token),
            &json!({"name": "B"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .patch(
            &format!("{base}/groups/not-a-uuid"),
            Some(&app.admin_token),
            &json!({"name": "B"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The event's opening cannot move before a group's.
    let (status, body) = app
        .patch(
            &format!("/api/v1/admin/events/{event}"),
            Some(&app.admin_token),
            &json!({"starts_at": rfc3339(starts - 1_000_000)}),
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_field"),
        "{body}"
    );

    // Codes: counts and uses out of range; an unknown group; a bad CSV adds nothing.
    for body in [
        json!({"count": 0, "max_uses": 1}),
        json!({"count": 10_001, "max_uses": 1}),
        json!({"count": 1, "max_uses": 0}),
        json!({"count": 1, "max_uses": 100_001}),
        json!({"count": 1}),
    ] {
        let (status, out) = app
            .post(
                &format!("{base}/groups/{g}/codes"),
                Some(&app.admin_token),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
    }
    let (status, _) = app
        .post(
            &format!("{base}/groups/{other}/codes"),
            Some(&app.admin_token),
            &json!({"count": 1, "max_uses": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = upload(&app, &event, g, "GOOD-0001\nGOOD-0002,0\nGOOD-0003\n").await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_csv"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2"),
        "{body}"
    );
    let (status, body) = upload(&app, &event, g, "AB\n").await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_csv"),
        "{body}"
    );
    assert_eq!(codes(&app, &event, "").await["codes"], json!([]));
    let (status, body) = upload(&app, &event, &other.to_string(), "GOOD-0001\n").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Over a mebibyte: 413.
    let big = "ABCD-EFGH-JK\n".repeat(90_000);
    let (status, body) = upload(&app, &event, g, &big).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "{body}"
    );
    // Under it but over the 10,000 codes an upload takes.
    let many: String = (0..10_001).map(|i| format!("CODE{i:06}\n")).collect();
    let (status, body) = upload(&app, &event, g, &many).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "invalid_csv"),
        "{body}"
    );
    assert_eq!(codes(&app, &event, "").await["codes"], json!([]));
    // The list's query.
    for q in [
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?group=nope",
        "?group=",
        "?other=1",
        &format!("?after={}", "0".repeat(101)),
    ] {
        let (status, body) = app
            .get(&format!("{base}/codes{q}"), Some(&app.admin_token))
            .await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{q}: {status} {body}"
        );
    }
    // Revoking a code the event does not have.
    let (status, _) = delete(&app, &format!("{base}/codes/NOPE-NOPE-NO")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A redeem with no code, or a code too long.
    for body in [
        json!({}),
        json!({"code": 5}),
        json!({"code": "A".repeat(101)}),
    ] {
        let (status, out) = app
            .post(
                &format!("/api/v1/events/{event}/presale/redeem"),
                Some(&fan),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
    }
    let (status, _) = redeem(&app, &event, "not-a-token", "ABCD").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A group a fan redeemed cannot be deleted.
    let code = generate(&app, &event, g, 1, 1).await.remove(0);
    let (status, body) = redeem(&app, &event, &fan, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = delete(&app, &format!("{base}/groups/{g}")).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "presale_group_in_use"),
        "{body}"
    );
    assert_eq!(
        setup(&app, &event).await["groups"]
            .as_array()
            .unwrap()
            .len(),
        8
    );

    // Once the public sale opened: no new group, no redeem.
    let open = app.open_event(slow_admission()).await;
    let (status, body) = add_group(&app, &open, "Late", ms(&json!(rfc3339(0)))).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "presale_started"),
        "{body}"
    );
    let (status, body) = redeem(&app, &open, &fan, "ABCD-EFGH-JK").await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "presale_over"),
        "{body}"
    );
    app.stop().await;
}

async fn codes_bind_accounts_single_and_multi_use(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let fan_club = group(&app, &event, "Fan club", starts - 1_800_000).await;
    let partners = group(&app, &event, "Partners", starts - 900_000).await;
    let single = generate(&app, &event, &fan_club, 2, 1).await;
    let multi = generate(&app, &event, &partners, 1, 2).await.remove(0);
    let fans = app.fans(5).await;

    // Single use: bound to the first account; again by it, a no-op; refused to another.
    let typed = single[0].to_lowercase().replace('-', " ");
    let (status, body) = redeem(&app, &event, &fans[0], &typed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["group"]["name"], "Fan club");
    assert_eq!(ms(&body["group"]["opens_at"]), starts - 1_800_000);
    let (status, again) = redeem(&app, &event, &fans[0], &single[0]).await;
    assert_eq!((status, &again), (StatusCode::OK, &body));
    let (status, body) = redeem(&app, &event, &fans[1], &single[0]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "code_used_up"),
        "{body}"
    );

    // Multi use: two distinct accounts, then no more.
    for fan in &fans[1..3] {
        let (status, body) = redeem(&app, &event, fan, &multi).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["group"]["name"], "Partners");
    }
    let (status, body) = redeem(&app, &event, &fans[2], &multi).await;
    assert_eq!(status, StatusCode::OK, "a holder again: {body}");
    let (status, body) = redeem(&app, &event, &fans[3], &multi).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "code_used_up"),
        "{body}"
    );

    // One group per account and event.
    let (status, body) = redeem(&app, &event, &fans[0], &single[1]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "code_other_group"),
        "{body}"
    );
    // Holding another code of the same group counts too; the code stays unused.
    let listed = codes(&app, &event, &format!("?group={fan_club}")).await;
    let uses: Vec<_> = listed["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uses"].as_u64().unwrap())
        .collect();
    assert_eq!(uses.iter().sum::<u64>(), 1, "{listed}");

    // Revoked: the same answer as a wrong code; its holders keep their group.
    let (status, _) = delete(
        &app,
        &format!("/api/v1/admin/events/{event}/presale/codes/{}", single[1]),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = redeem(&app, &event, &fans[4], &single[1]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::NOT_FOUND, "code_unknown"),
        "{body}"
    );
    let (status, _) = delete(
        &app,
        &format!("/api/v1/admin/events/{event}/presale/codes/{multi}"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = redeem(&app, &event, &fans[1], &multi).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a holder of a revoked code keeps it: {body}"
    );
    let (status, body) = redeem(&app, &event, &fans[4], "WRONG-CODE").await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::NOT_FOUND, "code_unknown"),
        "{body}"
    );

    // The console's view: uses, the first account, the groups' counts.
    let listed = codes(&app, &event, &format!("?group={partners}")).await;
    let m = &listed["codes"][0];
    assert_eq!(
        (
            m["uses"].as_u64(),
            m["max_uses"].as_u64(),
            m["revoked"].as_bool()
        ),
        (Some(2), Some(2), Some(true)),
        "{m}"
    );
    assert!(
        m["first_email"]
            .as_str()
            .unwrap()
            .ends_with("@floodgate.test"),
        "{m}"
    );
    assert!(m["first_used_at"].is_string(), "{m}");
    let groups = setup(&app, &event).await;
    let figures: Vec<_> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["codes"].as_u64().unwrap(),
                g["codes_used"].as_u64().unwrap(),
                g["fans"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(figures, [(2, 1, 1), (1, 1, 2)]);
    app.stop().await;
}

async fn wrong_codes_are_limited_per_account_and_address(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let g = group(&app, &event, "Fan club", starts - 1_800_000).await;
    let right = generate(&app, &event, &g, 3, 1).await;
    let fans = app.fans(4).await;
    // Ten wrong codes per account (right ones do not count), then 429 even for a right one.
    let (status, _) = redeem(&app, &event, &fans[0], &right[0]).await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..10 {
        let (status, body) = redeem(&app, &event, &fans[0], &format!("WRONG{i:04}")).await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::NOT_FOUND, "code_unknown"),
            "guess {i}: {body}"
        );
    }
    let (status, body, headers) = redeem_full(&app, &event, &fans[0], &right[0]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_code_attempts"),
        "{body}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    // Thirty wrong ones per address, every account together: 10 so far (a refused
    // attempt looked at no code, so it is no guess).
    for i in 0..10 {
        let (status, _) = redeem(&app, &event, &fans[1], &format!("OTHER{i:04}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "guess {i}");
    }
    for i in 0..9 {
        let (status, _) = redeem(&app, &event, &fans[2], &format!("THIRD{i:04}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "guess {i}");
    }
    // 29: a right code still passes, and binds.
    let (status, body) = redeem(&app, &event, &fans[3], &right[2]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = redeem(&app, &event, &fans[3], "FOURTH0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Account 3 has guessed 9 times, under its own limit; the address is at 30.
    let (status, body) = redeem(&app, &event, &fans[2], &right[1]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_code_attempts"),
        "{body}"
    );
    // Nothing more was bound meanwhile.
    let listed = codes(&app, &event, "").await;
    let used: u64 = listed["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uses"].as_u64().unwrap())
        .sum();
    assert_eq!(used, 2);
    app.stop().await;
}

/// Sixty fans behind one address (a carrier's NAT) redeem right codes all at once,
/// twice the address's limit of wrong guesses: right codes count for nothing, so none
/// is refused (the limit once counted the attempts in flight, and refused the burst
/// for ten minutes).
async fn a_crowd_of_right_codes_behind_one_address_is_never_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let g = group(&app, &event, "Fan club", starts - 1_800_000).await;
    let codes = generate(&app, &event, &g, 60, 1).await;
    let fans = app.fans(60).await;
    let answers = futures_util::future::join_all(
        fans.iter()
            .zip(&codes)
            .map(|(fan, code)| redeem(&app, &event, fan, code)),
    )
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    app.stop().await;
}

async fn concurrent_redeems_never_bind_a_use_twice(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let g = group(&app, &event, "Fan club", starts - 1_800_000).await;
    let single = generate(&app, &event, &g, 1, 1).await.remove(0);
    let multi = generate(&app, &event, &g, 1, 5).await.remove(0);
    let fans = app.fans(24).await;
    let race = |code: String, fans: Vec<String>| {
        let app = &app;
        let event = &event;
        async move {
            let tries = fans.iter().map(|fan| redeem(app, event, fan, &code));
            futures_util::future::join_all(tries).await
        }
    };
    let (singles, multis) = tokio::join!(
        race(single.clone(), fans[..12].to_vec()),
        race(multi.clone(), fans[12..].to_vec()),
    );
    for (answers, uses) in [(singles, 1), (multis, 5)] {
        let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let used_up = answers
            .iter()
            .filter(|(s, b)| *s == StatusCode::CONFLICT && code_of(b) == "code_used_up")
            .count();
        assert_eq!((ok, used_up), (uses, 12 - uses), "{answers:?}");
    }
    let listed = codes(&app, &event, "").await;
    let mut uses: Vec<_> = listed["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uses"].as_u64().unwrap())
        .collect();
    uses.sort_unstable();
    assert_eq!(uses, [1, 5]);
    assert_eq!(setup(&app, &event).await["groups"][0]["fans"], 6);
    app.stop().await;
}

/// Waits until the event's room here has read `groups` presale openings from the store
/// (the configuration the group's creation wrote; a room reads it from the store's
/// change log, within a tick on Redis), so its messages name each line's opening.
async fn wait_for_openings(app: &TestApp, event: &str, groups: usize) {
    let id = event.parse().unwrap();
    app.wait_until(
        "the room knows the groups' openings",
        std::time::Duration::from_secs(10),
        || async {
            app.state
                .hub
                .room(id)
                .and_then(|room| room.config())
                .is_some_and(|c| c.presales.len() == groups)
        },
    )
    .await;
}

async fn a_redeemed_code_moves_the_fans_joins_into_its_groups_line(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (event, starts) = event(&app).await;
    let opens = starts - 1_800_000;
    let g = group(&app, &event, "Fan club", opens).await;
    let codes = generate(&app, &event, &g, 3, 1).await;
    let fans = app.fans(4).await;
    wait_for_openings(&app, &event, 1).await;

    // A public fan waits for the public opening.
    let public = app.join_over_http(&event, &fans[0]).await;
    assert_eq!(
        (public["type"].as_str(), ms(&public["starts_at"])),
        (Some("prequeue"), starts),
        "{public}"
    );

    // A code holder's HTTP join waits in its group's line, for its opening.
    let (status, body) = redeem(&app, &event, &fans[1], &codes[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let grouped = app.join_over_http(&event, &fans[1]).await;
    assert_eq!(
        (grouped["type"].as_str(), ms(&grouped["starts_at"])),
        (Some("prequeue"), opens),
        "{grouped}"
    );

    // Over the socket too, and again on a reconnect.
    let (status, _) = redeem(&app, &event, &fans[2], &codes[1]).await;
    assert_eq!(status, StatusCode::OK);
    let mut socket = app.connect(&event, &fans[2]).await;
    let joined = socket.join().await;
    assert_eq!(
        (joined["type"].as_str(), ms(&joined["starts_at"])),
        (Some("prequeue"), opens),
        "{joined}"
    );
    socket.close().await;
    let mut socket = app.connect(&event, &fans[2]).await;
    let resumed = socket
        .expect("prequeue", std::time::Duration::from_secs(5))
        .await;
    assert_eq!(ms(&resumed["starts_at"]), opens, "{resumed}");
    socket.close().await;

    // A fan pre-queued in the public line who redeems moves to its group's line.
    let before = app.join_over_http(&event, &fans[3]).await;
    assert_eq!(ms(&before["starts_at"]), starts);
    let (status, _) = redeem(&app, &event, &fans[3], &codes[2]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&fans[3]))
        .await;
    assert_eq!(
        (status, me["type"].as_str(), ms(&me["starts_at"])),
        (StatusCode::OK, Some("prequeue"), opens),
        "{me}"
    );
    assert_eq!(
        me["ticket"], before["ticket"],
        "the same ticket, moved: {me}"
    );
    app.stop().await;
}

/// A code redeemed on one replica and a join at once on another: the second replica
/// has never seen the binding, and joins the fan to its group's line all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeem_on_one_replica_counts_at_once_on_another() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let one = start(options.clone()).await;
    let two = start(options).await;
    let (event, starts) = event(&one).await;
    let opens = starts - 1_800_000;
    let g = group(&one, &event, "Fan club", opens).await;
    let code = generate(&one, &event, &g, 1, 1).await.remove(0);
    let fans = one.fans(2).await;
    wait_for_openings(&one, &event, 1).await;
    wait_for_openings(&two, &event, 1).await;
    // Replica two learns of the group with its next refresh of the events (as it
    // learns of any edit); from then on it must not miss a binding made elsewhere.
    two.wait_until(
        "replica two knows the group",
        std::time::Duration::from_secs(10),
        || async {
            let (_, public) = two.get(&format!("/api/v1/events/{event}"), None).await;
            public["presales"].as_array().is_some_and(|p| p.len() == 1)
        },
    )
    .await;
    let public = two.join_over_http(&event, &fans[0]).await;
    assert_eq!(ms(&public["starts_at"]), starts, "{public}");
    let (status, _) = redeem(&one, &event, &fans[1], &code).await;
    assert_eq!(status, StatusCode::OK);
    let grouped = two.join_over_http(&event, &fans[1]).await;
    assert_eq!(
        (grouped["type"].as_str(), ms(&grouped["starts_at"])),
        (Some("prequeue"), opens),
        "{grouped}"
    );
    let mut socket = two.connect(&event, &fans[1]).await;
    let joined = socket.join().await;
    assert_eq!(ms(&joined["starts_at"]), opens, "{joined}");
    socket.close().await;
    one.stop().await;
    two.stop().await;
}

/// A group whose line opens in a moment: its draw record pages at
/// `…/prequeue?presale=` with the group's own seed, which the public event reveals
/// then (and not the public line's, whose opening is later).
async fn a_groups_draw_is_published_at_its_opening(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(600_000, slow_admission()).await;
    let (_, before) = app.get(&format!("/api/v1/events/{event}"), None).await;
    let opens = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 3_000;
    let g = group(&app, &event, "Fan club", opens).await;
    let codes = generate(&app, &event, &g, 2, 1).await;
    let fans = app.fans(2).await;
    wait_for_openings(&app, &event, 1).await;
    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    let commitment = public["presales"][0]["shuffle_commitment"].clone();
    for (fan, code) in fans.iter().zip(&codes) {
        let (status, body) = redeem(&app, &event, fan, code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let joined = app.join_over_http(&event, fan).await;
        assert_eq!(joined["type"], "prequeue", "{joined}");
    }
    let path = format!("/api/v1/events/{event}/prequeue?presale={g}");
    app.wait_until(
        "the group's draw is published",
        std::time::Duration::from_secs(20),
        || async { app.get(&path, None).await.0 == StatusCode::OK },
    )
    .await;
    let (_, page) = app.get(&path, None).await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["shuffle_commitment"], commitment, "{page}");
    assert_ne!(page["shuffle_commitment"], before["shuffle_commitment"]);
    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        public["presales"][0]["shuffle_seed"], page["shuffle_seed"],
        "{public}"
    );
    assert_eq!(
        public["shuffle_seed"],
        Value::Null,
        "the public line has not opened: {public}"
    );
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/prequeue"), None)
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "draw_not_published")
    );
    let (status, _) = app
        .get(
            &format!(
                "/api/v1/events/{event}/prequeue?presale={}",
                uuid::Uuid::new_v4()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}
