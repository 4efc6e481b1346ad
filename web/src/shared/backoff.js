// How long a reconnecting client waits before its next attempt. Pure functions of the
// attempt number (0 for the first retry) and a random source, so they are unit-tested.

/**
 * Full jitter: a random delay up to the exponential bound `base · 2^attempt`, capped.
 * A crowd that lost its connection at once does not come back at once.
 */
export function fullJitter(attempt, { base = 500, cap = 30_000, random = Math.random } = {}) {
  return random() * Math.min(cap, base * 2 ** Math.min(attempt, 16));
}

/**
 * The exponential bound `base · 2^attempt` (capped), spread by ±`spread` of itself and
 * rounded to the millisecond: a retry that is never immediate (a page can say
 * "reconnecting in 2 s").
 */
export function spreadJitter(attempt, { base = 1000, cap = 30_000, spread = 0.25, random = Math.random } = {}) {
  const bound = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(bound * (1 - spread + random() * 2 * spread));
}
