/**
 * Once per test run: find the server (embedded by default, DATABASE_URL otherwise), build a
 * migrated template database on it, and hand both to the test files. Each file then clones the
 * template (see test-database.ts), which is fast and shares no state between files.
 */
import type { TestProject } from 'vitest/node';
import { resolveDatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { dropDatabase } from '../../src/infrastructure/database/admin-client.js';
import { createTemplateDatabase } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    aetherDatabase: { directUrl: string; poolerUrl: string | null; template: string };
  }
}

export default async function setup(project: TestProject) {
  const settings = await resolveDatabaseSettings();
  const template = `aether_template_${process.pid}`;
  await createTemplateDatabase(settings, template);
  project.provide('aetherDatabase', {
    directUrl: process.env.DATABASE_URL ?? toUrl(settings),
    poolerUrl: process.env.DATABASE_URL_POOLER ?? null,
    template,
  });
  return async () => {
    await dropDatabase(settings.direct, template);
  };
}

function toUrl(settings: Awaited<ReturnType<typeof resolveDatabaseSettings>>): string {
  const t = settings.direct;
  return `postgresql://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${t.database}`;
}
