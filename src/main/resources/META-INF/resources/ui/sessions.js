import { ApiError, credential, get, query } from './api.js';
import { h, link, message, number, sessionPath, time, userPath } from './dom.js';
import { pages, windowSelect, windowStart } from './pager.js';
import { go, takeFlash } from './router.js';

const PAGE_SIZE = 25;

export async function sessionsView(params) {
  const q = params.get('q') || '';
  const by = params.get('by') === 'user' ? 'user' : 'session';
  const windowName = params.get('window') || '7d';
  const flash = takeFlash();

  const search = h('input', { type: 'search', id: 'search', value: q, autocomplete: 'off', spellcheck: 'false',
    placeholder: by === 'user' ? 'user id' : 'session id or its beginning' });
  const field = h('select', { id: 'search-by' },
    h('option', { value: 'session', selected: by === 'session' }, 'Session id'),
    h('option', { value: 'user', selected: by === 'user' }, 'User id'));
  const windowPick = windowSelect('window', windowName);
  const form = h('form', { class: 'search', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'search' }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: 'search-by' }, 'in'), field),
    h('div', { class: 'field' }, h('label', { for: 'window' }, 'Active'), windowPick),
    h('button', { type: 'submit', id: 'search-go' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(`/ui/sessions${query({ q: search.value.trim(), by: field.value === 'user' ? 'user' : undefined, window: windowPick.value })}`);
  });

  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const body = h('tbody', {});
  const table = h('table', { class: 'sessions responsive' },
    h('caption', { class: 'visually-hidden' }, 'Sessions, most recently active first'),
    h('thead', {}, h('tr', {}, ['Last activity', 'Session', 'User', 'Records', 'Cache hits', 'Errors', 'Model']
      .map((c) => h('th', { scope: 'col' }, c)))),
    body);

  const { bar, start } = pages('Sessions', async (cursor) => {
    status.replaceChildren(message('info', 'Loading…'));
    try {
      const page = await get(`/v1/history/sessions${query({
        from: windowStart(windowName),
        session_id: by === 'session' ? q : undefined,
        user_id: by === 'user' ? q : undefined,
        limit: PAGE_SIZE,
        cursor,
      })}`);
      body.replaceChildren(...page.data.map(row));
      status.replaceChildren(page.data.length === 0
        ? message('info', q ? 'No session matches this search in that time window.' : 'No sessions in that time window.')
        : '');
      return page.next_cursor;
    } catch (e) {
      status.replaceChildren(message('error', e instanceof ApiError ? e.message : String(e)));
      return undefined;
    }
  });

  const section = h('section', { class: 'sessions-view' },
    h('h1', {}, 'Sessions'),
    credential() === 'client' ? h('p', { class: 'help' }, 'Only the sessions of this client key\'s scope.') : null,
    flash ? message('success', flash) : null,
    form,
    by === 'user' && q ? h('p', {}, link(userPath(q), `All records of user ${q} →`)) : null,
    status,
    h('div', { class: 'scroll' }, table),
    bar);
  await start();
  return section;
}

function row(s) {
  return h('tr', {},
    h('td', { 'data-label': 'Last activity' }, time(s.last_timestamp)),
    h('td', { 'data-label': 'Session' }, link(sessionPath(s.id), s.id, { class: 'id' })),
    h('td', { 'data-label': 'User' }, s.user_id ? link(userPath(s.user_id), s.user_id, { class: 'id' }) : '—'),
    h('td', { 'data-label': 'Records', class: 'num' }, number(s.records)),
    h('td', { 'data-label': 'Cache hits', class: 'num' }, number(s.cache_hits)),
    h('td', { 'data-label': 'Errors', class: 'num' }, number(s.errors)),
    h('td', { 'data-label': 'Model' }, s.last_model_requested || '—'));
}
