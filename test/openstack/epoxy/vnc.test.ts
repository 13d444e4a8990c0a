/**
 * The VNC console through real Nova 31 (Epoxy): nova-novncproxy (in the chroot) in front of
 * the tier's Xvnc (on the host), on the wire and with osconsole's tunnel, check and view
 * (test/openstack/vnc-suite.ts).
 */
import { describe } from 'vitest';
import { describeReal } from '../realcloud.js';
import { WEBSOCKIFY_0_12 } from '../serial-suite.js';
import { vncClientTests, vncProxyTests } from '../vnc-suite.js';

describeReal('real nova-novncproxy (Epoxy)', (f) => {
  describe('on the wire', () => vncProxyTests(f, 'vnc/epoxy', WEBSOCKIFY_0_12));
  describe('osconsole with real VNC clients', () => vncClientTests(f));
});
