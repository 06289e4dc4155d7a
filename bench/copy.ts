/**
 * COPY … FROM STDIN on a plain `pg` client without pg-copy-streams: a minimal "submittable" that
 * answers the server's CopyInResponse with the data and CopyDone. Used only for the COPY floor.
 */
import type pg from 'pg';

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

class CopyIn {
  rowCount = 0;
  private error: unknown;
  readonly done: Promise<number>;
  private resolve!: (n: number) => void;
  private reject!: (e: unknown) => void;

  constructor(
    private readonly text: string,
    private readonly chunks: Buffer[],
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }
  handleCommandComplete(msg: { text: string }): void {
    this.rowCount = Number(msg.text.split(' ').at(-1));
  }
  handleError(error: unknown): void {
    this.error = error;
  }
  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error);
    else this.resolve(this.rowCount);
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY table (columns) FROM STDIN` with rows already in COPY text format; returns the row count. */
export async function copyIn(client: pg.PoolClient | pg.Client, text: string, chunks: Buffer[]): Promise<number> {
  const copy = new CopyIn(text, chunks);
  (client as unknown as { query(q: unknown): void }).query(copy);
  return copy.done;
}

/** One value in COPY text format. */
export function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** A text[] literal in COPY text format (elements double-quoted). */
export function copyArray(values: string[]): string {
  return copyText(`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
}
