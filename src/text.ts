/**
 * Text from the cloud or the command line is data: before it reaches a
 * terminal, every control that could act on the terminal is shown as a
 * visible escape (a server name must not retitle or clear another user's
 * terminal). One escaping for every writer, message and prompt.
 */

// C0 but tab and newline (ours, for layout), DEL, C1, and the bidi embeddings,
// overrides and isolates (U+202A-202E, U+2066-2069), which reorder what follows.
// eslint-disable-next-line no-control-regex -- matching controls is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// The same, with tab and newline too: for text quoted inside a one-line message.
// eslint-disable-next-line no-control-regex -- as above
const ONE_LINE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// C0, DEL and C1 (Unicode category Cc): what no Nova server name or console URL holds.
// eslint-disable-next-line no-control-regex -- as above
const CC = /[\u0000-\u001f\u007f-\u009f]/;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const n = c.charCodeAt(0);
  return SHORT[c] ?? (n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`);
}

/** Shows each terminal control as a visible escape (ESC as \x1b, U+202E as \u202e); keeps tabs and newlines. */
export function escapeControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, visible);
}

/**
 * Text for a one-line message, in double quotes: every control escaped
 * (newlines too) and at most `max` characters, with an ellipsis.
 */
export function quoted(s: string, max = 40): string {
  const cut = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  return `"${cut.replace(ONE_LINE_CONTROLS, visible)}"`;
}

/**
 * JSON text with the terminal controls JSON.stringify leaves raw (DEL, C1,
 * bidi; it escapes C0 itself) as \uXXXX, which parses back to the same string.
 * Outside strings JSON is ASCII, so only string contents change.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(TERMINAL_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True when the text holds a C0 or C1 control character (NUL, ESC, DEL, ...). */
export function hasControl(s: string): boolean {
  return CC.test(s);
}
