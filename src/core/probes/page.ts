/**
 * A console page, fetched as a browser would before it opens the websocket:
 * a plain GET with no credentials (a console proxy takes none; the token is
 * in the URL). websockify serves the pages from its --web directory without
 * looking at the token, so a 200 says the proxy is up and has the page, not
 * that the token is good (websockify/websockifyserver.py, nova/cmd/baseproxy.py).
 */
import { OsconsoleError } from '../../errors.js';
import type { HttpClient } from '../../http/client.js';
import { statusLine } from '../../http/client.js';
import { connectFailure } from '../../http/websocket.js';
import { hostOf } from '../../http/url.js';
import { quoted } from '../../text.js';
import type { ProbeStep, StepName } from './steps.js';
import { failed, passed } from './steps.js';

export interface Fetched {
  step: ProbeStep;
  /** The body of a 200, for callers that read it (a .vv file). */
  body?: string;
  headers?: Record<string, string>;
}

/** GET `url`; a 2xx passes, anything else fails with the status or the transport failure. */
export async function fetchPage(http: HttpClient, url: string, name: StepName, accept: string): Promise<Fetched> {
  try {
    const res = await http.request({ method: 'GET', url, headers: { Accept: accept } });
    return {
      step: passed(name, `${statusLine(res.status)}${describePage(url, res.headers)}`),
      body: res.text,
      headers: res.headers,
    };
  } catch (err) {
    if (!(err instanceof OsconsoleError)) throw err;
    if (err.http) {
      const h = err.http.headers ?? {};
      return {
        step: failed(name, `${statusLine(err.http.status)}${describePage(url, h)}: ${quoted(err.http.message, 80)}`, {
          kind: 'status',
          status: err.http.status,
          statusText: statusLine(err.http.status),
          body: err.http.message,
          contentType: h['content-type'] ?? '',
        }),
      };
    }
    if (err.code !== 'E_NETWORK') throw err;
    const failure = connectFailure(err.cause ?? err);
    return {
      step: failed(name, `cannot fetch the page from ${hostOf(url)}: ${failure.reason}`, {
        kind: 'connect',
        failure,
        host: hostOf(url),
      }),
    };
  }
}

/** ", vnc_lite.html, Server "WebSockify Python/3.11.2"" */
function describePage(url: string, headers: Record<string, string>): string {
  const file = new URL(url).pathname.split('/').pop();
  const server = headers.server ? `, Server ${quoted(headers.server, 60)}` : '';
  return `${file ? `, ${file}` : ''}${server}`;
}
