import { signIn } from './api.js';
import { h, message } from './dom.js';

export function signInView(onSignedIn) {
  const input = h('input', {
    type: 'password', id: 'token', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'token-help',
  });
  const status = h('div', { id: 'sign-in-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = h('form', { class: 'sign-in', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Token or key'),
    input,
    h('p', { id: 'token-help', class: 'help' },
      'The history token sees every scope; a client key sees only its own scope\'s records; the admin token sees the overview. ',
      'It is kept in this tab\'s session storage until you sign out or close the tab.'),
    button,
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.replaceChildren(message('info', 'Checking…'));
    try {
      await signIn(input.value);
      onSignedIn();
    } catch (e) {
      status.replaceChildren(message('error', e.message));
      button.disabled = false;
      input.focus();
      input.select();
    }
  });
  return form;
}
