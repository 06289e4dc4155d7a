/**
 * A minimal LMTP client over a raw socket, so a test controls every command (repeated RCPTs,
 * DATA, dropping the connection) and reads every reply line as the server sent it.
 */
import { connect, type Socket } from 'node:net';

export interface LmtpReply {
  code: number;
  text: string;
}

export class LmtpClient {
  private buffer = '';
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\r\n'); i >= 0; i = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        const next = this.waiting.shift();
        if (next) next(line);
        else this.lines.push(line);
      }
    });
    socket.on('error', () => {});
  }

  static async open(port: number, host = '127.0.0.1'): Promise<LmtpClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new LmtpClient(socket);
    await client.reply(); // greeting
    return client;
  }

  private line(): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 30 s')), 30_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** One reply, multi-line replies joined. */
  async reply(): Promise<LmtpReply> {
    const parts: string[] = [];
    for (;;) {
      const line = await this.line();
      parts.push(line.slice(4));
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), text: parts.join('\n') };
    }
  }

  async command(line: string): Promise<LmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** DATA, the message (dot-stuffed), the final dot; then `replies` replies, one per accepted RCPT. */
  async data(raw: Buffer, replies: number): Promise<LmtpReply[]> {
    const go = await this.command('DATA');
    if (go.code !== 354) return [go];
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(Buffer.from(`${text}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
    const out: LmtpReply[] = [];
    for (let i = 0; i < replies; i++) out.push(await this.reply());
    return out;
  }

  close(): void {
    this.socket.end('QUIT\r\n');
    this.socket.destroy();
  }
}
