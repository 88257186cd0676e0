import { ApiError, credential, erase, get, query } from './api.js';
import { confirmErasure } from './confirm.js';
import { h, message, number, time } from './dom.js';
import { pages } from './pager.js';
import { flash, go } from './router.js';
import { turn } from './records.js';

const PAGE_SIZE = 50;

export async function sessionView(id) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const turns = h('div', { class: 'turns' });
  const summary = h('p', { class: 'summary' });
  const eraseButton = h('button', { type: 'button', class: 'danger', id: 'erase-session' }, 'Erase session…');
  let first = null;

  const { bar, start } = pages('Turns', async (cursor, index) => {
    status.replaceChildren(message('info', 'Loading…'));
    try {
      const page = await get(`/v1/history/sessions/${encodeURIComponent(id)}${query({ limit: PAGE_SIZE, cursor })}`);
      turns.replaceChildren(...page.data.map((record, i) => turn(record, index * PAGE_SIZE + i + 1)));
      if (index === 0 && page.data.length > 0) {
        first = page.data[0];
        summary.replaceChildren('Started ', time(first.timestamp),
          first.user_id ? ` by user ${first.user_id}` : '',
          page.has_more ? ` · more than ${number(PAGE_SIZE)} turns` : ` · ${number(page.data.length)} turn(s)`);
      }
      status.replaceChildren();
      return page.next_cursor;
    } catch (e) {
      status.replaceChildren(message('error', e instanceof ApiError && e.status === 404
        ? (credential() === 'client'
          ? `No session "${id}" in this client key's scope.`
          : `No session "${id}".`)
        : (e instanceof ApiError ? e.message : String(e))));
      eraseButton.hidden = true;
      bar.hidden = true;
      return undefined;
    }
  });

  eraseButton.addEventListener('click', async () => {
    const ok = await confirmErasure(`Erase session ${id}?`,
      'Every record of this session that this credential can see is deleted, records still queued included. This cannot be undone.',
      'Erase session');
    if (!ok) {
      eraseButton.focus();
      return;
    }
    try {
      const done = await erase(`/v1/history/sessions/${encodeURIComponent(id)}`);
      flash(`Session ${id} erased: ${done.records} record(s) deleted.`);
      go('/ui/sessions');
    } catch (e) {
      status.replaceChildren(message('error', e instanceof ApiError ? e.message : String(e)));
    }
  });

  const section = h('section', { class: 'session-view' },
    h('div', { class: 'title-row' }, h('h1', {}, 'Session ', h('span', { class: 'id' }, id)), eraseButton),
    summary, status, turns, bar);
  await start();
  return section;
}
