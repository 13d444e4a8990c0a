/**
 * The websocket upgrade as a step. websockify answers 400 before the
 * upgrade only for handshake errors, with the reason as the status text
 * ("Invalid protocol selected", "Missing Sec-WebSocket-Version header");
 * it picks the subprotocol `binary` when offered (websockify/websocket.py
 * accept, websockifyserver.py select_subprotocol). Everything nova checks
 * (token, Origin, backend) comes after the 101.
 */
import type { WebSocketProbe } from '../../http/websocket.js';
import { hostOf } from '../../http/url.js';
import { quoted } from '../../text.js';
import type { ProbeStep, StepName } from './steps.js';
import { failed, passed } from './steps.js';

export function upgradeStep(name: StepName, p: WebSocketProbe, url: string, origin?: string): ProbeStep {
  const with_ = origin ? ` with Origin ${origin}` : '';
  switch (p.kind) {
    case 'failed':
      return failed(name, `cannot connect to ${hostOf(url)}${with_}: ${p.failure.reason}`, {
        kind: 'connect',
        failure: p.failure,
        host: hostOf(url),
      });
    case 'http': {
      const text = p.statusText ? ` ${quoted(p.statusText, 80)}` : '';
      return failed(name, `HTTP ${p.status}${text} instead of 101${with_}`, {
        kind: 'status',
        status: p.status,
        statusText: p.statusText,
        body: p.body,
        contentType: p.headers['content-type'] ?? '',
      });
    }
    case 'open':
      if (!p.acceptValid)
        return failed(name, `101 with a wrong Sec-WebSocket-Accept${with_}: not a websocket server`, {
          kind: 'not-websocket',
        });
      if (p.protocol !== '' && p.protocol !== 'binary')
        return failed(name, `101, but subprotocol ${quoted(p.protocol)} instead of binary${with_}`, {
          kind: 'subprotocol',
          got: p.protocol,
        });
      return passed(
        name,
        `101 Switching Protocols${with_}, ${p.protocol ? `subprotocol ${p.protocol}` : 'no subprotocol (binary frames)'}`,
      );
  }
}
