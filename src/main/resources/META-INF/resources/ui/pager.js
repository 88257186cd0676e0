import { h } from './dom.js';

export const WINDOWS = [
  ['1h', 'Last hour', 3600e3],
  ['24h', 'Last 24 hours', 86400e3],
  ['7d', 'Last 7 days', 7 * 86400e3],
  ['30d', 'Last 30 days', 30 * 86400e3],
  ['all', 'All time', null],
];

export function windowStart(name) {
  const found = WINDOWS.find(([id]) => id === name);
  return found && found[2] !== null ? new Date(Date.now() - found[2]).toISOString() : null;
}

export function windowSelect(id, selected) {
  return h('select', { id, name: id }, WINDOWS.map(([value, label]) =>
    h('option', { value, selected: value === selected }, label)));
}

/**
 * Keyset pages: the cursors of the pages seen so far, so Previous goes back to the exact page
 * and Next goes on from the last record shown. load(cursor) renders a page and answers its next_cursor.
 */
export function pages(name, load) {
  const cursors = [null];
  let index = 0;
  let next = null;
  const previous = h('button', { type: 'button', class: 'quiet', 'data-page': 'previous' }, '← Previous');
  const following = h('button', { type: 'button', class: 'quiet', 'data-page': 'next' }, 'Next →');
  const where = h('span', { class: 'page-number', 'aria-live': 'polite' });
  const bar = h('nav', { class: 'pager', 'aria-label': `${name} pages` }, previous, where, following);

  async function show(at) {
    previous.disabled = true;
    following.disabled = true;
    const answered = await load(cursors[at], at);
    if (answered === undefined) {
      return; // failed: the message is shown, the pager stays put
    }
    index = at;
    next = answered;
    if (next !== null) {
      cursors[index + 1] = next;
    }
    previous.disabled = index === 0;
    following.disabled = next === null;
    where.textContent = `Page ${index + 1}`;
    bar.hidden = index === 0 && next === null; // one page: nothing to move to
  }

  previous.addEventListener('click', () => show(index - 1));
  following.addEventListener('click', () => show(index + 1));
  return { bar, start: () => show(0) };
}
