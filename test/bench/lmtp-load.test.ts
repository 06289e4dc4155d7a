/**
 * The LMTP load benchmark in smoke size (2 connections, 200 messages to 100 mailboxes): the agent
 * runs as a child process, every RCPT must be answered 250, and afterwards the database holds
 * exactly the planned emails per mailbox (count and a digest of Message-IDs), replies threaded.
 * Timings are not asserted: speed is the benchmark's business.
 */
import { describe, expect, it } from 'vitest';
import { LMTP_LOAD_SMOKE, formatLmtpLoadTable, planMessages, runLmtpLoad } from '../../bench/lmtp-load.js';
import { smokeOptions } from './smoke-support.js';

describe('the LMTP load benchmark (smoke size)', () => {
  it('delivers every message to every recipient once, and the database holds exactly those emails', async () => {
    const { settings, database, log } = smokeOptions('aether_bench_lmtp');
    const result = await runLmtpLoad({ ...LMTP_LOAD_SMOKE, settings, database, log });
    expect(result.failures).toEqual([]);
    expect(result.assertionsPassed).toBe(true);
    expect(result.mailboxes).toBe(100);
    expect(result.mailboxesChecked).toBe(100);
    const planned = planMessages(LMTP_LOAD_SMOKE.messages, [
      'a@x.example',
      'b@x.example',
      'c@x.example',
      'd@x.example',
    ]);
    const recipients = planned.reduce((n, m) => n + m.recipients.length, 0);
    expect(result.recipients).toBe(recipients);
    expect(result.delivered).toBe(recipients);
    expect(result.emailsStored).toBe(recipients);
    expect(result.agentPeakRssMiB).toBeGreaterThan(0);
    expect(result.agentCpuSeconds).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
    expect(formatLmtpLoadTable(result)).toContain(`| ${result.messages} | ${result.recipients} |`);
  }, 300_000);

  it('plans ~4 KB messages with 1–3 recipients, unique Message-IDs, and replies carrying References', () => {
    const planned = planMessages(
      40,
      Array.from({ length: 100 }, (_, i) => `user${i}@d.example`),
    );
    expect(new Set(planned.map((m) => m.messageId)).size).toBe(40);
    for (const m of planned) {
      expect(m.recipients.length).toBeGreaterThanOrEqual(1);
      expect(m.recipients.length).toBeLessThanOrEqual(3);
      expect(new Set(m.recipients).size).toBe(m.recipients.length);
      expect(m.raw.length).toBeGreaterThan(3800);
      expect(m.raw.length).toBeLessThan(4400);
    }
    expect(planned.filter((m) => m.raw.includes('\r\nReferences: <load.')).length).toBe(10);
  });
});
