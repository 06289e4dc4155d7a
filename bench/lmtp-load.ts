/**
 * LMTP delivery end to end (issue #20): the agent (`src/cli/lmtp.ts`) runs as a child process on a
 * loopback port against a migrated database with 100 mailboxes on verified domains, and N parallel
 * LMTP connections (nodemailer's SMTPConnection, `lmtp: true`) send their share of the messages
 * (~4 KB, realistic headers, a varying Message-ID, References on some so threading runs, 1–3
 * recipients each). Measured: messages/s, per-message latency (DATA sent → every per-RCPT reply:
 * nodemailer's `messageTime`), the agent's peak RSS (VmHWM of its process). Afterwards the
 * database must hold exactly the expected emails per mailbox (count and a digest of Message-IDs).
 * `npm run bench -- --lmtp` or `npm run bench:lmtp` runs it alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import SMTPConnection, { type SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import pg from 'pg';
import { dropDatabase } from '../src/infrastructure/database/admin-client.js';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { formatDatabaseUrl, toPgConfig } from '../src/infrastructure/database/database-url.js';
import { resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { openAether } from '../src/infrastructure/aether.js';
import { seedVolume } from '../src/seeders/VolumeSeeder.js';
import { createMigratedDatabase } from './database.js';

export interface LmtpLoadOptions {
  connections?: number;
  messages?: number;
  mailboxes?: number;
  /** The server (DATABASE_URL by default) and the database to (re)create on it. */
  settings?: DatabaseSettings;
  database?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface LmtpLoadResult {
  connections: number;
  messages: number;
  mailboxes: number;
  /** Per-RCPT deliveries (one message to three recipients is three). */
  recipients: number;
  messageBytes: { mean: number };
  seconds: number;
  messagesPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  agentPeakRssMiB: number;
  /**
   * CPU the agent's process spent during the load (user + system), and per message: unlike the
   * wall clock, hardly moved by other work on a shared machine (PostgreSQL's share is not in it).
   */
  agentCpuSeconds: number;
  agentCpuMsPerMessage: number;
  /** Every RCPT answered 250, and the database holds exactly the expected emails per mailbox. */
  delivered: number;
  emailsStored: number;
  mailboxesChecked: number;
  assertionsPassed: boolean;
  failures: string[];
  target: { messagesPerSecond: number; met: boolean };
}

export const LMTP_LOAD_FULL = { connections: 8, messages: 10_000, mailboxes: 100 };
export const LMTP_LOAD_SMOKE = { connections: 2, messages: 200, mailboxes: 100 };
const TARGET_MESSAGES_PER_SECOND = 500;
const MAILBOXES_PER_DOMAIN = 10;

interface Planned {
  index: number;
  messageId: string;
  /** The Message-ID this one replies to (In-Reply-To and References), if a reply. */
  parentId?: string;
  recipients: string[];
  raw: Buffer;
}

const agentScript = fileURLToPath(new URL('../src/cli/lmtp.ts', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

/** A deterministic body of about `bytes` ASCII bytes in 76-character lines. */
function bodyOf(index: number, bytes: number): string {
  const words = ['delivery', 'mailbox', 'thread', 'quota', 'folder', 'receipt', 'agent', 'postfix', 'relay'];
  const lines: string[] = [];
  let size = 0;
  for (let l = 0; size < bytes; l++) {
    let line = '';
    for (let w = 0; line.length < 70; w++) line += `${words[(index + l * 7 + w * 3) % words.length]} `;
    lines.push(line.trimEnd());
    size += line.length + 1;
  }
  return lines.join('\r\n');
}

/** Message `i`: 1–3 recipients, a unique Message-ID, and every fourth a reply (References) to the one three before. */
export function planMessages(count: number, addresses: string[]): Planned[] {
  const planned: Planned[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + (i % 3);
    const messageId = `<load.${i}.${(i * 2654435761) >>> 0}@sender.example>`;
    // a reply goes to its parent's recipients (i - 3 has as many), so each of their mailboxes threads it
    const parent = i % 4 === 3 ? planned[i - 3] : undefined;
    const recipients = parent
      ? [...parent.recipients]
      : Array.from({ length: n }, (_, k) => addresses[(i * 7 + k * 31) % addresses.length]!);
    const subject = parent ? `Re: load message ${i - 3}` : `load message ${i}`;
    const date = new Date(Date.UTC(2026, 11, 4, 12, 0, 0) + i * 1000).toUTCString().replace('GMT', '+0000');
    const headers = [
      'Return-Path: <sender@sender.example>',
      `Received: from mx.sender.example (mx.sender.example [192.0.2.1]) by mx.aether.test with ESMTPS id L${i}; ${date}`,
      `From: "Load Sender ${i % 50}" <sender${i % 50}@sender.example>`,
      `To: ${recipients.map((r) => `<${r}>`).join(', ')}`,
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: ${messageId}`,
      ...(parent ? [`In-Reply-To: ${parent.messageId}`, `References: ${parent.messageId}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
    ];
    const head = headers.join('\r\n');
    const raw = Buffer.from(`${head}\r\n\r\n${bodyOf(i, 4096 - head.length - 4)}\r\n`);
    planned.push({ index: i, messageId, recipients, raw, ...(parent ? { parentId: parent.messageId } : {}) });
  }
  return planned;
}

/** The digest of a mailbox's emails: SHA-256 of its sorted Message-IDs, one a line. */
const digestOf = (messageIds: string[]) =>
  createHash('sha256')
    .update([...messageIds].sort().join('\n'))
    .digest('hex');

/** The agent's environment: straight at the load database, never a pooler or replica of the caller's. */
function agentEnv(settings: DatabaseSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: formatDatabaseUrl(settings.direct) };
  for (const key of Object.keys(env))
    if (key.startsWith('DATABASE_URL_') || key === 'DATABASE_REPLICA_URLS') delete env[key];
  return env;
}

async function startAgent(settings: DatabaseSettings): Promise<{ proc: ChildProcess; port: number }> {
  // BENCH_LMTP_NODE_ARGS: extra Node flags for the agent, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it
  const nodeArgs = (process.env.BENCH_LMTP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', agentScript, '--port', '0'], {
    cwd: root,
    env: agentEnv(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`the LMTP agent exited with ${code}:\n${err}${out}`)));
  });
  return { proc, port };
}

/** CPU seconds (user + system) a process has used so far; 0 where /proc is not there. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 13 ? (Number(fields[11]) + Number(fields[12])) / 100 : 0; // utime, stime in ticks of 1/100 s
}

/** Peak resident set of a process (VmHWM), in MiB; 0 where /proc is not there. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) / 1024 : 0;
}

function connectLmtp(port: number): Promise<SMTPConnection> {
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection({ host: '127.0.0.1', port, lmtp: true, name: 'mx.aether.test' });
    connection.once('error', reject);
    connection.connect(() => {
      connection.removeListener('error', reject);
      resolve(connection);
    });
  });
}

function send(connection: SMTPConnection, message: Planned): Promise<SMTPConnectionSendInfo> {
  return new Promise((resolve, reject) =>
    connection.send({ from: 'sender@sender.example', to: message.recipients }, message.raw, (error, info) =>
      error ? reject(error) : resolve(info!),
    ),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function runLmtpLoad(options: LmtpLoadOptions = {}): Promise<LmtpLoadResult> {
  const connections = options.connections ?? LMTP_LOAD_FULL.connections;
  const messages = options.messages ?? LMTP_LOAD_FULL.messages;
  const mailboxCount = options.mailboxes ?? LMTP_LOAD_FULL.mailboxes;
  const log = options.log ?? ((line: string) => console.error(line));
  const server = options.settings ?? (await resolveDatabaseSettings());
  const name = options.database ?? 'aether_bench_lmtp';

  log(`[lmtp] preparing ${name}: migrations, ${mailboxCount} mailboxes on verified domains`);
  const settings = await createMigratedDatabase(server, name);
  const domains = Math.ceil(mailboxCount / MAILBOXES_PER_DOMAIN);
  const aether = await openAether({ settings, debug: false });
  try {
    await seedVolume(aether.orm.em, { users: domains, domains, mailboxes: mailboxCount, emails: 0 });
  } finally {
    await aether.close();
  }
  const pool = new pg.Pool({ ...toPgConfig(settings.direct), max: 2 });
  let agent: ChildProcess | undefined;
  try {
    const boxes = (
      await pool.query<{ id: string; address: string }>(
        "select id, address from address where kind = 'mailbox' order by address",
      )
    ).rows;
    const plan = planMessages(
      messages,
      boxes.map((b) => b.address),
    );

    const started = await startAgent(settings);
    agent = started.proc;
    log(`[lmtp] agent pid ${agent.pid} on 127.0.0.1:${started.port}; ${connections} connections, ${messages} messages`);

    const latencies: number[] = [];
    const failures: string[] = [];
    let delivered = 0;
    let next = 0;
    const cpuBefore = await cpuSeconds(agent.pid!);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const connection = await connectLmtp(started.port);
        try {
          for (let i = next++; i < plan.length; i = next++) {
            const message = plan[i]!;
            const info = await send(connection, message).catch((error: Error) => {
              failures.push(`message ${i}: ${error.message}`);
              return undefined;
            });
            if (!info) continue;
            latencies.push(info.messageTime);
            delivered += info.accepted.length;
            if (info.rejected.length > 0) failures.push(`message ${i}: rejected ${info.rejected.join(', ')}`);
          }
        } finally {
          connection.quit();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const agentPeakRssMiB = await peakRssMiB(agent.pid!);
    const agentCpuSeconds = (await cpuSeconds(agent.pid!)) - cpuBefore;
    await stopAgent(agent);
    agent = undefined;

    // the database: exactly the planned emails per mailbox, no duplicates
    const expected = new Map<string, string[]>(boxes.map((b) => [b.address, []]));
    for (const m of plan) for (const r of m.recipients) expected.get(r)!.push(m.messageId);
    const rows = (
      await pool.query<{ address: string; message_id: string; thread_id: string }>(
        `select a.address, e.message_id, e.thread_id from email e join address a on a.id = e.mailbox_id`,
      )
    ).rows;
    const stored = new Map<string, string[]>(boxes.map((b) => [b.address, []]));
    const threadOf = new Map<string, string>();
    for (const row of rows) {
      stored.get(row.address)!.push(row.message_id);
      threadOf.set(`${row.address} ${row.message_id}`, row.thread_id);
    }
    for (const [address, ids] of stored) {
      const want = expected.get(address)!;
      if (ids.length !== want.length) failures.push(`${address}: ${ids.length} emails stored, ${want.length} expected`);
      else if (digestOf(ids) !== digestOf(want)) failures.push(`${address}: other emails than expected`);
    }
    // threading ran: every stored reply shares its parent's thread in that mailbox
    let unthreaded = 0;
    for (const m of plan) {
      if (!m.parentId) continue;
      for (const r of m.recipients) {
        const own = threadOf.get(`${r} ${m.messageId}`);
        if (own !== undefined && own !== threadOf.get(`${r} ${m.parentId}`)) unthreaded++;
      }
    }
    if (unthreaded > 0) failures.push(`${unthreaded} replies not in their parent's thread`);
    const emailsStored = rows.length;

    const recipients = plan.reduce((n, m) => n + m.recipients.length, 0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const messagesPerSecond = messages / seconds;
    const result: LmtpLoadResult = {
      connections,
      messages,
      mailboxes: boxes.length,
      recipients,
      messageBytes: { mean: plan.reduce((n, m) => n + m.raw.length, 0) / plan.length },
      seconds,
      messagesPerSecond,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN },
      agentPeakRssMiB,
      agentCpuSeconds,
      agentCpuMsPerMessage: (agentCpuSeconds * 1000) / messages,
      delivered,
      emailsStored,
      mailboxesChecked: stored.size,
      assertionsPassed: failures.length === 0 && delivered === recipients && emailsStored === recipients,
      failures: failures.slice(0, 20),
      target: { messagesPerSecond: TARGET_MESSAGES_PER_SECOND, met: messagesPerSecond >= TARGET_MESSAGES_PER_SECOND },
    };
    log(
      `[lmtp] ${messages} messages (${recipients} deliveries) in ${seconds.toFixed(1)} s: ${messagesPerSecond.toFixed(0)} msg/s, ` +
        `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, agent peak RSS ${agentPeakRssMiB.toFixed(0)} MiB, agent CPU ${agentCpuSeconds.toFixed(1)} s`,
    );
    return result;
  } finally {
    if (agent) await stopAgent(agent);
    await pool.end();
    if (!options.keep) await dropDatabase(server.direct, name);
  }
}

/** SIGTERM, then wait for the agent to finish what is in flight and exit (SIGKILL after 30 s). */
function stopAgent(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export function formatLmtpLoadTable(r: LmtpLoadResult): string {
  return [
    '| LMTP load | messages | deliveries | connections | msg/s (target ≥ 500) | p50 | p99 | agent peak RSS | agent CPU per message | checked |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| end to end | ${r.messages} | ${r.recipients} | ${r.connections} | ${r.messagesPerSecond.toFixed(0)} ${r.target.met ? '✓' : '✗'} | ` +
      `${r.latencyMs.p50} ms | ${r.latencyMs.p99} ms | ${r.agentPeakRssMiB.toFixed(0)} MiB | ${r.agentCpuMsPerMessage.toFixed(2)} ms | ${r.assertionsPassed ? 'yes' : 'NO'} |`,
  ].join('\n');
}
