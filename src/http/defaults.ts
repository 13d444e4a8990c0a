/** Constants shared by the HTTP core and the CLI, kept apart so start-up never loads undici. */
export const DEFAULT_TIMEOUT_MS = 30_000;
