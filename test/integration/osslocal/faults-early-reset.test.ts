import { describe, expect, it } from 'vitest';
import { startLocalOss } from '../../helpers/osslocal.js';

// Regression: a reset-request fault that trips before the handler starts reading the body
// (while it opens its temp file) made the fault stage emit an error nobody listened to.
// Vitest reports such errors as unhandled and fails the run.
describe('a request reset before the body is read', () => {
  it('fails only that request; the server keeps serving', async () => {
    const oss = await startLocalOss({ buckets: ['early-reset'] });
    try {
      oss.server.faults.setRules([
        { op: 'PutObject', fault: { kind: 'reset-request', afterBytes: 1024 } },
      ]);
      const client = oss.client({ bucket: 'early-reset' });
      for (let i = 0; i < 20; i++) {
        await expect(client.put(`cut-${i}`, Buffer.alloc(512 * 1024, 1))).rejects.toThrow();
      }
      oss.server.faults.clear();
      await client.put('after', Buffer.from('fine'));
      const after = (await client.get('after')) as { content: Buffer };
      expect(after.content.toString()).toBe('fine');
      const listed = await client.listV2({ prefix: 'cut-' }, {});
      expect(listed.objects ?? []).toHaveLength(0);
    } finally {
      await oss.close();
    }
  });
});
