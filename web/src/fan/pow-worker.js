// Proof of work, off the page's thread: finds a decimal nonce such that
// SHA-256(challenge ":" nonce) (UTF-8 bytes) starts with `difficulty` zero bits, with
// WebCrypto. Posts {hashes} now and then, and {solution: "<challenge>:<nonce>"} at
// the end. Digests run in batches so WebCrypto's promises overlap.
const BATCH = 512;

function zeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

self.onmessage = async (e) => {
  const { challenge, difficulty } = e.data;
  const enc = new TextEncoder();
  const prefix = enc.encode(`${challenge}:`);
  let lastPost = 0;
  for (let n = 0; ; n += BATCH) {
    const jobs = [];
    for (let i = 0; i < BATCH; i++) {
      const digits = enc.encode(String(n + i));
      const input = new Uint8Array(prefix.length + digits.length);
      input.set(prefix);
      input.set(digits, prefix.length);
      jobs.push(crypto.subtle.digest('SHA-256', input));
    }
    const hashes = await Promise.all(jobs);
    for (let i = 0; i < BATCH; i++) {
      if (zeroBits(new Uint8Array(hashes[i])) >= difficulty) {
        self.postMessage({ solution: `${challenge}:${n + i}`, hashes: n + i + 1 });
        return;
      }
    }
    const now = performance.now();
    if (now - lastPost > 100) {
      lastPost = now;
      self.postMessage({ hashes: n + BATCH });
    }
  }
};
