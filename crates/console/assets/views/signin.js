// Sign in and sign up.

import * as api from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import { h, replace, field, formMessage, busy } from '../dom.js';

/** The sign-in (mode 'signin') or sign-up (mode 'signup') screen. */
export default async function signInScreen(ctx, mode) {
  const signingUp = mode === 'signup';
  ctx.setTitle(signingUp ? 'Create an account' : 'Sign in');
  const username = field(
    'Username',
    h('input', {
      type: 'text',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
      maxlength: '150',
    }),
    signingUp ? { hint: 'Letters, digits and @ . + - _ (up to 150).' } : {},
  );
  const password = field(
    'Password',
    h('input', {
      type: 'password',
      name: 'password',
      autocomplete: signingUp ? 'new-password' : 'current-password',
      required: true,
    }),
    signingUp ? { hint: 'At least 8 characters.' } : {},
  );
  const message = formMessage();
  const submit = h('button', { type: 'submit', class: 'button button-primary button-block' }, signingUp ? 'Create account' : 'Sign in');
  const form = h('form', { class: 'form', novalidate: true }, username.row, password.row, message.el, submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.show('');
    username.error([]);
    password.error([]);
    const name = username.input.value.trim();
    try {
      await busy(submit, () =>
        signingUp ? session.signUp(name, password.input.value) : session.signIn(name, password.input.value),
      );
    } catch (error) {
      if (!signingUp && error instanceof api.ApiError && error.status === 401) {
        message.show('Wrong username or password.');
      } else {
        message.show(api.showFieldErrors(error, { username, password }));
      }
      const invalid = form.querySelector('[aria-invalid="true"]');
      (invalid ?? username.input).focus();
      return;
    }
    await ctx.started();
    navigate('/');
  });

  replace(
    ctx.root,
    h(
      'div',
      { class: 'auth' },
      h(
        'div',
        { class: 'auth-card' },
        h('h1', {}, signingUp ? 'Create an account' : 'Sign in'),
        h(
          'p',
          { class: 'lead' },
          signingUp
            ? 'Your account comes with a personal team for your own palettes.'
            : 'Keep and share colour palettes with your teams.',
        ),
        form,
        h(
          'p',
          { class: 'auth-switch' },
          signingUp ? 'Already have an account? ' : 'New here? ',
          h('a', { href: signingUp ? '#/signin' : '#/signup' }, signingUp ? 'Sign in' : 'Create an account'),
        ),
      ),
    ),
  );
}
