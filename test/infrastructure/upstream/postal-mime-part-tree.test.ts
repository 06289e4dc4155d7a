/**
 * Guard of the part tree in `src/domain/raw-message.ts`. postal-mime exposes no part tree, only
 * its internal `root` (marked @internal in its typings): the store reads types, parameters,
 * encodings and each multipart's boundary from it, and measures the sizes on the raw bytes by
 * those boundaries. This pins what that relies on: `root` after `parse`, `childNodes` in order,
 * one child per delimited part, the boundary as `contentType.parsed.params.boundary` (postal-mime
 * matches it with trailing whitespace trimmed), and decoded `content` (not the transmitted octets,
 * which is why the sizes are measured on the bytes). When a postal-mime release changes any of
 * it, this fails before a BODYSTRUCTURE goes wrong.
 */
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';

interface Node {
  childNodes: Node[];
  contentType: { parsed: { value: string; params: Record<string, string> }; multipart: string | false };
  contentTransferEncoding?: { encoding: string };
  content: ArrayBuffer | null;
}

const raw = Buffer.from(
  [
    'Content-Type: multipart/mixed; boundary="outer "',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'caf=C3=A9',
    '--inner--',
    '--outer \t',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECAw==',
    '--outer--',
    '',
  ].join('\r\n'),
);

describe('postal-mime part tree (the upstream behaviour the store relies on)', () => {
  it('keeps the parsed tree on the internal root, with boundaries, encodings and decoded content', async () => {
    const parser = new PostalMime({ attachmentEncoding: 'arraybuffer' });
    await parser.parse(raw);
    const root = (parser as unknown as { root?: Node }).root!;
    expect(root).toBeDefined();
    expect(root.contentType.parsed).toMatchObject({ value: 'multipart/mixed', params: { boundary: 'outer ' } });
    expect(root.contentType.multipart).toBe('mixed');
    expect(root.childNodes).toHaveLength(2);
    const [alternative, binary] = root.childNodes as [Node, Node];
    expect(alternative.contentType.parsed.params.boundary).toBe('inner');
    expect(alternative.childNodes).toHaveLength(1);
    const text = alternative.childNodes[0]!;
    expect(text.contentTransferEncoding?.encoding).toBe('quoted-printable');
    // decoded: 5 octets for the 9 sent
    expect(Buffer.from(text.content!).toString('utf8')).toBe('café');
    expect(binary.contentType.parsed.value).toBe('application/octet-stream');
    expect([...new Uint8Array(binary.content!)]).toEqual([0, 1, 2, 3]);
  });
});
