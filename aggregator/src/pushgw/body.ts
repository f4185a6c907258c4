/**
 * Reading and parsing a push body. `Content-Encoding: gzip` is accepted (Pushgateway does),
 * and the limit applies to the decompressed size, so a small gzip bomb is refused too.
 * The Content-Type picks the parser: `application/openmetrics-text` is parsed as
 * OpenMetrics 1.0 (which needs its `# EOF`), anything else as the text format 0.0.4, which
 * is Pushgateway's fallback. The protobuf format is not supported (400).
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { encodeText, LimitError, ParseError, parseExposition, type MetricFamily } from '@edgeprom/shared';
import { PushError } from './errors.js';

export function bodyTooLarge(max: number): PushError {
  return new PushError('ERR_PUSH_BODY_TOO_LARGE', `request body too large (limit ${max} bytes)`);
}

/** Reads the whole body, decompressing gzip, refusing more than `max` bytes. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const enc = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc !== '' && enc !== 'identity' && enc !== 'gzip') {
    req.resume();
    throw new PushError('ERR_PUSH_BAD_BODY', `unsupported Content-Encoding ${JSON.stringify(enc)}`);
  }
  if (enc !== 'gzip' && Number.isFinite(declared) && declared > max) {
    req.resume();
    throw bodyTooLarge(max);
  }
  const source: AsyncIterable<Buffer> = enc === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > max) throw bodyTooLarge(max);
      chunks.push(chunk);
    }
  } catch (e) {
    req.resume();
    if (e instanceof PushError) throw e;
    throw new PushError('ERR_PUSH_BAD_BODY', `cannot read request body: ${(e as Error).message}`, { cause: e });
  }
  return Buffer.concat(chunks);
}

/**
 * The text format ends every line with `\n`; Go's parser, and so Pushgateway, refuses a last
 * line without one (blanks alone are fine), which our parser would accept.
 */
function checkFinalNewline(body: Buffer): void {
  const lf = body.lastIndexOf(10);
  for (let i = lf + 1; i < body.length; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x09) {
      let line = 1;
      for (let j = body.indexOf(10); j >= 0; j = body.indexOf(10, j + 1)) line++;
      throw new ParseError('unexpected end of input stream', { line, column: i - lf });
    }
  }
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Parses a push body into text-format families. OpenMetrics is parsed as such, then seen
 * through the text format (counters named `foo_total`, `_created` as gauges), which is what
 * a Pushgateway scrape would expose. Timestamps are kept so they can be refused.
 */
export function parseBody(body: Buffer, contentType: string | undefined): MetricFamily[] {
  const media = mediaType(contentType);
  if (media === 'application/vnd.google.protobuf') {
    throw new PushError('ERR_PUSH_BAD_BODY', 'the protobuf push format is not supported; push the text format or OpenMetrics');
  }
  try {
    if (media === 'application/openmetrics-text') {
      const om = parseExposition(body, { format: 'openmetrics', limits: { maxBodyBytes: 0 } });
      return parseExposition(encodeText(om), { format: 'text', limits: { maxBodyBytes: 0 } });
    }
    checkFinalNewline(body);
    return parseExposition(body, { format: 'text', limits: { maxBodyBytes: 0 } });
  } catch (e) {
    if (e instanceof ParseError) {
      const what = media === 'application/openmetrics-text' ? 'OpenMetrics' : 'text format';
      throw new PushError('ERR_PUSH_BAD_BODY', `${what} parsing error in line ${e.line}: ${e.reason}`, { cause: e });
    }
    if (e instanceof LimitError) throw new PushError('ERR_PUSH_BAD_BODY', e.message, { cause: e });
    throw e;
  }
}
