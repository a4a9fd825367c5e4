/**
 * Rows in the text format of `COPY … FROM` (https://www.postgresql.org/docs/current/sql-copy.html):
 * one line per row, columns separated by tabs, `\N` for null, and backslash, tab, newline and
 * carriage return escaped. A NUL cannot be stored in a text column at all: it becomes U+FFFD, so
 * one odd value never fails a whole batch.
 */
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\uFFFD' };

export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r\0]/g, (char) => ESCAPED[char]!) : value;
}
