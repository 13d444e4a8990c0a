/**
 * `npm run docs`: writes the generated files packagers ship, completions/* and
 * man/osconsole.1, from the live command tree. test/e2e/docs.test.ts fails
 * when the committed files differ from a fresh run.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMPLETION_FILES, SHELLS, completionScript } from './completion.js';
import { manPage } from './man.js';
import { docsTree } from './program.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tree = docsTree();
for (const shell of SHELLS)
  writeFileSync(`${root}completions/${COMPLETION_FILES[shell]}`, completionScript(shell, tree));
writeFileSync(`${root}man/osconsole.1`, manPage(tree));
process.stdout.write('wrote completions/ and man/osconsole.1\n');
