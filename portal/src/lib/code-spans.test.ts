import { describe, expect, it } from 'vitest';
import { splitCodeSpans } from './code-spans.ts';

describe('splitCodeSpans', () => {
  it('turns backtick pairs into code parts', () => {
    expect(splitCodeSpans('A new conversation started. `data` is the conversation.')).toEqual([
      { code: false, text: 'A new conversation started. ' },
      { code: true, text: 'data' },
      { code: false, text: ' is the conversation.' },
    ]);
    expect(splitCodeSpans('`POST /api/v1/webhooks/{id}/test` or `webhook.test`')).toEqual([
      { code: true, text: 'POST /api/v1/webhooks/{id}/test' },
      { code: false, text: ' or ' },
      { code: true, text: 'webhook.test' },
    ]);
  });

  it('leaves text without backticks, an unpaired backtick and an empty pair alone', () => {
    expect(splitCodeSpans('plain')).toEqual([{ code: false, text: 'plain' }]);
    expect(splitCodeSpans('')).toEqual([]);
    expect(splitCodeSpans('one ` only')).toEqual([{ code: false, text: 'one ` only' }]);
    expect(splitCodeSpans('a `` b')).toEqual([{ code: false, text: 'a ' }, { code: false, text: ' b' }]);
  });
});
