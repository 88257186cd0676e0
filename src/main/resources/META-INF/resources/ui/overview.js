import { ApiError, get } from './api.js';
import { h, message, number, percent, svg, usd } from './dom.js';

const STATUSES = ['HIT-NEAR', 'HIT-L1', 'HIT-L2', 'STALE', 'COALESCED', 'MISS', 'BYPASS'];

export async function overviewView() {
  const section = h('section', { class: 'overview' }, h('h1', {}, 'Overview'));
  let data;
  try {
    data = await get('/v1/history/overview');
  } catch (e) {
    section.append(message('error', e instanceof ApiError ? e.message : String(e)));
    return section;
  }
  if (data.credential === 'client') {
    section.append(message('info', 'The overview shows the whole deployment\'s counters: sign in with the history or admin token to see it. A client key reads its own sessions.'));
    return section;
  }
  const total = data.requests_total;
  const served = total - (data.requests_since_start.MISS || 0) - (data.requests_since_start.BYPASS || 0);
  const tokens = data.tokens;
  section.append(
    h('p', { class: 'help' }, 'Strata\'s own counters since this instance started.'),
    h('div', { class: 'cards' },
      card('Requests', number(total), 'proxied since start'),
      card('Served without the provider', total === 0 ? '—' : percent(served / total), 'hits, stale and coalesced answers'),
      card('Tokens served from cache', number(tokens.cache_prompt + tokens.cache_completion),
        `${number(tokens.cache_prompt)} prompt, ${number(tokens.cache_completion)} completion`),
      card('Estimated money saved', usd(data.cost_usd.saved), `provider billed ${usd(data.cost_usd.billed)}`)),
    layers(data.layers),
    timeline(data.timeline));
  return section;
}

function card(title, value, note) {
  return h('div', { class: 'card' }, h('h2', {}, title), h('p', { class: 'figure' }, value), h('p', { class: 'note' }, note));
}

function layers(list) {
  const rows = list.map((layer) => h('div', { class: 'layer' },
    h('span', { class: 'layer-name' }, layer.layer),
    layer.enabled
      ? h('meter', { min: '0', max: '1', value: String(layer.hit_ratio), 'aria-label': `${layer.layer} hit ratio` })
      : h('span', { class: 'off' }, 'off'),
    h('span', { class: 'layer-figure' }, layer.enabled
      ? `${percent(layer.hit_ratio)} (${number(layer.hits)} of ${number(layer.lookups)} lookups)`
      : 'not enabled')));
  return h('section', { class: 'panel' }, h('h2', {}, 'Hit ratio per layer'),
    h('p', { class: 'help' }, 'Among the lookups that reached the layer (a layer\'s misses go on to the next one).'),
    rows);
}

/** A stacked bar per minute, drawn as SVG from the counters' buckets. */
function timeline(series) {
  const buckets = series.buckets;
  const width = 720;
  const height = 180;
  const pad = 28;
  const max = Math.max(1, ...buckets.map((b) => STATUSES.reduce((sum, s) => sum + (b.requests[s] || 0), 0)));
  // A fixed number of slots (the hour kept, and the open minute), newest at the right edge.
  const slots = Math.max(buckets.length, 61);
  const barWidth = (width - pad) / slots;
  const offset = slots - buckets.length;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 20}`, class: 'chart', role: 'img',
    'aria-label': `Requests by cache status per ${series.bucket_seconds} seconds, the last ${buckets.length} buckets` });
  chart.append(svg('line', { x1: pad, y1: height, x2: width, y2: height, class: 'axis' }));
  chart.append(svg('text', { x: 0, y: 12, class: 'tick' }, number(max)));
  chart.append(svg('text', { x: 0, y: height, class: 'tick' }, '0'));
  buckets.forEach((bucket, i) => {
    let y = height;
    for (const status of STATUSES) {
      const count = bucket.requests[status] || 0;
      if (count === 0) {
        continue;
      }
      const barHeight = (count / max) * (height - 16);
      y -= barHeight;
      const rect = svg('rect', { x: pad + (offset + i) * barWidth + 1, y, width: Math.max(barWidth - 2, 1), height: barHeight,
        class: `bar bar-${status.toLowerCase()}` });
      rect.append(svg('title', {}, `${new Date(bucket.start).toLocaleTimeString()}: ${count} ${status}`));
      chart.append(rect);
    }
  });
  if (buckets.length > 0) {
    chart.append(svg('text', { x: pad + offset * barWidth, y: height + 16, class: 'tick' }, new Date(buckets[0].start).toLocaleTimeString()));
    chart.append(svg('text', { x: width, y: height + 16, class: 'tick end' }, 'now'));
  }
  const legend = h('ul', { class: 'legend' }, STATUSES.map((s) => h('li', {}, h('span', { class: `swatch bar-${s.toLowerCase()}` }), s)));
  const table = h('table', {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Minute from'), STATUSES.map((s) => h('th', { scope: 'col' }, s)))),
    h('tbody', {}, buckets.slice().reverse().filter((b) => STATUSES.some((s) => b.requests[s] > 0)).map((b) =>
      h('tr', {}, h('td', {}, new Date(b.start).toLocaleTimeString()), STATUSES.map((s) => h('td', { class: 'num' }, number(b.requests[s])))))));
  return h('section', { class: 'panel' }, h('h2', {}, 'Requests by cache status over time'),
    h('figure', {}, chart, h('figcaption', {}, legend)),
    h('details', {}, h('summary', {}, 'As a table'), h('div', { class: 'scroll' }, table)));
}
