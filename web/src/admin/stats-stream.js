// The live stats of one event: the admin stats WebSocket (the session cookie
// authenticates it), reconnecting with jittered exponential back-off. Between
// attempts one HTTP read tells a lost session or a deleted event from a network
// hiccup, and keeps the figures fresh.
import { useEffect, useRef, useState } from 'preact/hooks';
import { adminApi } from './api.js';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
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
    let ws = null;
    let timer = null;
    let watchdog = null;
    let stopped = false;
    let failures = 0;
    const abort = new AbortController();

    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ws?.close(), SILENCE_MS);
    };

    const connect = () => {
      if (stopped) return;
      setConn((c) => ({ state: 'connecting', retryAt: null, error: c.error }));
      let opened = false;
      try {
        ws = new WebSocket(adminApi.statsSocketUrl(id));
      } catch {
        scheduleRetry();
        return;
      }
      arm();
      ws.onmessage = (m) => {
        let data;
        try {
          data = JSON.parse(m.data);
        } catch {
          return;
        }
        arm();
        if (data.type === 'error') {
          setConn({ state: 'live', retryAt: null, error: `${data.code}: ${data.message}` });
          return;
        }
        opened = true;
        failures = 0;
        setConn({ state: 'live', retryAt: null, error: null });
        handlers.current.onSample(data);
      };
      ws.onclose = () => {
        clearTimeout(watchdog);
        ws = null;
        if (stopped) return;
        if (!opened) failures += 1;
        else failures = 1;
        probeThenRetry();
      };
    };

    // One HTTP read: a refused session or a missing event stops the stream.
    const probeThenRetry = async () => {
      try {
        const stats = await adminApi.stats(id, abort.signal);
        if (stopped) return;
        handlers.current.onSample(stats);
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        if (e.status === 401 || e.status === 403 || e.status === 404) {
          stopped = true;
          setConn({ state: 'stopped', retryAt: null, error: e.code });
          handlers.current.onFatal(e);
          return;
        }
      }
      scheduleRetry();
    };

    const scheduleRetry = () => {
      const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1));
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      setConn((c) => ({ state: 'waiting', retryAt: Date.now() + delay, error: c.error }));
      timer = setTimeout(connect, delay);
    };

    connect();
    return () => {
      stopped = true;
      abort.abort();
      clearTimeout(timer);
      clearTimeout(watchdog);
      if (ws) {
        ws.onclose = null;
        ws.close(1000);
      }
    };
  }, [id]);

  return conn;
}
