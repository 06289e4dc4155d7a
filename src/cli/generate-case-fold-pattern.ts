/**
 * `npm run db:case-fold-pattern`: writes src/infrastructure/persistence/case-fold-pattern.generated.ts,
 * the code points the domain's case folding changes, which the database checks refuse. Run it when
 * src/domain/case-fold.ts or Node's Unicode version changes, then add a migration for the new checks.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { caseFoldChangesBracket, caseFoldPatternModule } from '../infrastructure/persistence/case-fold-sql.js';
import { commandLine } from './command-line.js';

commandLine(
  'Usage: npm run db:case-fold-pattern\n\nRegenerates the database pattern of code points that case folding changes.',
  {},
);
const target = fileURLToPath(new URL('../infrastructure/persistence/case-fold-pattern.generated.ts', import.meta.url));
const bracket = caseFoldChangesBracket();
writeFileSync(target, caseFoldPatternModule(bracket));
console.log(`Wrote ${target} (${bracket.length} characters, Unicode ${process.versions.unicode}).`);
