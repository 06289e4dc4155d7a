/**
 * A cheap connection check before real work, so that a wrong or unreachable URL is reported in
 * one line (variable, host, reason) instead of a driver stack trace, and never with the password.
 */
import { plainClient } from './admin-client.js';
import { type ConnectionTarget, redact, toPgConfig } from './database-url.js';
import { describeFailure } from './failure-line.js';

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
};

export function describeConnectionFailure(target: ConnectionTarget, error: unknown): string {
  const err = error as { code?: string; message?: string };
  const message = String(err.message ?? error);
  const reason =
    (err.code && REASONS[err.code]) ??
    (/does not support SSL/i.test(message)
      ? 'the server does not support SSL; remove ?sslmode= (or use sslmode=prefer) or enable SSL on the server'
      : redact(message.split('\n')[0]!, target));
  return `${target.source}: cannot connect to ${target.host}:${target.port} (database "${target.database}", user "${target.user}"): ${reason}`;
}

/**
 * Connects once, creates the target schema when it is missing, and returns the server version.
 * Throws a DatabaseUnavailableError whose message is the one line to show.
 */
export async function preflight(target: ConnectionTarget, { createSchema = true } = {}): Promise<string> {
  const client = plainClient(toPgConfig(target));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new DatabaseUnavailableError(describeConnectionFailure(target, error));
  }
  try {
    if (createSchema && target.schema !== 'public') {
      // only when missing: a role without CREATE on the database (the application's) may use one
      const { rowCount } = await client.query('select 1 from pg_namespace where nspname = $1', [target.schema]);
      if (rowCount === 0) {
        await client
          .query(`create schema if not exists ${client.escapeIdentifier(target.schema)}`)
          .catch((error: unknown) => {
            throw new DatabaseUnavailableError(
              `${target.source}: cannot create schema "${target.schema}" in database "${target.database}": ${describeFailure(error)}`,
            );
          });
      }
    }
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]!.server_version;
  } finally {
    await client.end();
  }
}
