import type { TxtResolver } from '../../src/domain/domain.js';

/** A DNS that answers TXT lookups from what the test published. */
export class FakeDns {
  private readonly records = new Map<string, string[][]>();

  publishTxt(name: string, value: string): void {
    this.records.set(name, [...(this.records.get(name) ?? []), [value]]);
  }

  clear(): void {
    this.records.clear();
  }

  readonly resolveTxt: TxtResolver = async (name) => {
    const found = this.records.get(name);
    if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return found;
  };
}
