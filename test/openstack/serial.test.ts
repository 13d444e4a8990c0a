/**
 * The serial console through real Nova 26 (Zed): nova-serialproxy in front of the tier's
 * serial guest, on the wire and with `osconsole console attach` (test/openstack/serial-suite.ts).
 */
import { describe } from 'vitest';
import { describeReal } from './realcloud.js';
import { WEBSOCKIFY_0_10, serialAttachTests, serialProxyTests } from './serial-suite.js';

describeReal('real nova-serialproxy (Zed)', (f) => {
  describe('on the wire', () => serialProxyTests(f, 'serial/zed', WEBSOCKIFY_0_10));
  describe('osconsole console attach', () => serialAttachTests(f));
});
