/** What bin/osconsole.js loads: main() and the real dependencies (the bundle's entry). */
export { main } from './cli.js';
export { createDeps } from './deps.js';
