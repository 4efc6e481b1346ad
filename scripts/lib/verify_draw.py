#!/usr/bin/env python3
"""An independent check of a Floodgate sale's pre-queue draw, written from
docs/FAIRNESS.md alone (standard library only: hashlib, hmac, urllib).

    python3 scripts/lib/verify_draw.py --url http://127.0.0.1:8080 --event <id>
    python3 scripts/lib/verify_draw.py --self-test

Prints CONFIRMED (exit 0) or MISMATCH with reasons (exit 1); 2 when the draw could
not be read. --self-test checks the known values of FAIRNESS.md and that tampered
draws are rejected.
"""
import argparse
import hashlib
import hmac
import json
import sys
import urllib.request


def pseudonym(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("ascii")).hexdigest()[:32]


def draw_key(seed: bytes, pseudo: str) -> bytes:
    return hmac.new(seed, pseudo.encode("ascii"), hashlib.sha256).digest()


def draw(seed: bytes, joined):
    return sorted(joined, key=lambda p: (draw_key(seed, p), p))


def check(commitment, seed_hex, total, joined, order):
    """The reasons the draw does not check out (empty: confirmed)."""
    if not commitment or not seed_hex:
        return ["no shuffle_commitment or no shuffle_seed published"]
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return [f"shuffle_seed {seed_hex!r} is not hex"]
    if len(seed) != 32:
        return ["shuffle_seed is not 32 bytes"]
    wrong = []
    if hashlib.sha256(seed).hexdigest() != commitment.lower():
        wrong.append("sha256(seed) does not equal shuffle_commitment")
    if len(joined) != total or len(order) != total:
        wrong.append(f"{len(joined)} joined, {len(order)} ordered, total {total}")
    if draw(seed, joined) != list(order):
        wrong.append("the published order is not the seed's draw of the joined list")
    return wrong


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def fetch(base, event):
    root = f"{base.rstrip('/')}/api/v1/events/{event}"
    e = get(root)
    joined, order, offset, total = [], [], 0, 0
    while True:
        page = get(f"{root}/prequeue?offset={offset}&limit=10000")
        if page["shuffle_seed"] != e["shuffle_seed"] or page["shuffle_commitment"] != e["shuffle_commitment"]:
            raise ValueError("a page shows another seed or commitment than the event")
        joined += page["joined"]
        order += page["order"]
        total = page["total"]
        if page["next_offset"] is None:
            break
        offset = page["next_offset"]
    return e["shuffle_commitment"], e["shuffle_seed"], total, joined, order


def self_test():
    assert hashlib.sha256(bytes(32)).hexdigest() == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    assert pseudonym("abc") == "ba7816bf8f01cfea414140de5dae2223"
    assert draw_key(bytes([0x0B]) * 32, pseudonym("abc")).hex() == "a20e512c57740bef5a0699c9a90d27ff7fbea87a91c5307958e3231477813ba3"
    seed = bytes(range(32))
    joined = [pseudonym(f"t{i}") for i in range(50)]
    order = draw(seed, joined)
    commitment = hashlib.sha256(seed).hexdigest()
    assert check(commitment, seed.hex(), 50, joined, order) == []
    swapped = list(order)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert check(commitment, seed.hex(), 50, joined, swapped)
    assert check(commitment, bytes(32).hex(), 50, joined, order)
    print("verify_draw.py self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--event")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.url or not args.event:
        parser.error("--url and --event are required")
    try:
        published = fetch(args.url, args.event)
    except Exception as error:  # noqa: BLE001 - any failure to read is "could not check"
        print(f"verify_draw.py: could not read the draw: {error}", file=sys.stderr)
        return 2
    wrong = check(*published)
    if wrong:
        print("MISMATCH: " + "; ".join(wrong))
        return 1
    print(f"CONFIRMED: the order of the {len(published[3])} pre-queue tickets is the seed's draw")
    return 0


if __name__ == "__main__":
    sys.exit(main())
