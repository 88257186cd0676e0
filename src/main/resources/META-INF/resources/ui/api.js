// The history API as the signed-in credential sees it. The credential lives in this tab's
// session storage only: it is sent in the Authorization header, never placed in a URL.

const TOKEN = 'strata.token';
const CREDENTIAL = 'strata.credential';

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function credential() {
  return sessionStorage.getItem(CREDENTIAL);
}

export function signedIn() {
  return sessionStorage.getItem(TOKEN) !== null && credential() !== null;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(CREDENTIAL);
}

async function call(path, token, method = 'GET') {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'Strata did not answer. Is it running, and is this page served by it?', 'unreachable');
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : {};
    throw new ApiError(response.status, error.message || `Strata answered ${response.status}.`, error.code);
  }
  return body;
}

/** Checks the token and learns what it is (history, admin or client); stores it only when accepted. */
export async function signIn(token) {
  const trimmed = token.trim();
  if (trimmed === '') {
    throw new ApiError(400, 'Type the history token, the admin token or a client key.', 'empty');
  }
  let overview;
  try {
    overview = await call('/v1/history/overview', trimmed);
  } catch (e) {
    if (e.status === 401) {
      throw new ApiError(401, 'Strata did not accept this token. Use the history token, the admin token or one of the client keys.', e.code);
    }
    throw e;
  }
  sessionStorage.setItem(TOKEN, trimmed);
  sessionStorage.setItem(CREDENTIAL, overview.credential);
  return overview.credential;
}

export function get(path) {
  return call(path, sessionStorage.getItem(TOKEN) || '');
}

export function erase(path) {
  return call(path, sessionStorage.getItem(TOKEN) || '', 'DELETE');
}

/** A query string from the defined values only. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
