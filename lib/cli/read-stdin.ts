/** Reads standard input (or `stream`) to its end, as bytes, so the caller decides how to decode them. */
export async function readStdin(stream: AsyncIterable<unknown> = process.stdin): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}
