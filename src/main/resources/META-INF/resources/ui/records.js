import { ApiError, get } from './api.js';
import { badge, h, link, message, number, sessionPath, time, userPath } from './dom.js';

/** The text of a message's content: a string, or the text of its parts. */
export function contentText(content) {
  if (content === null || content === undefined) {
    return '';
  }
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'string' ? part : part && part.text !== undefined ? part.text : `[${part && part.type}]`)).join('\n');
  }
  return JSON.stringify(content);
}

/** The request's messages (chat), or its prompt/input as one user message. */
function promptMessages(record) {
  const prompt = record.prompt;
  if (Array.isArray(prompt) && prompt.every((m) => m && typeof m === 'object' && 'role' in m)) {
    return prompt.map((m) => ({ role: m.role, text: contentText(m.content) }));
  }
  if (prompt === null || prompt === undefined) {
    return [];
  }
  return [{ role: 'input', text: Array.isArray(prompt) ? prompt.map(contentText).join('\n') : contentText(prompt) }];
}

function answer(record) {
  const r = record.response;
  if (r === null || r === undefined) {
    return null;
  }
  if (r.error) {
    return { role: 'error', text: r.error.message || JSON.stringify(r.error) };
  }
  if (Array.isArray(r.choices)) {
    const texts = r.choices.map((c) => {
      if (c.message) {
        const calls = Array.isArray(c.message.tool_calls) ? c.message.tool_calls.map((t) => `[tool call ${t.function ? t.function.name : t.type}]`) : [];
        return [contentText(c.message.content), ...calls].filter((t) => t !== '').join('\n');
      }
      return c.text !== undefined ? c.text : '';
    });
    return { role: 'assistant', text: texts.join('\n— next choice —\n') };
  }
  if (Array.isArray(r.data)) {
    return { role: 'answer', text: `${r.data.length} ${r.object === 'list' && r.data[0] && r.data[0].object === 'embedding' ? 'embedding vector(s)' : 'item(s)'}` };
  }
  return { role: 'answer', text: JSON.stringify(r) };
}

function parameters(record) {
  const p = record.parameters;
  if (!p || typeof p !== 'object' || Object.keys(p).length === 0) {
    return null;
  }
  return h('ul', { class: 'parameters', 'aria-label': 'Parameters' },
    Object.entries(p).map(([name, value]) => h('li', {}, h('span', { class: 'name' }, name), ' ',
      h('code', {}, typeof value === 'string' ? value : JSON.stringify(value)))));
}

function tokens(m) {
  if (m.prompt_tokens === null && m.completion_tokens === null) {
    return '—';
  }
  return `${number(m.prompt_tokens)} → ${number(m.completion_tokens)}`;
}

function providerStatus(m) {
  const own = `${m.status}`;
  return m.upstream_status === null || m.upstream_status === undefined ? `${own} (provider not called)` : `${own} (provider ${m.upstream_status})`;
}

/** The record itself, fetched when asked for. */
function raw(record) {
  const pre = h('pre', { class: 'raw', tabindex: '0' });
  const details = h('details', { class: 'raw-record' }, h('summary', {}, 'Raw record'), pre);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) {
      return;
    }
    loaded = true;
    pre.textContent = 'Loading…';
    try {
      pre.textContent = JSON.stringify(await get(`/v1/history/records/${encodeURIComponent(record.id)}`), null, 2);
    } catch (e) {
      loaded = false;
      pre.replaceChildren(message('error', e instanceof ApiError ? e.message : String(e)));
    }
  });
  return details;
}

/** One exchange as a conversation turn: what was asked, what came back, and how it was served. */
export function turn(record, number_, { showSession = false } = {}) {
  const m = record.metadata || {};
  const messages = promptMessages(record);
  const reply = answer(record);
  const facts = h('dl', { class: 'facts' },
    fact('Requested', record.model_requested || '—'),
    fact('Reported', record.model_version || '—'),
    fact('Latency', `${number(m.latency_ms)} ms`),
    fact('Tokens', tokens(m)),
    fact('Status', providerStatus(m)));
  const header = h('header', { class: 'turn-head' },
    h('span', { class: 'turn-number' }, `#${number_}`),
    badge(m.cache_status),
    time(record.timestamp),
    h('span', { class: 'endpoint' }, record.endpoint),
    showSession && record.session_id ? link(sessionPath(record.session_id), `session ${record.session_id}`, { class: 'id' }) : null,
    !showSession && record.user_id ? link(userPath(record.user_id), `user ${record.user_id}`, { class: 'id' }) : null);
  const body = m.content_unavailable
    ? [message('info', 'The prompt and answer of this record cannot be opened (its encryption key is not configured).')]
    : [
      record.prompt_sent ? h('p', { class: 'help' }, `${record.prompt_sent.length - messages.length} stored message(s) were placed before these (continuation).`) : null,
      record.prompt === null && record.response === null ? h('p', { class: 'help' }, 'Prompt and answer not stored (metadata-only history).') : null,
      h('ol', { class: 'messages' }, messages.map((msg) => h('li', { class: `msg role-${msg.role}` },
        h('span', { class: 'role' }, msg.role), h('div', { class: 'text' }, msg.text)))),
      reply ? h('div', { class: `msg reply role-${reply.role}` }, h('span', { class: 'role' }, reply.role), h('div', { class: 'text' }, reply.text)) : null,
    ];
  return h('article', { class: 'turn', 'data-record-id': record.id, 'aria-label': `Turn ${number_}, ${m.cache_status}` },
    header, facts, parameters(record), body, raw(record));
}

function fact(name, value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, value));
}
