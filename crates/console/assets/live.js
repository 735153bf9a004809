// Live events. A browser's EventSource cannot send Authorization, so each
// connection opens with a one-time ticket; a ticket cannot be reused, so
// reconnecting is done here (new ticket, resume from the last id seen)
// rather than by EventSource's own retry.

import * as api from './api.js';

const TYPES = [
  'palette.created',
  'palette.updated',
  'palette.deleted',
  'team.updated',
  'team.deleted',
  'member.joined',
  'member.updated',
  'member.left',
  'invitation.created',
  'invitation.revoked',
];
const MAX_DELAY_MS = 30000;

let source = null;
let lastId = null;
let retryTimer = null;
let attempt = 0;
let running = false;
let status = 'off'; // off | connecting | live | down
const listeners = new Set();
const statusListeners = new Set();

/** Receives every event as {type, data, id}; returns an unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Receives the connection status ('connecting', 'live', 'down', 'off'). */
export function onStatus(listener) {
  statusListeners.add(listener);
  listener(status);
  return () => statusListeners.delete(listener);
}

/** Opens the stream (after sign-in). */
export function start() {
  if (running) return;
  running = true;
  lastId = null;
  attempt = 0;
  setStatus('connecting');
  connect();
}

/** Closes the stream (at sign-out). */
export function stop() {
  running = false;
  clearTimeout(retryTimer);
  source?.close();
  source = null;
  setStatus('off');
}

function setStatus(next) {
  if (status === next) return;
  status = next;
  for (const listener of statusListeners) listener(status);
}

function emit(event) {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (error) {
      console.warn('live event handler failed', error);
    }
  }
}

function remember(event) {
  const id = Number(event.lastEventId);
  if (Number.isFinite(id) && event.lastEventId !== '') lastId = id;
}

async function connect() {
  clearTimeout(retryTimer);
  let ticket;
  try {
    ({ data: ticket } = await api.post('/api/events/tickets/'));
  } catch (error) {
    // A 401 ends the session (the api module reports it); anything else is retried.
    if (!(error instanceof api.ApiError && error.status === 401)) retry();
    return;
  }
  if (!running) return;
  const url = new URL('/api/events/', location.origin);
  url.searchParams.set('ticket', ticket.ticket);
  if (lastId !== null) url.searchParams.set('last_event_id', String(lastId));
  const stream = new EventSource(url);
  source = stream;
  stream.addEventListener('ready', (event) => {
    remember(event);
    attempt = 0;
    setStatus('live');
  });
  stream.addEventListener('reset', (event) => {
    remember(event);
    emit({ type: 'reset', data: JSON.parse(event.data), id: lastId });
  });
  for (const type of TYPES) {
    stream.addEventListener(type, (event) => {
      remember(event);
      emit({ type, data: JSON.parse(event.data), id: lastId });
    });
  }
  stream.addEventListener('error', () => {
    if (source !== stream) return;
    // EventSource would retry with the same, now used, ticket: stop it and
    // come back with a new one.
    stream.close();
    source = null;
    retry();
  });
}

function retry() {
  if (!running) return;
  setStatus('down');
  const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt) * (0.75 + Math.random() / 2);
  attempt = Math.min(attempt + 1, 10);
  retryTimer = setTimeout(connect, delay);
}

// Offline: the stream cannot be live, whatever the socket says yet.
window.addEventListener('offline', () => {
  if (!running) return;
  source?.close();
  source = null;
  clearTimeout(retryTimer);
  setStatus('down');
});

// Back online: try at once rather than wait out the back-off.
window.addEventListener('online', () => {
  if (running && status === 'down') {
    attempt = 0;
    connect();
  }
});
