import { describe, expect, it } from 'vitest';
import { parseRawMessage, type MimePart } from '../../src/domain/raw-message.js';

const CRLF = '\r\n';

/** A base64 body as mailers write it: 76 characters a line. */
const base64Lines = (bytes: Buffer) => bytes.toString('base64').replace(/.{76}/g, `$&${CRLF}`);

function find(part: MimePart, number: string): MimePart {
  if (part.part === number) return part;
  for (const child of part.children) {
    const found = number === child.part || number.startsWith(`${child.part}.`) ? find(child, number) : null;
    if (found) return found;
  }
  throw new Error(`no part ${number}`);
}

describe('BODYSTRUCTURE sizes', () => {
  // the bodies exactly as transmitted: what IMAP's size and lines count
  const plain = ['Hello,', 'the attachment is below.', ''].join(CRLF) + 'No newline at the end';
  const qp = [
    'Gr=C3=BC=C3=9Fe aus K=C3=B6ln, this line is long enough to be soft-broken by=',
    ' the encoder =3D ok',
  ].join(CRLF);
  const binary = Buffer.alloc(1000, 0xa5);
  const b64 = base64Lines(binary);
  const html = ['<p>one</p>', '<p>two</p>', '<p>three</p>', ''].join(CRLF);
  const raw = Buffer.from(
    [
      'From: a@outside.test',
      'To: b@inside.test',
      'Subject: sizes',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'This is the preamble.',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
      '',
      plain,
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      qp,
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--inner--',
      '',
      '--outer',
      'Content-Type: application/octet-stream; name="a.bin"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="a.bin"',
      '',
      b64,
      '--outer--   ',
      'The epilogue.',
      '',
    ].join(CRLF),
  );

  it('are the octets and lines of each body as transmitted, not decoded', async () => {
    const message = await parseRawMessage(raw);
    const s = message.structure;
    expect(find(s, '1.1')).toMatchObject({
      subtype: 'plain',
      encoding: '7bit',
      size: Buffer.byteLength(plain),
      lines: 3,
    });
    // quoted-printable: the encoded octets (the decoded text is shorter) and its two encoded lines
    expect(find(s, '1.2')).toMatchObject({ encoding: 'quoted-printable', size: Buffer.byteLength(qp), lines: 2 });
    // the html body ends with a line break of its own, which is content; the one before the delimiter is not
    expect(find(s, '1.3')).toMatchObject({ subtype: 'html', size: Buffer.byteLength(html), lines: 3 });
    // base64: the encoded octets, line breaks included (1000 bytes decode from 1,336 + 34 of them)
    const attachment = find(s, '2');
    expect(attachment).toMatchObject({ type: 'application', encoding: 'base64', size: b64.length, lines: null });
    expect(attachment.size).toBe(Math.ceil(1000 / 3) * 4 + 2 * Math.floor((Math.ceil(1000 / 3) * 4) / 76));
    expect(message.attachments[0]!.size).toBe(1000);
  });

  it('of a single-part message are its body after the header, and bare LF lines count too', async () => {
    const body = 'line one\nline two\nline three\n';
    const message = await parseRawMessage(Buffer.from(`Subject: lf\nContent-Type: text/plain\n\n${body}`));
    expect(message.structure).toMatchObject({ part: '', size: body.length, lines: 3 });
  });

  it('of malformed MIME still describe what was sent: an unclosed multipart runs to the end', async () => {
    const tail = 'never closed\r\n';
    const message = await parseRawMessage(
      Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n${tail}`),
    );
    expect(find(message.structure, '1')).toMatchObject({ size: tail.length, lines: 1 });
  });
});
