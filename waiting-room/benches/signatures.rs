//! Ed25519 checks of purchase tokens: one signature checked alone
//! (`ed25519-dalek`'s `verify_strict`, what a hold paid per token) against batches of
//! 4 to 64 signatures under the same key (`ed25519-zebra`'s batch verifier, which folds
//! the key's terms into one), per signature.
//!
//! `cargo bench -p waiting-room --bench signatures`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ed25519_dalek::{Signer, SigningKey};

fn signatures(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let public = key.verifying_key();
    let zebra_key = ed25519_zebra::VerificationKeyBytes::from(public.to_bytes());
    // Messages the size of a purchase token's header and claims.
    let messages: Vec<Vec<u8>> = (0..64).map(|i| format!("{i:0>300}").into_bytes()).collect();
    let signed: Vec<ed25519_dalek::Signature> = messages.iter().map(|m| key.sign(m)).collect();
    let mut group = c.benchmark_group("signatures");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&messages[0]), black_box(&signed[0])))
    });
    for n in [4usize, 16, 64] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("batch", n), &n, |b, &n| {
            b.iter(|| {
                let mut batch = ed25519_zebra::batch::Verifier::new();
                for (m, s) in messages.iter().zip(&signed).take(n) {
                    let sig = ed25519_zebra::Signature::from_bytes(&s.to_bytes());
                    batch.queue((zebra_key, sig, m.as_slice()));
                }
                batch.verify(rand::thread_rng()).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
