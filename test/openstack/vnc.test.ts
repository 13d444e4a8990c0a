/**
 * The VNC console through real Nova 26 (Zed): nova-novncproxy in front of the tier's Xvnc,
 * on the wire and with osconsole's tunnel, check and view (test/openstack/vnc-suite.ts).
 */
import { describe } from 'vitest';
import { describeReal } from './realcloud.js';
import { WEBSOCKIFY_0_10 } from './serial-suite.js';
import { vncClientTests, vncProxyTests } from './vnc-suite.js';

describeReal('real nova-novncproxy (Zed)', (f) => {
  describe('on the wire', () => vncProxyTests(f, 'vnc/zed', WEBSOCKIFY_0_10));
  describe('osconsole with real VNC clients', () => vncClientTests(f));
});
