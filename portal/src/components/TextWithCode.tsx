import { splitCodeSpans } from '../lib/code-spans.ts';

/** A catalog text with its `backticked` parts shown as <code> (React escapes the rest). */
export function TextWithCode({ text }: { text: string }) {
  return (
    <>
      {splitCodeSpans(text).map((part, i) => (part.code ? <code key={i}>{part.text}</code> : <span key={i}>{part.text}</span>))}
    </>
  );
}
