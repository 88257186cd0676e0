// Small DOM helpers. Text always goes in as text (never as markup), so nothing a prompt or an
// answer contains can become part of the page.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child instanceof Node) {
      element.appendChild(child);
    } else if (child !== undefined && child !== null) {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
  return element;
}

/** A link inside the page: the app's router handles it without reloading. */
export function link(path, text, attributes = {}) {
  return h('a', { ...attributes, href: path }, text);
}

export function message(kind, text) {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function badge(status) {
  const value = status || 'UNKNOWN';
  return h('span', { class: `badge badge-${value.toLowerCase()}`, title: `X-Cache-Status: ${value}` }, value);
}

const two = (n) => String(n).padStart(2, '0');

/** Local time as YYYY-MM-DD HH:MM:SS (the tooltip keeps the instant as stored). */
export function time(iso) {
  if (!iso) {
    return h('span', {}, '—');
  }
  const d = new Date(iso);
  const text = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, text);
}

export function number(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

export function percent(ratio) {
  return `${(ratio * 100).toFixed(1)} %`;
}

export function usd(amount) {
  const value = Number(amount || 0);
  if (value === 0) {
    return '$0.00';
  }
  return `$${value < 0.01 ? value.toFixed(6) : value.toFixed(2)}`;
}

export function sessionPath(id) {
  return `/ui/sessions/${encodeURIComponent(id)}`;
}

export function userPath(id) {
  return `/ui/users/${encodeURIComponent(id)}`;
}
