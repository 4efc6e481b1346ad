// Proof of work before a new place in line: solves a challenge of
// `POST /api/v1/events/{id}/challenge` in a Web Worker (pow-worker.js, WebCrypto) and
// reports honest progress: hashes tried against the 2^difficulty expected on average,
// held below 100% until a solution is found.
/* global __POW_WORKER__ */

/**
 * @param {{challenge: string, difficulty: number, expected_hashes?: number}} c
 * @param {(percent: number) => void} onProgress
 * @returns {Promise<string>} the solution to present: `<challenge>:<nonce>`
 */
export function solve(c, onProgress) {
  if (!c.difficulty) return Promise.resolve(`${c.challenge}:0`);
  const expected = c.expected_hashes || 2 ** c.difficulty;
  return new Promise((resolve, reject) => {
    const worker = new Worker(__POW_WORKER__, { type: 'module' });
    worker.onmessage = (e) => {
      if (e.data.solution) {
        worker.terminate();
        onProgress(100);
        resolve(e.data.solution);
      } else {
        onProgress(Math.min(99, Math.floor((100 * e.data.hashes) / expected)));
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || 'proof-of-work worker failed'));
    };
    worker.postMessage({ challenge: c.challenge, difficulty: c.difficulty });
  });
}
