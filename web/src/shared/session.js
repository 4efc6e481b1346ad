// Who is signed in, for both apps: the account the session cookie stands for
// (`undefined` while asking the server, `null` when signed out), in a store read with
// `useSession`. Signing in and out go through here, so a slow answer from the page
// load never undoes a sign-in or out made meanwhile.
import { session as sessionApi } from './api.js';
import { createStore, useStore } from './store.js';

/** `{account, error}`: `error` is the failure of the last check, while the account is unknown. */
const sessionStore = createStore({ account: undefined, error: null });

/** Asks the server who the cookie says this is (unless a sign-in or out came first). */
export async function checkSession() {
  sessionStore.set({ error: null });
  try {
    const account = await sessionApi.me();
    if (sessionStore.get().account === undefined) sessionStore.set({ account });
  } catch (error) {
    if (sessionStore.get().account === undefined) sessionStore.set({ error });
  }
}

/** The account after a sign-in, or null: signed out (or the session ended). */
export function setAccount(account) {
  sessionStore.set({ account, error: null });
}

/** The server refused the account an admin's rights (403 `forbidden`): it is no admin (any more). */
export function notAdmin() {
  sessionStore.set(({ account }) => ({ account: account ? { ...account, admin: false } : account }));
}

/** Signs out on the server (the cookie may already be gone: forgotten here anyway). */
export async function signOut() {
  try {
    await sessionApi.logout();
  } catch {
    /* the cookie may already be gone; sign out locally anyway */
  }
  setAccount(null);
}

/** `{account, error}`, re-rendering on change. */
export function useSession() {
  return useStore(sessionStore);
}
