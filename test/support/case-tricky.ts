/** Characters whose case folding is not plain lower-casing, for the property tests of folding. */
export const CASE_TRICKY_CHARACTERS = [
  'a',
  'Z',
  'ß', // folds to ss
  'ẞ', // to ß, then ss: two rounds
  'ς', // final sigma folds to σ
  'σ',
  'Σ',
  'ǅ', // a titlecase compatibility digraph: dž
  'İ', // to i + combining dot
  'ꭰ', // Cherokee folds to capitals
  'Ꭰ',
  'ｂ', // full-width: NFKC
  'ﬀ', // ligature: NFKC
  'ΐ', // folds to three code points, which NFC composes again
  'e\u0301', // decomposed
] as const;
