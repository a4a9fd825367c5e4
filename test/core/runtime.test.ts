import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on the pinned Node 24, not the machine-wide Node 20', () => {
    expect(process.version).toMatch(/^v24\./);
  });
});
