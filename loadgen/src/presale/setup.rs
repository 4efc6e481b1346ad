//! The presale's admin and fan calls: the groups and their codes, a fan's redemption,
//! and a line's draw record.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde_json::{json, Value};

use super::kinds::Line;
use crate::api::Http;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::net::Sources;

/// Codes generated per admin call (the API's most).
const CODES_PER_CALL: u32 = 10_000;
/// Redemptions in flight at once from one source address: the pacing of a fan's
/// browser (right codes count against no guess budget, so more would not be refused).
const REDEEMING: usize = 8;
/// Source addresses a worker redeems from, when it spreads over loopback addresses.
const REDEEM_ADDRESSES: usize = 32;

/// The clients a worker redeems codes through: one per source address (each with at
/// most [`REDEEMING`] requests in flight), or one when not spreading (a target that
/// is not on loopback).
pub fn redeemers(sources: &Sources) -> anyhow::Result<Vec<Http>> {
    if sources.http().is_none() {
        return Ok(vec![Http::new(None, REDEEMING)?]);
    }
    (0..REDEEM_ADDRESSES)
        .map(|_| Http::new(sources.next().map(IpAddr::V4), REDEEMING))
        .collect()
}

/// Creates the groups of `lines` on `event` and as many single-use codes as each has
/// fans; fills in their ids and codes.
pub async fn setup(
    http: &Http,
    base: &str,
    admin: &str,
    event: &str,
    config: &Config,
    lines: &mut [Line],
) -> anyhow::Result<()> {
    let mut fans: HashMap<u8, u32> = HashMap::new();
    for i in 0..config.fans {
        *fans.entry(config.line_of(i)).or_default() += 1;
    }
    let presale = format!("{base}/api/v1/admin/events/{event}/presale");
    for line in lines.iter_mut().filter(|l| l.line != 0) {
        let body = json!({"name": line.name, "opens_at": crate::api::rfc3339(line.opens_at_ms)});
        let group = admin_call(
            http,
            Method::POST,
            &format!("{presale}/groups"),
            admin,
            &body,
        )
        .await
        .with_context(|| format!("creating presale group {}", line.line))?;
        let id = group["id"]
            .as_str()
            .context("a group without id")?
            .to_owned();
        let mut want = fans.get(&line.line).copied().unwrap_or(0);
        while want > 0 {
            let count = want.min(CODES_PER_CALL);
            let body = json!({"count": count, "max_uses": 1});
            let url = format!("{presale}/groups/{id}/codes");
            let answer = admin_call(http, Method::POST, &url, admin, &body)
                .await
                .context("generating codes")?;
            let codes = answer["codes"].as_array().context("codes answer")?;
            anyhow::ensure!(
                codes.len() == count as usize,
                "asked {count} codes, got {}",
                codes.len()
            );
            line.codes
                .extend(codes.iter().filter_map(|c| c.as_str().map(str::to_owned)));
            want -= count;
        }
        line.group = Some(id);
    }
    Ok(())
}

async fn admin_call(
    http: &Http,
    method: Method,
    url: &str,
    admin: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let reply = http
        .send(
            method.clone(),
            url,
            Some(admin),
            Some(body),
            Duration::from_secs(120),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{method} {url}: {e:?}"))?;
    anyhow::ensure!(
        reply.ok(),
        "{method} {url}: HTTP {} {}",
        reply.status,
        reply.body
    );
    Ok(reply.body)
}

/// Redeems `code` as fan number `fan`, whose session is `session`; whether it was (a refusal is
/// counted by code, unexpected).
pub async fn redeem(ctx: &Ctx, url: usize, fan: u32, session: &str, code: &str) -> bool {
    let path = format!(
        "{}/api/v1/events/{}/presale/redeem",
        ctx.targets[url].base, ctx.event
    );
    let body = json!({ "code": code });
    let http = &ctx.redeemers[fan as usize % ctx.redeemers.len()];
    for _ in 0..5 {
        match http
            .send(
                Method::POST,
                &path,
                Some(session),
                Some(&body),
                Duration::from_secs(30),
            )
            .await
        {
            Ok(reply) if reply.ok() => return true,
            Ok(reply) if reply.status == 429 || reply.status == 503 => {
                ctx.tally.http_error(reply.status, &reply.code(), true);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(reply) => {
                ctx.tally.http_error(reply.status, &reply.code(), false);
                return false;
            }
            Err(failure) => {
                ctx.tally
                    .error(&format!("redeem_{}", failure.code()), false);
                return false;
            }
        }
    }
    false
}

/// One line's draw record, every page: (pseudonyms in join order, in draw order).
pub async fn draw_record(
    http: &Http,
    base: &str,
    event: &str,
    line: &Line,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (mut joined, mut order) = (Vec::new(), Vec::new());
    let mut offset = Some(0u64);
    while let Some(at) = offset {
        let mut url = format!("{base}/api/v1/events/{event}/prequeue?offset={at}&limit=10000");
        if let Some(group) = &line.group {
            url.push_str(&format!("&presale={group}"));
        }
        let reply = http
            .send(Method::GET, &url, None, None, Duration::from_secs(60))
            .await
            .map_err(|e| anyhow::anyhow!("GET {url}: {e:?}"))?;
        anyhow::ensure!(
            reply.ok(),
            "GET {url}: HTTP {} {}",
            reply.status,
            reply.body
        );
        let strings = |k: &str| -> Vec<String> {
            reply.body[k]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        joined.extend(strings("joined"));
        order.extend(strings("order"));
        offset = reply.body["next_offset"].as_u64();
    }
    Ok((joined, order))
}
