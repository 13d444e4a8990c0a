/**
 * os-getConsoleOutput as real Nova answers it (Zed and Epoxy), recorded as
 * fixtures that test/sim/reality*.test.ts replay against the simulator.
 * Sources: nova/api/openstack/compute/console_output.py (404/409/501, the
 * control-character strip), schemas/console_output.py (`length`: integer,
 * "-?[0-9]+" string or null, minimum -1, no other key), compute/manager.py
 * _tail_log, nova/virt/fake.py get_console_output ('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE'),
 * compute/api.py get_console_output's @check_instance_host (no host: InstanceNotReady, 409).
 */
import { describe, expect, it } from 'vitest';
import type { Exchange } from './realcloud.js';
import { call } from './realcloud.js';

export interface ConsoleOutputTier {
  v21: string;
  server: string;
  tokens: () => { demo: string; reader: string; admin: string };
  /** The tier's image and flavor (the demo server's), to boot a server that gets no host. */
  imageId: string;
  flavorId: string;
  /** '' for Zed's fixtures, 'epoxy/' for Epoxy's. */
  prefix: string;
  /** What a reader gets: 200 under Zed's legacy policy defaults, 403 once the 2023.1 defaults are enforced. */
  readerStatus: 200 | 403;
}

const FAKE = 'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE';

export function consoleOutputSuite(t: ConsoleOutputTier): void {
  describe('console output (POST /servers/{id}/action os-getConsoleOutput)', () => {
    const output = (
      inner: unknown,
      name: string,
      description: string,
      as: 'demo' | 'reader' | 'admin' = 'demo',
      server = t.server,
      placeholder = '<unknown_server_id>',
    ) =>
      call(
        `${t.v21}/servers/${server}/action`,
        { token: t.tokens()[as], body: { 'os-getConsoleOutput': inner } },
        {
          name: `${t.prefix}nova-console-output-${name}`,
          description,
          as,
          ...(server === t.server ? {} : { replace: { [server]: placeholder } }),
        },
      );
    const expect400 = (r: Exchange, message: string) => {
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message } });
    };

    it.each([
      ['all', {}, FAKE],
      ['length-null', { length: null }, FAKE],
      ['length-2', { length: 2 }, 'ANOTHER\nLAST LINE'],
      ['length-2-string', { length: '2' }, 'ANOTHER\nLAST LINE'],
      ['length-1', { length: 1 }, 'LAST LINE'],
      ['length-0', { length: 0 }, ''],
      ['length-minus-1', { length: -1 }, 'ANOTHER\nLAST LINE'],
      ['length-9', { length: 9 }, FAKE],
    ])('%s: %j → 200 {"output"} with _tail_log applied', async (name, inner, want) => {
      const r = await output(inner, name, `os-getConsoleOutput ${JSON.stringify(inner)}: 200`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ output: want });
    });

    it('400s from the schema: below the minimum, not a number string, a float, an extra key, not an object', async () => {
      expect400(
        await output({ length: -2 }, 'length-minus-2-400', 'length -2: 400'),
        'Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1',
      );
      expect400(
        await output({ length: 'abc' }, 'length-abc-400', 'length "abc": 400'),
        "Invalid input for field/attribute length. Value: abc. 'abc' does not match '^-?[0-9]+$'",
      );
      expect400(
        await output({ length: 1.5 }, 'length-float-400', 'length 1.5: 400'),
        "Invalid input for field/attribute length. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'",
      );
      expect400(
        await output({ length: 1, x: 1 }, 'extra-key-400', 'an extra key: 400'),
        "Invalid input for field/attribute os-getConsoleOutput. Value: {'length': 1, 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
      );
      expect400(
        await output(5, 'not-object-400', 'not an object: 400'),
        "Invalid input for field/attribute os-getConsoleOutput. Value: 5. 5 is not of type 'object'",
      );
    });

    it('an unknown server: 404', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      const r = await output({}, 'server-404', 'unknown server: 404', 'demo', id);
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    });

    it('a server with no host (admin forced it onto a host that does not exist: NoValidHost, ERROR): 409', async () => {
      // compute/api.py: get_console_output is @check_instance_host(): no instance.host raises
      // InstanceNotReady, which console_output.py turns into a 409. Forcing a host
      // (availability_zone "nova:<host>") is admin-only, so the server is admin's.
      const admin = t.tokens().admin;
      const created = await call(`${t.v21}/servers`, {
        token: admin,
        microversion: 'compute 2.37',
        body: {
          server: {
            name: 'osconsole-no-host',
            imageRef: t.imageId,
            flavorRef: t.flavorId,
            networks: 'none',
            availability_zone: 'nova:osconsole-no-such-host',
          },
        },
      });
      expect(created.status, created.text).toBe(202);
      const id: string = created.json.server.id;
      const show = () => call(`${t.v21}/servers/${id}`, { token: admin });
      try {
        let s = await show();
        for (let i = 0; i < 120 && s.status === 200 && s.json.server.status === 'BUILD'; i++) {
          await new Promise((res) => setTimeout(res, 250));
          s = await show();
        }
        expect(s.status).toBe(200);
        expect(s.json.server.status).toBe('ERROR');
        expect(s.json.server['OS-EXT-SRV-ATTR:host']).toBeNull();
        expect(s.json.server.fault.message).toMatch(/^No valid host was found/);
        const r = await output(
          {},
          'no-host-409',
          'a server with no host (ERROR after NoValidHost), as its owner admin: 409',
          'admin',
          id,
          '<no_host_server_id>',
        );
        expect(r.status).toBe(409);
        expect(r.json).toEqual({ conflictingRequest: { code: 409, message: `Instance ${id} is not ready` } });
      } finally {
        const d = await call(`${t.v21}/servers/${id}`, { method: 'DELETE', token: admin });
        expect(d.status).toBe(204);
        let gone = await show();
        for (let i = 0; i < 120 && gone.status !== 404; i++) {
          await new Promise((res) => setTimeout(res, 250));
          gone = await show();
        }
        expect(gone.status).toBe(404);
      }
    });

    it(`a reader: ${t.readerStatus}`, async () => {
      const r = await output({ length: 1 }, 'reader', `a reader: ${t.readerStatus}`, 'reader');
      expect(r.status).toBe(t.readerStatus);
      if (t.readerStatus === 200) expect(r.json).toEqual({ output: 'LAST LINE' });
      else
        expect(r.json).toEqual({
          forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-console-output to be performed." },
        });
    });
  });
}
