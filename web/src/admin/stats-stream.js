// The live stats of one event: the admin stats WebSocket (the session cookie
// authenticates it) on the shell's reconnecting socket, retrying about a second
// after a drop and doubling from there. Between attempts one HTTP read tells a lost
// session or a deleted event from a network hiccup, and keeps the figures fresh.
import { useEffect, useRef, useState } from 'preact/hooks';
import { spreadJitter } from '../shared/backoff.js';
import { ResilientSocket } from '../shared/socket.js';
import { adminApi } from './api.js';

/** With no frame for this long a socket is treated as dead (the server sends every second). */
const SILENCE_MS = 8000;

/**
 * @param {string} id event id
 * @param {(stats: object) => void} onSample every stats object, from the socket or HTTP
 * @param {(err: import('../shared/api.js').ApiError) => void} onFatal 401/403/404: stop
 * @returns {{state: 'connecting'|'live'|'waiting'|'stopped', retryAt: number|null, error: string|null}}
 */
export function useStatsStream(id, onSample, onFatal) {
  const [conn, setConn] = useState({ state: 'connecting', retryAt: null, error: null });
  const handlers = useRef({ onSample, onFatal });
  handlers.current = { onSample, onFatal };

  useEffect(() => {
    const abort = new AbortController();
    let stopped = false;

    // One HTTP read: a refused session or a missing event stops the stream.
    const probe = async () => {
      try {
        const stats = await adminApi.stats(id, abort.signal);
        if (!stopped) handlers.current.onSample(stats);
      } catch (e) {
        if (stopped || e.name === 'AbortError') return false;
        if (e.status === 401 || e.status === 403 || e.status === 404) {
          stopped = true;
          setConn({ state: 'stopped', retryAt: null, error: e.code });
          handlers.current.onFatal(e);
          return false;
        }
      }
      return !stopped;
    };

    const sock = new ResilientSocket({
      url: () => adminApi.statsSocketUrl(id),
      silenceMs: SILENCE_MS,
      backoff: (attempt) => spreadJitter(attempt),
      // An error frame answers, but does not show that the stream works.
      proves: (data) => data.type !== 'error',
      beforeRetry: probe,
      onAttempt: () => setConn((c) => ({ state: 'connecting', retryAt: null, error: c.error })),
      onRetry: (retryAt) => setConn((c) => ({ state: 'waiting', retryAt, error: c.error })),
      onMessage: (data) => {
        if (data.type === 'error') {
          setConn({ state: 'live', retryAt: null, error: `${data.code}: ${data.message}` });
          return;
        }
        setConn({ state: 'live', retryAt: null, error: null });
        handlers.current.onSample(data);
      },
    }).start();

    return () => {
      stopped = true;
      abort.abort();
      sock.stop();
    };
  }, [id]);

  return conn;
}
