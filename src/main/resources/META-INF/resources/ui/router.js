// Navigation inside the page, without reloading it. app.js renders on every change.
export function go(path) {
  history.pushState(null, '', path);
  window.dispatchEvent(new Event('strata:navigate'));
  window.scrollTo(0, 0);
}

/** Replaces the current address (a new search or page) without adding a step to the history. */
export function replace(path) {
  history.replaceState(null, '', path);
}

let pending = null;

/** A message for the next view (after an erasure, say), kept out of the address. */
export function flash(text) {
  pending = text;
}

export function takeFlash() {
  const text = pending;
  pending = null;
  return text;
}
