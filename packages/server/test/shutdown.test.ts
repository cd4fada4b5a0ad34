import { describe, expect, it } from 'vitest';
import { startGatehouse } from '../../../test/support/gatehouse.ts';

/**
 * A long-poll waits up to a minute for a verdict. It must end when its client hangs up and
 * when the server closes; otherwise one idle agent holds a shutdown (or a deploy) for a minute.
 */
describe('long-polls and shutdown', () => {
  it('a server with a long-poll in flight closes at once, and the poll gets its 202', async () => {
    const gh = await startGatehouse({ redis: false });
    const token = await gh.session((await gh.createAgent()).key);
    const pending = await gh.api('/v1/requests', {
      token,
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    const poll = fetch(new URL(`/v1/requests/${pending.body.id}/verdict?wait=60`, gh.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closing = Date.now();
    await gh.stop();
    // Far below the 60 s the poll asked for: the close did not wait for it.
    expect(Date.now() - closing).toBeLessThan(15_000);
    expect((await poll).status).toBe(202);
  }, 40_000);

  it('a long-poll whose client hung up stops waiting', async () => {
    const gh = await startGatehouse({ redis: false });
    try {
      const token = await gh.session((await gh.createAgent()).key);
      const pending = await gh.api('/v1/requests', {
        token,
        body: { kind: 'shell', command: 'systemctl restart nginx' },
      });
      const abort = new AbortController();
      const poll = fetch(new URL(`/v1/requests/${pending.body.id}/verdict?wait=60`, gh.url), {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      }).catch(() => 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 300));
      abort.abort();
      expect(await poll).toBe('aborted');
      const closing = Date.now();
      await gh.stop();
      expect(Date.now() - closing).toBeLessThan(15_000);
    } catch (error) {
      await gh.stop().catch(() => {});
      throw error;
    }
  }, 40_000);
});
