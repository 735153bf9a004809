// The API client: every call speaks API 2.0 and carries the session's token.

const ACCEPT = 'application/vnd.photoroom+json; version=2.0';

/** An error response, with the problem document's messages by field. */
export class ApiError extends Error {
  constructor(status, problem, response) {
    super(problem?.detail || problem?.title || `Request failed (${status})`);
    this.status = status;
    this.problem = problem ?? null;
    // `errors` is {"field": ["message"]}, items as "colors.2".
    this.fields = problem?.errors ?? {};
    this.retryAfter = Number(response?.headers.get('Retry-After')) || null;
  }
}

/** Network trouble (no response at all). */
export class NetworkError extends Error {}

let credentials = null; // the Authorization header value
let onUnauthorized = () => {};

/** Sets the header value used on every call (`Bearer ...`), or null. */
export function setAuthorization(value) {
  credentials = value;
}

/** Called when a call made with the session's token gets a 401 (token gone). */
export function onSessionLost(handler) {
  onUnauthorized = handler;
}

/** Basic credentials for one call (sign-in, password checks). */
export function basic(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * Calls the API. Options: body (JSON, or a Blob/File sent as is), etag
 * (sent as If-Match), authorization (overrides the session's), query
 * (object), raw (return the Response instead of parsing JSON), signal.
 * Resolves {data, etag, response}; rejects with ApiError or NetworkError.
 */
export async function request(method, path, options = {}) {
  const { body, etag, authorization, query, raw, signal, accept } = options;
  const headers = { Accept: accept ?? ACCEPT };
  const auth = authorization ?? credentials;
  if (auth) headers.Authorization = auth;
  if (etag) headers['If-Match'] = etag;
  let payload;
  if (body instanceof Blob) {
    headers['Content-Type'] = 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  let response;
  try {
    // credentials: 'omit' keeps the browser from showing its own login
    // prompt on a 401 (the API answers with WWW-Authenticate: Basic).
    response = await fetch(url, { method, headers, body: payload, credentials: 'omit', cache: 'no-store', signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new NetworkError('The server cannot be reached. Check your connection and try again.');
  }
  if (!response.ok && response.status !== 304) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      // A body that is not JSON (a proxy's page): the status says enough.
    }
    const error = new ApiError(response.status, problem, response);
    if (response.status === 401 && !authorization && credentials) onUnauthorized(error);
    throw error;
  }
  const result = { response, etag: response.headers.get('ETag') };
  if (raw) return result;
  result.data = response.status === 204 ? null : await response.json();
  return result;
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
export const patch = (path, body, options = {}) => request('PATCH', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

/** Every item of a 2.0 list, following `next_cursor`. */
export async function getAll(path, query = {}, options = {}) {
  const items = [];
  let cursor = null;
  do {
    const { data } = await get(path, { ...options, query: { ...query, limit: 1000, cursor } });
    items.push(...data.items);
    cursor = data.next_cursor;
  } while (cursor);
  return items;
}

/** A human sentence for an error, with the wait for a 429. */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter) {
      return `Too many attempts. Try again in ${error.retryAfter} seconds.`;
    }
    if (error.status === 503) return 'The service is busy or its database is down. Try again shortly.';
    return error.message;
  }
  if (error instanceof NetworkError) return error.message;
  return 'Something went wrong. Reload the page and try again.';
}

/**
 * Shows an ApiError's messages next to fields: `fields` maps API field
 * names to objects with an error(messages) method. Returns the messages
 * that no field took (to show at the form's level).
 */
export function showFieldErrors(error, fields) {
  for (const target of Object.values(fields)) target.error([]);
  if (!(error instanceof ApiError)) return describeError(error);
  const leftover = [];
  let placed = false;
  for (const [name, messages] of Object.entries(error.fields)) {
    const target = fields[name];
    if (target) {
      target.error(messages);
      placed = true;
    } else {
      leftover.push(...messages);
    }
  }
  if (!placed && leftover.length === 0) return describeError(error);
  return leftover.join(' ');
}

/** The file name of a download from its Content-Disposition (UTF-8 form first). */
export function filenameFrom(disposition, fallback) {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // Malformed escapes: fall through to the ASCII name.
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)/.exec(disposition);
  if (plain) return (plain[1] ?? plain[2]).replace(/\\(.)/g, '$1').trim();
  return fallback;
}
