// A small observable store: a plain object replaced on every change, a `set` that
// merges a patch, and subscribers. The shell's session, language and route live in
// stores like this one, and so does each app's own state; components read one with
// `useStore`.
import { useEffect, useState } from 'preact/hooks';

/** A store holding `initial`; `set` merges a patch (an object, or a function of the state answering one). */
export function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  return {
    get: () => state,
    set(patch) {
      const next = typeof patch === 'function' ? patch(state) : patch;
      if (!next) return;
      state = { ...state, ...next };
      for (const fn of subscribers) fn(state);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/** Re-renders the calling component whenever `store` changes; answers its state. */
export function useStore(store) {
  const [state, setState] = useState(store.get());
  useEffect(() => {
    // A change between the first render and this effect is not missed.
    setState(store.get());
    return store.subscribe(setState);
  }, [store]);
  return state;
}
