/**
 * `osconsole console attach` when the session ends without the user: the
 * proxy closes it (migration, deletion, session timeout), the connection
 * drops, a token is refused after the 101, or another client holds the port.
 */
import { describe, expect, it } from 'vitest';
import { rawClient, useAttach, waitUntil } from '../helpers/attach.js';
import { expectExit } from '../helpers/cli.js';
import { SERVER_IDS } from '../sim/index.js';

const h = useAttach();

describe('reconnects', () => {
  it('a live migration closes the session (1000): a fresh console, reconnected, input flows again', async () => {
    await h.start();
    const run = h.attach(['web-1']);
    await run.waitStdout(/login: $/);
    h.sim.liveMigrate(SERVER_IDS.web1);
    await run.waitStderr(/reconnected/);
    run.stdin.write('after\r');
    await run.waitStdout(/after/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(/the console proxy closed the session \(1000/);
    expect(h.consolesCreated()).toBe(2);
    // Each connection woke the getty once.
    expect(h.web1().received.toString()).toBe('\r\rafter\r');
  });

  it('--no-reconnect: a normal close ends the session with exit 0', async () => {
    await h.start();
    const run = h.attach(['web-1', '--no-reconnect']);
    await run.waitStdout(/login: $/);
    h.sim.liveMigrate(SERVER_IDS.web1);
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(/closed the session \(1000: Target closed; .*\); not reconnecting \(--no-reconnect\)/);
    expect(h.consolesCreated()).toBe(1);
  });

  it('--no-reconnect: a server deleted while attached is still exit 4', async () => {
    await h.start();
    const run = h.attach(['web-1', '--no-reconnect']);
    await run.waitStdout(/login: $/);
    h.sim.deleteServer(SERVER_IDS.web1);
    const r = await run.done;
    expectExit(r, 4);
    expect(r.stderr).toMatch(/is gone \(deleted\)/);
  });

  it('a proxy that drops every session: 5 reconnects in a row with backoff, then exit 7 (a prompt per connect is not progress)', async () => {
    await h.start();
    const run = h.attach(['web-1']);
    let over = false;
    void run.done.then(() => (over = true));
    let seen = 0;
    while (!over) {
      // Each session first answers the wake-up (so the drop is not a refused token), then drops.
      await waitUntil(() => over || (h.sim.serialSessions(SERVER_IDS.web1).length === 1 && run.stdout().length > seen));
      seen = run.stdout().length;
      if (!over) h.sim.dropConsoleSessions();
    }
    const r = await run.done;
    expectExit(r, 7);
    expect(r.stderr).toMatch(/gave up after 5 reconnects in a row/);
    expect(r.sleeps).toEqual([250, 500, 1000, 2000, 4000]);
    expect(h.consolesCreated()).toBe(6);
  });

  it('a dropped connection (no close frame) is retried with backoff; --no-reconnect makes it exit 7', async () => {
    await h.start();
    const run = h.attach(['web-1']);
    await run.waitStdout(/login: $/);
    expect(h.sim.dropConsoleSessions()).toBe(1);
    await run.waitStderr(/reconnected/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(
      /the connection to the console proxy dropped \(no close frame\); reconnecting in 0\.25 s \(1 of 5\)/,
    );

    const again = h.attach(['web-1', '--no-reconnect']);
    await again.waitStdout(/login: $/);
    h.sim.dropConsoleSessions();
    const r2 = await again.done;
    expectExit(r2, 7);
    expect(r2.stderr).toMatch(/dropped \(no close frame\); not reconnecting \(--no-reconnect\)/);
  });

  it('a token refused after the 101 (expired in between) is explained and replaced once', async () => {
    await h.start({ consoleTokenTtlSeconds: 60 });
    // Holds the upgrade long enough to let the token expire before the proxy checks it.
    h.sim.addFault({ match: { path: '/console/serial/' }, times: 1, action: { kind: 'latency', ms: 400 } });
    const run = h.attach(['web-1', '--for', '4s']);
    await waitUntil(() => h.upgrades().length === 1);
    h.sim.advance(61);
    await run.waitStdout(/login: $/);
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toContain('the console token was refused (expired, migrated, or Origin); trying a fresh console');
    expect(h.consolesCreated()).toBe(2);
  });

  it('tokens refused twice in a row: exit 7 naming the likely causes', async () => {
    await h.start({ consoleTokenTtlSeconds: 60 });
    h.sim.addFault({ match: { path: '/console/serial/' }, times: 2, action: { kind: 'latency', ms: 400 } });
    const run = h.attach(['web-1']);
    await waitUntil(() => h.upgrades().length === 1);
    h.sim.advance(61);
    await waitUntil(() => h.upgrades().length === 2);
    h.sim.advance(61);
    const r = await run.done;
    expectExit(r, 7);
    expect(r.stderr).toMatch(/refused a fresh console token too \(expired, migrated, or Origin\)/);
  });

  it('with [consoleauth] enforce_session_timeout the proxy ends the session at the token expiry; attach reconnects', async () => {
    await h.start({ consoleTokenTtlSeconds: 30, enforceSessionTimeout: true });
    const run = h.attach(['web-1']);
    await run.waitStdout(/login: $/);
    h.sim.advance(31);
    await run.waitStderr(/reconnected/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    // nova closes the target socket at the expiry; the client's connection drops with no close frame.
    expect(r.stderr).toMatch(/the connection to the console proxy dropped \(no close frame\); reconnecting/);
    expect(h.consolesCreated()).toBe(2);
  });

  it('a server deleted while attached ends with exit 4', async () => {
    await h.start();
    const run = h.attach(['web-1']);
    await run.waitStdout(/login: $/);
    h.sim.deleteServer(SERVER_IDS.web1);
    const r = await run.done;
    expectExit(r, 4);
    expect(r.stderr).toMatch(/server "web-1" \(cdee62cc-[0-9a-f-]+\) is gone \(deleted\)/);
  });
});

describe('one client per serial port', () => {
  it('a second client hears nothing until the first leaves: attach says why, then gets the output', async () => {
    await h.start();
    const first = await rawClient((await h.consoleUrl()) as string);
    const run = h.attach(['web-1']);
    await run.waitStderr(/another client may be attached to this serial port/, 6000);
    expect(run.stdout().length).toBe(0);
    first.close();
    await run.waitStdout(/login: $/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
  });
});
