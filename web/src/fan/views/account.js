// `/signin` and `/signup`: labelled forms, the server's error codes shown in the
// fan's language next to the field they are about, then back where the fan was.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { session as sessionApi } from '../../shared/api.js';
import { useI18n } from '../../shared/language.js';
import { setAccount } from '../../shared/session.js';
import { navigate, nextPath, router, useRoute } from '../router.js';
import { useUser } from '../store.js';
import { errorText, Title } from './util.js';

const EMAIL_CODES = new Set(['email_taken', 'invalid_email']);
const PASSWORD_CODES = new Set(['weak_password']);

export function SignIn() {
  return html`<${AccountForm} mode="signin" />`;
}

export function SignUp() {
  return html`<${AccountForm} mode="signup" />`;
}

function AccountForm({ mode }) {
  const i18n = useI18n();
  const route = useRoute();
  const user = useUser();
  const signup = mode === 'signup';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const emailRef = useRef(null);
  const passwordRef = useRef(null);
  const next = nextPath(route);

  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      if (signup) await sessionApi.register(email.trim(), password);
      const account = await sessionApi.login(email.trim(), password);
      setAccount(account);
      // Only if the fan is still on this form: one who already moved on (clicked a
      // link while the request was in flight) is not pulled back.
      if (router.current().name === route.name) navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
      // Focus the field the error is about, so it is read with its message.
      const field = PASSWORD_CODES.has(err.code) ? passwordRef : emailRef;
      field.current?.focus();
    }
  };

  const emailError = error && EMAIL_CODES.has(error.code);
  const passwordError = error && PASSWORD_CODES.has(error.code);
  const formError = error && !emailError && !passwordError;
  const title = signup ? i18n.t('account.signUpTitle') : i18n.t('account.signInTitle');
  const otherHref = `${signup ? '/signin' : '/signup'}${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`;
  return html`
    <${Title}>${title}<//>
    ${user && html`<p class="notice">${i18n.t('account.already', { email: user.email })}</p>`}
    <form class="account-form panel" onSubmit=${submit} noValidate aria-labelledby="form-h">
      <h2 id="form-h" class="visually-hidden">${title}</h2>
      ${formError && html`<p class="error" role="alert" id="form-error">${errorText(i18n, error)}</p>`}
      <div class="field">
        <label for="email">${i18n.t('account.email')}</label>
        <input id="email" ref=${emailRef} type="email" name="email" autocomplete=${signup ? 'email' : 'username'} required
          value=${email} onInput=${(e) => setEmail(e.currentTarget.value)}
          aria-invalid=${emailError ? 'true' : undefined} aria-describedby=${emailError ? 'email-error' : undefined} />
        ${emailError && html`<p class="error" role="alert" id="email-error">${errorText(i18n, error)}</p>`}
      </div>
      <div class="field">
        <label for="password">${i18n.t('account.password')}</label>
        <input id="password" ref=${passwordRef} type="password" name="password" autocomplete=${signup ? 'new-password' : 'current-password'} required
          minLength=${signup ? 8 : undefined} maxLength="128"
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)}
          aria-invalid=${passwordError ? 'true' : undefined}
          aria-describedby=${[signup ? 'password-hint' : '', passwordError ? 'password-error' : ''].filter(Boolean).join(' ') || undefined} />
        ${signup && html`<p class="hint" id="password-hint">${i18n.t('account.passwordHint')}</p>`}
        ${passwordError && html`<p class="error" role="alert" id="password-error">${errorText(i18n, error)}</p>`}
      </div>
      <button type="submit" class="primary" disabled=${busy}>
        ${busy ? i18n.t('common.wait') : signup ? i18n.t('account.signUpButton') : i18n.t('account.signInButton')}
      </button>
    </form>
    <p>
      ${signup ? i18n.t('account.haveAccount') : i18n.t('account.noAccount')}${' '}
      <a href=${otherHref}>${signup ? i18n.t('nav.signIn') : i18n.t('nav.signUp')}</a>
    </p>
  `;
}
