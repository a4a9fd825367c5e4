// Catalog texts mark code with Markdown backticks (`data`, `POST /api/v1/…`): split them so the
// portal shows code as code. Only backticks count; any other character is plain text.

export interface TextPart {
  code: boolean;
  text: string;
}

/** "A `b` c" → [text "A ", code "b", text " c"]; an unpaired backtick stays as written. */
export function splitCodeSpans(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let rest = text;
  for (;;) {
    const open = rest.indexOf('`');
    const close = open === -1 ? -1 : rest.indexOf('`', open + 1);
    if (close === -1) break;
    if (open > 0) parts.push({ code: false, text: rest.slice(0, open) });
    if (close > open + 1) parts.push({ code: true, text: rest.slice(open + 1, close) });
    rest = rest.slice(close + 1);
  }
  if (rest) parts.push({ code: false, text: rest });
  return parts;
}
