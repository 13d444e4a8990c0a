"""Nova's fake virt driver with a serial console that leads somewhere: a local TCP "guest"
(serial_guest.py) instead of fakerdpconsole.com:6969, so that nova's real serial proxy can
be run in front of it.

Loaded as compute_driver = osconsole_serial.SerialFakeDriver (Zed) or
osconsole_serial.SerialFakeDriverWithoutFakeNodes (Epoxy). Nova prefixes the option with
"nova.virt." (nova/virt/driver.py load_compute_driver: import_object('nova.virt.%s' % ...)),
so the tier scripts start nova-compute with this directory appended to nova.virt.__path__.
"""
from nova.console import type as ctype
import nova.conf
from nova.virt import fake

CONF = nova.conf.CONF


class _GuestSerialConsole:
    def get_serial_console(self, context, instance):
        # Like libvirt's driver: the chardev's TCP address on the compute host, host =
        # [serial_console] proxyclient_address, port taken from [serial_console] port_range
        # (nova/virt/libvirt/driver.py get_serial_console, nova/console/serial.py
        # acquire_port); no internal_access_path, so the proxy sends no CONNECT line
        # (nova/console/websocketproxy.py new_websocket_client). Every instance gets the
        # one guest: validate_console_port compares this port with the token's.
        first = int(CONF.serial_console.port_range.split(':')[0])
        return ctype.ConsoleSerial(host=CONF.serial_console.proxyclient_address, port=first)


class SerialFakeDriver(_GuestSerialConsole, fake.FakeDriver):
    pass


if hasattr(fake, 'FakeDriverWithoutFakeNodes'):  # 2023.1 and later

    class SerialFakeDriverWithoutFakeNodes(_GuestSerialConsole, fake.FakeDriverWithoutFakeNodes):
        pass
