/**
 * The relay's settings from the environment. Every variable is optional; a bad value fails the
 * start in one line that names it.
 */
import { ConfigurationError } from '../database/database-url.js';
import { DEFAULT_STREAM, type EventStreamSettings } from './event-stream.js';
import { RELAY_DEFAULTS } from './outbox-relay.js';

type Env = Record<string, string | undefined>;

export interface RelaySettings {
  servers: string[];
  stream: EventStreamSettings;
  batchSize: number;
  pollIntervalMs: number;
}

// a NATS subject token, and a JetStream stream name: no dots, wildcards or whitespace
const TOKEN = /^[A-Za-z0-9_-]+$/;

export function resolveRelaySettings(env: Env = process.env): RelaySettings {
  const text = (name: string, fallback: string, pattern?: RegExp) => {
    const value = env[name]?.trim() || fallback;
    if (pattern && !pattern.test(value)) {
      throw new ConfigurationError(`${name} must be letters, digits, '-' or '_' (got "${value}")`);
    }
    return value;
  };
  const positive = (name: string, fallback: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      throw new ConfigurationError(`${name} must be a positive whole number (got "${raw}")`);
    }
    return value;
  };
  return {
    servers: text('NATS_URL', 'nats://127.0.0.1:4222')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    stream: {
      ...DEFAULT_STREAM,
      name: text('AETHER_EVENTS_STREAM', DEFAULT_STREAM.name, TOKEN),
      subjectPrefix: text('AETHER_EVENTS_PREFIX', DEFAULT_STREAM.subjectPrefix, TOKEN),
    },
    batchSize: positive('AETHER_RELAY_BATCH', RELAY_DEFAULTS.batchSize),
    pollIntervalMs: positive('AETHER_RELAY_POLL_MS', RELAY_DEFAULTS.pollIntervalMs),
  };
}
