/**
 * One line for a failure a user of the command line can cause, with what to do about it: the
 * message a terminal shows instead of a stack trace (or a page of MikroORM CLI help).
 */
const HINTS: Record<string, string> = {
  // insufficient_privilege: typically migrations or schema commands run as the application role
  '42501':
    'this needs the schema owner: run migrations and schema commands with the owner in DATABASE_URL, not the application role',
  // undefined_table / undefined_column: the schema is behind the code
  '42P01': 'the schema is not migrated: run `npx mikro-orm migration:up`',
  '42703': 'the schema is behind the code: run `npx mikro-orm migration:up`',
};

export function describeFailure(error: unknown): string {
  const err = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = err?.code ?? err?.cause?.code;
  const message =
    String(err?.message ?? error)
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? String(error);
  const hint = typeof code === 'string' ? HINTS[code] : undefined;
  return hint ? `${message} (${hint})` : message;
}
