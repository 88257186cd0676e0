import { ApiError, erase, get, query } from './api.js';
import { confirmErasure } from './confirm.js';
import { h, message } from './dom.js';
import { pages, windowSelect, windowStart } from './pager.js';
import { flash, go } from './router.js';
import { turn } from './records.js';

const PAGE_SIZE = 50;

export async function userView(id, params) {
  const windowName = params.get('window') || 'all';
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const records = h('div', { class: 'turns' });
  const eraseButton = h('button', { type: 'button', class: 'danger', id: 'erase-user' }, 'Erase user…');
  const windowPick = windowSelect('user-window', windowName);
  windowPick.addEventListener('change', () => go(`/ui/users/${encodeURIComponent(id)}${query({ window: windowPick.value })}`));

  const { bar, start } = pages('Records', async (cursor, index) => {
    status.replaceChildren(message('info', 'Loading…'));
    try {
      const page = await get(`/v1/history/users/${encodeURIComponent(id)}${query({ from: windowStart(windowName), limit: PAGE_SIZE, cursor })}`);
      records.replaceChildren(...page.data.map((record, i) => turn(record, index * PAGE_SIZE + i + 1, { showSession: true })));
      status.replaceChildren(page.data.length === 0 ? message('info', `No records of user "${id}" in that time window.`) : '');
      return page.next_cursor;
    } catch (e) {
      status.replaceChildren(message('error', e instanceof ApiError ? e.message : String(e)));
      return undefined;
    }
  });

  eraseButton.addEventListener('click', async () => {
    const ok = await confirmErasure(`Erase everything of user ${id}?`,
      'Every record of this user that this credential can see is deleted, in every session, records still queued included. This cannot be undone.',
      'Erase user');
    if (!ok) {
      eraseButton.focus();
      return;
    }
    try {
      const done = await erase(`/v1/history/users/${encodeURIComponent(id)}`);
      flash(`User ${id} erased: ${done.records} record(s) deleted.`);
      go('/ui/sessions');
    } catch (e) {
      status.replaceChildren(message('error', e instanceof ApiError ? e.message : String(e)));
    }
  });

  const section = h('section', { class: 'user-view' },
    h('div', { class: 'title-row' }, h('h1', {}, 'User ', h('span', { class: 'id' }, id)), eraseButton),
    h('p', { class: 'help' }, 'Records newest first, across sessions.'),
    h('div', { class: 'search' }, h('div', { class: 'field' }, h('label', { for: 'user-window' }, 'Time window'), windowPick)),
    status, records, bar);
  await start();
  return section;
}
