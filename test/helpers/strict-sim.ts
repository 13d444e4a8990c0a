/**
 * Setup file of the fast suite: after each test, every simulator it used must
 * have seen only routes it knows and fired every fault rule installed (gh's
 * httpmock Verify). A failure here names the test that caused it.
 */
import { afterEach } from 'vitest';
import { verifySimulators } from './sim.js';

afterEach(() => {
  verifySimulators();
});
