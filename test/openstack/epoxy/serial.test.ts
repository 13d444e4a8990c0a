/**
 * The serial console through real Nova 31 (Epoxy): nova-serialproxy in front of the tier's
 * serial guest, on the wire and with `osconsole console attach` (test/openstack/serial-suite.ts).
 */
import { describe } from 'vitest';
import { describeReal } from '../realcloud.js';
import { WEBSOCKIFY_0_12, serialAttachTests, serialProxyTests } from '../serial-suite.js';

describeReal('real nova-serialproxy (Epoxy)', (f) => {
  describe('on the wire', () => serialProxyTests(f, 'serial/epoxy', WEBSOCKIFY_0_12));
  describe('osconsole console attach', () => serialAttachTests(f));
});
