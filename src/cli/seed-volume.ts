/**
 * `tsx src/cli/seed-volume.ts [--emails 1000000] …`: writes the volume world (the benchmark's
 * fixture by default) into the configured database, after applying pending migrations. Shows
 * progress (a bar on a terminal, a line every 10% otherwise) and ends with the throughput and the
 * peak memory of the process. Sizes default to the SEED_* variables, then to VOLUME_DEFAULTS.
 */
import { spawnSync } from 'node:child_process';
import { MikroORM } from '@mikro-orm/postgresql';
import cliProgress from 'cli-progress';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { commandLine } from './command-line.js';
import { describeTarget } from '../infrastructure/database/database-url.js';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import {
  seedVolume,
  VOLUME_DEFAULTS,
  VOLUME_NODE_FLAGS,
  type VolumeOptions,
  type VolumeProgress,
  volumeOptionsFromEnv,
} from '../seeders/VolumeSeeder.js';

const d = VOLUME_DEFAULTS;
const USAGE = `Usage: tsx src/cli/seed-volume.ts [options]

  --users N         users, owner{n}@volume.example (default ${d.users})
  --domains N       domains d{m}.example, all verified, spread over the users (default ${d.domains})
  --mailboxes N     mailboxes user{k}@d{k mod domains}.example (default ${d.mailboxes})
  --emails N        inbound emails (default ${d.emails})
  --hot-emails N    of which for the hot mailbox user0@d0.example, 0 for none (default ${d.hotMailboxEmails})
  --body-bytes N    body size of each email (default ${d.bodyBytes})
  --batch-size N    emails per unit of work, one transaction (default ${d.batchSize})
  -h, --help        show this help

The SEED_USERS, SEED_DOMAINS, SEED_MAILBOXES, SEED_EMAILS, SEED_HOT_EMAILS, SEED_BODY_BYTES and
SEED_BATCH_SIZE variables change the defaults. The database must not hold volume data yet.`;

function parseOptions(): VolumeOptions {
  const values = commandLine(USAGE, {
    users: { type: 'string' },
    domains: { type: 'string' },
    mailboxes: { type: 'string' },
    emails: { type: 'string' },
    'hot-emails': { type: 'string' },
    'body-bytes': { type: 'string' },
    'batch-size': { type: 'string' },
  });
  const env = volumeOptionsFromEnv();
  const count = (name: keyof typeof values, fallback: number | undefined): number => {
    const raw = values[name];
    if (raw === undefined) return fallback ?? 0;
    const value = Number(String(raw).replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number (got "${raw}")`);
    return value;
  };
  return {
    users: count('users', env.users),
    domains: count('domains', env.domains),
    mailboxes: count('mailboxes', env.mailboxes),
    emails: count('emails', env.emails),
    hotMailboxEmails: count('hot-emails', env.hotMailboxEmails),
    bodyBytes: count('body-bytes', env.bodyBytes),
    batchSize: count('batch-size', env.batchSize),
  };
}

/** A bar per phase on a terminal; elsewhere (CI, pipes) a plain line every 10%. */
function progressReporter(): { report: (p: VolumeProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    let phase: string | undefined;
    let bar: cliProgress.SingleBar | undefined;
    return {
      report: (p) => {
        if (p.phase !== phase) {
          bar?.stop();
          phase = p.phase;
          bar = new cliProgress.SingleBar(
            {
              format: `${p.phase.padEnd(9)} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, 0);
        }
        bar!.update(p.done);
      },
      stop: () => bar?.stop(),
    };
  }
  const shown = new Map<string, number>();
  return {
    report: (p) => {
      const tenth = Math.floor((p.done / Math.max(p.total, 1)) * 10);
      if (tenth > (shown.get(p.phase) ?? -1)) {
        shown.set(p.phase, tenth);
        console.error(`${p.phase}: ${p.done}/${p.total} (${tenth * 10}%)`);
      }
    },
    stop: () => {},
  };
}

// the heap sizes this work needs (see VOLUME_NODE_FLAGS); Node takes them only at start-up, so
// without them we run ourselves again with them
if (!process.execArgv.some((arg) => arg.startsWith('--max-old-space-size'))) {
  const child = spawnSync(process.execPath, [...process.execArgv, ...VOLUME_NODE_FLAGS, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

let options: VolumeOptions;
try {
  options = parseOptions();
} catch (error) {
  console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const settings = await openSchemaSettings();
const config = createOrmConfig(settings, 'schema');
const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
const progress = progressReporter();
try {
  await orm.migrator.up();
  console.error(`Seeding volume data into ${describeTarget(settings.direct)}`);
  const started = performance.now();
  const result = await seedVolume(orm.em, { ...options, onProgress: progress.report });
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  const emailSeconds = result.emailMs / 1000;
  const peakRss = process.resourceUsage().maxRSS / 1024; // KiB → MiB
  console.log(
    `Seeded ${result.users} users, ${result.domains} domains, ${result.mailboxes} mailboxes, ${result.emails} emails ` +
      `(${(result.emailBytes / 1024 ** 2).toFixed(1)} MiB of mail) in ${seconds.toFixed(1)} s.\n` +
      `Email: ${Math.round(result.emails / Math.max(emailSeconds, 0.001))} emails/s over ${emailSeconds.toFixed(1)} s ` +
      `(directory: ${(result.directoryMs / 1000).toFixed(1)} s). Peak RSS: ${peakRss.toFixed(0)} MiB.`,
  );
} catch (error) {
  progress.stop();
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await orm.close(true);
}
