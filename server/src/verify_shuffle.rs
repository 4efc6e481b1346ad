//! `floodgate verify-shuffle --url … --event …`: fetches a sale's published draw
//! (`GET /api/v1/events/{id}` and every page of `GET /api/v1/events/{id}/prequeue`),
//! checks that SHA-256 of the seed is the commitment and recomputes the order from the
//! join order (docs/FAIRNESS.md). Prints a verdict; the exit code is 0 when the draw
//! is confirmed, 1 on a mismatch, 2 when it could not be checked.

use anyhow::{bail, Context};
use serde::Deserialize;
use waiting_room::shuffle::{shuffled, ShuffleSeed};

/// The subcommand's arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct VerifyArgs {
    /// The server's base URL, e.g. `https://tickets.example.com` (`/api/v1` is added).
    #[arg(long)]
    pub url: String,
    /// The event's id.
    #[arg(long)]
    pub event: String,
}

/// What the server published about one sale's draw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// `shuffle_commitment` of the event.
    pub commitment: Option<String>,
    /// `shuffle_seed` of the event.
    pub seed: Option<String>,
    /// The draw's pages, joined: seed and commitment as each page gave them, `total`,
    /// and both lists.
    pub page_seeds: Vec<(String, String)>,
    pub total: u64,
    pub joined: Vec<String>,
    pub order: Vec<String>,
}

/// The outcome of [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The seed matches the commitment and the order is the seed's draw.
    Confirmed { tickets: usize },
    /// Something does not match; the reasons, in words.
    Mismatch(Vec<String>),
}

/// Checks a published draw; pure, so tampered copies can be tested.
pub fn check(p: &Published) -> Verdict {
    let mut wrong = Vec::new();
    let (Some(commitment), Some(seed_hex)) = (&p.commitment, &p.seed) else {
        return Verdict::Mismatch(vec![
            "the event publishes no shuffle_commitment or no shuffle_seed (not opened yet?)".into(),
        ]);
    };
    let Some(seed) = ShuffleSeed::from_hex(seed_hex) else {
        return Verdict::Mismatch(vec![format!(
            "shuffle_seed {seed_hex:?} is not 64 hex digits"
        )]);
    };
    if seed.commitment() != commitment.to_ascii_lowercase() {
        wrong.push(format!(
            "sha256(seed) = {} but the published commitment is {commitment}",
            seed.commitment()
        ));
    }
    for (page_seed, page_commitment) in &p.page_seeds {
        if page_seed != seed_hex || page_commitment != commitment {
            wrong.push("a page of the draw shows another seed or commitment than the event".into());
            break;
        }
    }
    if p.joined.len() as u64 != p.total || p.order.len() as u64 != p.total {
        wrong.push(format!(
            "the draw lists {} joined and {} ordered tickets, but says there were {}",
            p.joined.len(),
            p.order.len(),
            p.total
        ));
    }
    let expected: Vec<String> = shuffled(&seed, p.joined.iter().map(|j| (j.clone(), ())).collect())
        .into_iter()
        .map(|(name, ())| name)
        .collect();
    if let Some(at) =
        (0..expected.len().max(p.order.len())).find(|&i| expected.get(i) != p.order.get(i))
    {
        wrong.push(format!(
            "the published order differs from the seed's draw at position {at} (published {}, recomputed {})",
            p.order.get(at).map_or("nothing", String::as_str),
            expected.get(at).map_or("nothing", String::as_str),
        ));
    }
    if wrong.is_empty() {
        Verdict::Confirmed {
            tickets: expected.len(),
        }
    } else {
        Verdict::Mismatch(wrong)
    }
}

#[derive(Deserialize)]
struct EventJson {
    shuffle_commitment: Option<String>,
    shuffle_seed: Option<String>,
}

#[derive(Deserialize)]
struct PageJson {
    shuffle_seed: String,
    shuffle_commitment: String,
    total: u64,
    joined: Vec<String>,
    order: Vec<String>,
    next_offset: Option<u64>,
}

/// Fetches the event and every page of its draw.
pub async fn fetch(url: &str, event: &str) -> anyhow::Result<Published> {
    let base = format!("{}/api/v1/events/{event}", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let get = |u: String| {
        let client = client.clone();
        async move {
            let response = client
                .get(&u)
                .send()
                .await
                .with_context(|| format!("GET {u}"))?;
            let status = response.status();
            let body = response.text().await.with_context(|| format!("GET {u}"))?;
            if !status.is_success() {
                bail!("GET {u} answered {status}: {body}");
            }
            Ok::<_, anyhow::Error>(body)
        }
    };
    let e: EventJson = serde_json::from_str(&get(base.clone()).await?).context("the event")?;
    let mut p = Published {
        commitment: e.shuffle_commitment,
        seed: e.shuffle_seed,
        ..Published::default()
    };
    let mut offset = 0;
    loop {
        let body = get(format!("{base}/prequeue?offset={offset}&limit=10000")).await?;
        let page: PageJson = serde_json::from_str(&body).context("a page of the draw")?;
        p.page_seeds
            .push((page.shuffle_seed, page.shuffle_commitment));
        p.total = page.total;
        p.joined.extend(page.joined);
        p.order.extend(page.order);
        match page.next_offset {
            Some(next) if next > offset => offset = next,
            Some(_) => bail!("the draw's next_offset does not move forward"),
            None => break,
        }
    }
    Ok(p)
}

/// The subcommand: prints the verdict and returns the process's exit code.
pub async fn main(args: VerifyArgs) -> std::process::ExitCode {
    let published = match fetch(&args.url, &args.event).await {
        Ok(p) => p,
        Err(error) => {
            eprintln!("verify-shuffle: could not read the draw: {error:#}");
            return std::process::ExitCode::from(2);
        }
    };
    match check(&published) {
        Verdict::Confirmed { tickets } => {
            println!(
                "CONFIRMED: sha256(shuffle_seed) equals shuffle_commitment, and the order of \
                 the {tickets} pre-queue tickets is the seed's draw (docs/FAIRNESS.md)."
            );
            std::process::ExitCode::SUCCESS
        }
        Verdict::Mismatch(reasons) => {
            println!("MISMATCH: the published draw does not check out:");
            for reason in reasons {
                println!("  - {reason}");
            }
            std::process::ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waiting_room::shuffle::pseudonym;
    use waiting_room::TicketId;

    fn published() -> Published {
        let seed = ShuffleSeed::from_bytes([9; 32]);
        let joined: Vec<String> = (0..20)
            .map(|i| pseudonym(&TicketId(format!("t{i}"))))
            .collect();
        let order = shuffled(&seed, joined.iter().map(|j| (j.clone(), ())).collect())
            .into_iter()
            .map(|e| e.0)
            .collect();
        Published {
            commitment: Some(seed.commitment()),
            seed: Some(seed.to_hex()),
            page_seeds: vec![(seed.to_hex(), seed.commitment())],
            total: 20,
            joined,
            order,
        }
    }

    #[test]
    fn the_real_draw_is_confirmed() {
        assert_eq!(check(&published()), Verdict::Confirmed { tickets: 20 });
    }

    #[test]
    fn a_tampered_draw_is_a_mismatch() {
        let mut swapped = published();
        swapped.order.swap(3, 4);
        assert!(matches!(check(&swapped), Verdict::Mismatch(r) if r[0].contains("position 3")));

        let mut other_seed = published();
        let seed = ShuffleSeed::from_bytes([10; 32]);
        other_seed.seed = Some(seed.to_hex());
        other_seed.page_seeds = vec![(seed.to_hex(), other_seed.commitment.clone().unwrap())];
        assert!(
            matches!(check(&other_seed), Verdict::Mismatch(r) if r[0].starts_with("sha256(seed)"))
        );

        let mut extra = published();
        extra.joined.push(pseudonym(&TicketId("fake".into())));
        assert!(matches!(check(&extra), Verdict::Mismatch(_)));

        let mut hidden = published();
        hidden.seed = None;
        assert!(matches!(check(&hidden), Verdict::Mismatch(_)));
    }
}
