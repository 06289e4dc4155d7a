/** The relay as a child process (`src/cli/relay.ts`, as `npm run relay` runs it), to kill outright. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { formatDatabaseUrl } from '../../../src/infrastructure/database/database-url.js';
import type { EventStreamSettings } from '../../../src/infrastructure/events/event-stream.js';
import type { TestDatabase } from '../../support/test-database.js';

export interface RelayProcess {
  child: ChildProcess;
  /** What it printed (stdout and stderr). */
  output: () => string;
  /** Sends `signal` and waits for the process to end. */
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

export function spawnRelay(
  db: TestDatabase,
  stream: EventStreamSettings,
  options: { natsUrl: string; batchSize?: number },
): RelayProcess {
  const { DATABASE_URL_POOLER: _pooler, DATABASE_REPLICA_URLS: _replicas, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/relay.ts'], {
    env: {
      ...env,
      DATABASE_URL: formatDatabaseUrl(db.settings.direct),
      NATS_URL: options.natsUrl,
      AETHER_EVENTS_STREAM: stream.name,
      AETHER_EVENTS_PREFIX: stream.subjectPrefix,
      AETHER_RELAY_BATCH: String(options.batchSize ?? 100),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  return {
    child,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
