/**
 * The parts of undici a request needs, loaded without undici's index, which
 * also loads fetch, WebSocket, caches, mocks and the SQLite cache store (about
 * 40 ms more at every start). This does what the index does for them: it
 * mixes the request API into Dispatcher (undici index.js `Object.assign`).
 */
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';
import api from 'undici/lib/api/index.js';

Object.assign(Dispatcher.prototype, api);

export { Agent, ProxyAgent };
