// Signing in (the server sets an HttpOnly cookie) and the refusal a fan account gets.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { session } from '../shared/api.js';
import { useI18n } from '../shared/language.js';
import { useTitle } from './util.js';

export function SignIn({ notice, onSignedIn }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('signin.title'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [fieldErrors, setFieldErrors] = useState({});
  const emailRef = useRef(null);
  const passwordRef = useRef(null);

  const submit = async (e) => {
    e.preventDefault();
    const email = emailRef.current.value.trim();
    const password = passwordRef.current.value;
    const errors = {};
    if (!email) errors.email = t('signin.email_missing');
    else if (!emailRef.current.validity.valid) errors.email = t('signin.email_invalid');
    if (!password) errors.password = t('signin.password_missing');
    setFieldErrors(errors);
    setError(null);
    if (errors.email) return emailRef.current.focus();
    if (errors.password) return passwordRef.current.focus();
    setBusy(true);
    try {
      const account = await session.login(email, password);
      onSignedIn(account);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const message = error && signInMessage(i18n, error);
  return html`<div class="narrow">
    <h1 tabindex="-1">${t('signin.title')}</h1>
    <p>${t('signin.intro')}</p>
    ${notice && html`<p class="notice" role="status">${t(notice)}</p>`}
    <form class="stack" onSubmit=${submit} noValidate aria-describedby=${message ? 'signin-error' : undefined}>
      <div class="field">
        <label for="signin-email">${t('signin.email')}</label>
        <input id="signin-email" ref=${emailRef} type="email" name="email" autocomplete="username" required
          aria-invalid=${fieldErrors.email ? 'true' : undefined}
          aria-describedby=${fieldErrors.email ? 'signin-email-error' : undefined} />
        ${fieldErrors.email && html`<p id="signin-email-error" class="field-error">${fieldErrors.email}</p>`}
      </div>
      <div class="field">
        <label for="signin-password">${t('signin.password')}</label>
        <input id="signin-password" ref=${passwordRef} type="password" name="password" autocomplete="current-password" required
          aria-invalid=${fieldErrors.password ? 'true' : undefined}
          aria-describedby=${fieldErrors.password ? 'signin-password-error' : undefined} />
        ${fieldErrors.password && html`<p id="signin-password-error" class="field-error">${fieldErrors.password}</p>`}
      </div>
      <div role="alert" class="alert-slot">
        ${message && html`<p id="signin-error" class="error-box">${message}</p>`}
      </div>
      <div>
        <button type="submit" class="button" disabled=${busy} aria-disabled=${busy ? 'true' : undefined}>
          ${busy ? t('signin.signing_in') : t('signin.submit')}
        </button>
      </div>
    </form>
  </div>`;
}

function signInMessage(i18n, error) {
  switch (error.code) {
    case 'invalid_credentials':
    case 'unauthorized':
      return i18n.t('signin.bad_credentials');
    case 'rate_limited':
      return i18n.t('signin.rate_limited');
    case 'network':
      return i18n.t('error.network');
    default:
      return i18n.t('error.server', { code: error.code, message: error.message });
  }
}

export function Refused({ account, onSignOut }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('refused.title'));
  return html`<div class="narrow">
    <h1 tabindex="-1">${t('refused.title')}</h1>
    <div class="error-box" role="alert">
      <p>${t('refused.message', { email: account.email })}</p>
    </div>
    <p>${t('refused.next')}</p>
    <button type="button" class="button" onClick=${onSignOut}>${t('refused.sign_out')}</button>
  </div>`;
}
