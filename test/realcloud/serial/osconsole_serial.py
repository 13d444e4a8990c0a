"""Nova's fake virt driver with consoles that lead somewhere, so that nova's real proxies
can be run in front of them: the serial console is a local TCP "guest" (serial_guest.py)
instead of fakerdpconsole.com:6969, the VNC console the tier's Xvnc (../vnc/xvnc.sh)
instead of fakevncconsole.com:6969.

Loaded as compute_driver = osconsole_serial.SerialFakeDriver (Zed) or
osconsole_serial.SerialFakeDriverWithoutFakeNodes (Epoxy). Nova prefixes the option with
"nova.virt." (nova/virt/driver.py load_compute_driver: import_object('nova.virt.%s' % ...)),
so the tier scripts start nova-compute with this directory appended to nova.virt.__path__.
"""
from nova.console import type as ctype
import nova.conf
from nova.virt import fake
from oslo_config import cfg

CONF = nova.conf.CONF
# where the tier's Xvnc listens: libvirt reads a guest's VNC port from its domain XML,
# which the fake driver has none of, so nova.conf says it ([osconsole] vnc_port)
CONF.register_opts([cfg.PortOpt('vnc_port', help="the tier's Xvnc RFB port")], group='osconsole')


class _GuestConsoles:
    def get_serial_console(self, context, instance):
        # Like libvirt's driver: the chardev's TCP address on the compute host, host =
        # [serial_console] proxyclient_address, port taken from [serial_console] port_range
        # (nova/virt/libvirt/driver.py get_serial_console, nova/console/serial.py
        # acquire_port); no internal_access_path, so the proxy sends no CONNECT line
        # (nova/console/websocketproxy.py new_websocket_client). Every instance gets the
        # one guest: validate_console_port compares this port with the token's.
        first = int(CONF.serial_console.port_range.split(':')[0])
        return ctype.ConsoleSerial(host=CONF.serial_console.proxyclient_address, port=first)

    def get_vnc_console(self, context, instance):
        # Like libvirt's driver (nova/virt/libvirt/driver.py get_vnc_console): host =
        # [vnc] server_proxyclient_address, the guest's port, and no internal_access_path
        # (the fake's 'FAKE' / uuid would make the proxy send "CONNECT <path>" to Xvnc
        # first, nova/console/websocketproxy.py). The same port on every call:
        # validate_console_port compares it with the token's (nova/compute/manager.py).
        return ctype.ConsoleVNC(host=CONF.vnc.server_proxyclient_address, port=CONF.osconsole.vnc_port)


class SerialFakeDriver(_GuestConsoles, fake.FakeDriver):
    pass


if hasattr(fake, 'FakeDriverWithoutFakeNodes'):  # 2023.1 and later

    class SerialFakeDriverWithoutFakeNodes(_GuestConsoles, fake.FakeDriverWithoutFakeNodes):
        pass
