/**
 * The console types osconsole knows: the one list the `--type` choices, the
 * completion, the man page and the core read. No imports, so `--help` and
 * option parsing load nothing else. Facts: docs/facts/nova.md#console-types.
 */

export type ConsoleType = 'novnc' | 'spice-html5' | 'spice-direct' | 'serial' | 'webmks';
export type DeadConsoleType = 'xvpvnc' | 'rdp-html5';
/** What `--type` accepts: the live types, `auto`, and the dead ones (refused with a reason). */
export type ConsoleChoice = ConsoleType | DeadConsoleType | 'auto';

export interface ConsoleTypeInfo {
  protocol: string;
  /** The lowest microversion of POST /servers/{id}/remote-consoles that takes the type. */
  floor: string;
  /** The server action for clouds below 2.6, when the type had one. */
  legacy?: string;
  /** nova.conf section whose `enabled` turns the type on. */
  confSection: string;
  /** The service behind the URL, as an operator knows it. */
  proxyService: string;
  /** The option in that section that holds the proxy's public URL (nova/conf/{vnc,spice,serial_console,mks}.py). */
  baseUrlOption: string;
  /** The URL is a websocket (ws/wss) rather than a page. */
  websocket: boolean;
  /** A browser can open the URL as it is. */
  browser: boolean;
}

export const CONSOLE_TYPES: Record<ConsoleType, ConsoleTypeInfo> = {
  novnc: {
    protocol: 'vnc',
    floor: '2.6',
    legacy: 'os-getVNCConsole',
    confSection: '[vnc]',
    proxyService: 'nova-novncproxy',
    baseUrlOption: 'novncproxy_base_url',
    websocket: false,
    browser: true,
  },
  'spice-html5': {
    protocol: 'spice',
    floor: '2.6',
    legacy: 'os-getSPICEConsole',
    confSection: '[spice]',
    proxyService: 'nova-spicehtml5proxy',
    baseUrlOption: 'html5proxy_base_url',
    websocket: false,
    browser: true,
  },
  'spice-direct': {
    protocol: 'spice',
    floor: '2.99',
    confSection: '[spice]',
    proxyService: 'the spice-direct proxy (Kerbside)',
    baseUrlOption: 'spice_direct_proxy_base_url',
    websocket: false,
    browser: false,
  },
  serial: {
    protocol: 'serial',
    floor: '2.6',
    legacy: 'os-getSerialConsole',
    confSection: '[serial_console]',
    proxyService: 'nova-serialproxy',
    baseUrlOption: 'base_url',
    websocket: true,
    browser: false,
  },
  webmks: {
    protocol: 'mks',
    floor: '2.8',
    confSection: '[mks]',
    proxyService: 'the MKS proxy',
    baseUrlOption: 'mksproxy_base_url',
    websocket: false,
    browser: true,
  },
};

/**
 * Recognised, and refused before any request, with the reason. Sources: nova
 * releasenotes remove-nova-xvpvncproxy-1c189cdff4b133e8.yaml (21.0.0) and
 * remove-hyperv-94d5bfd8a539fe9f.yaml (29.0.0); api-ref remote_console_type.
 */
export const DEAD_CONSOLE_TYPES: Record<DeadConsoleType, string> = {
  xvpvnc: 'xvpvnc consoles were removed from Nova in 21.0.0 (Ussuri), with nova-xvpvncproxy',
  'rdp-html5': 'rdp-html5 consoles needed the Hyper-V driver, removed from Nova in 29.0.0 (2024.1 Caracal)',
};

/** Horizon's AUTO order (openstack_dashboard/dashboards/project/instances/console.py), without the dead RDP. */
export const AUTO_ORDER: ConsoleType[] = ['novnc', 'spice-html5', 'serial', 'webmks'];

const LIVE = Object.keys(CONSOLE_TYPES) as ConsoleType[];
const DEAD = Object.keys(DEAD_CONSOLE_TYPES) as DeadConsoleType[];

export const CONSOLE_CHOICES: ConsoleChoice[] = [...LIVE, 'auto', ...DEAD];
/** Protocols of the live types, then rdp (a dead type's, refused with its reason). */
export const PROTOCOL_CHOICES: string[] = [...new Set([...LIVE.map((t) => CONSOLE_TYPES[t].protocol), 'rdp'])];

export function isDeadType(type: string): type is DeadConsoleType {
  return Object.hasOwn(DEAD_CONSOLE_TYPES, type);
}
