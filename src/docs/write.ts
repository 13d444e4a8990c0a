/**
 * `npm run docs`: writes the generated files packagers ship, completions/* and
 * man/osconsole.1, from the live command tree. test/e2e/docs.test.ts fails
 * when the committed files differ from a fresh run.
 */
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../config/atomic-write.js';
import { COMPLETION_FILES, SHELLS, completionScript } from './completion.js';
import { manPage } from './man.js';
import { docsTree } from './program.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tree = docsTree();
// 0644: packaged files that everyone reads.
for (const shell of SHELLS)
  writeFileAtomic(`${root}completions/${COMPLETION_FILES[shell]}`, completionScript(shell, tree), 0o644);
writeFileAtomic(`${root}man/osconsole.1`, manPage(tree), 0o644);
process.stdout.write('wrote completions/ and man/osconsole.1\n');
