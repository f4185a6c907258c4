/**
 * Exposition parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
 *
 * `parseExposition` parses a whole body; `ExpositionStreamParser` takes it chunk by chunk
 * (a scrape body as it arrives) and hands families and samples to a sink. Both run the same
 * code: the stream parser cuts input at the last newline of each chunk, decodes those bytes
 * (strict UTF-8) and feeds complete lines to the line parser (parse-lines.ts).
 *
 * Errors: ParseError with 1-based line and column (`source:3:17: reason`) or LimitError.
 */
import { EdgepromError, LimitError, ParseError } from '../errors.js';
import type { MetricFamily, Sample } from './model.js';
import { TextFamilies } from './parse-families.js';
import { LineParser } from './parse-lines.js';
import { OpenMetricsFamilies } from './parse-openmetrics.js';
import { resolveLimits, type ExpositionSink, type ParseOptions, type ResolvedLimits } from './parse-options.js';
import { StringCache } from './parse-scanner.js';
import { invalidUtf8Offset, utf8Length } from './parse-utf8.js';

export {
  DEFAULT_PARSE_LIMITS,
  type ExpositionFormat,
  type ExpositionSink,
  type ParseLimits,
  type ParseOptions,
} from './parse-options.js';
export { ParseMemory } from './parse-scanner.js';
export { declaredUnknown } from './parse-families.js';

/**
 * Parses a whole exposition body into metric families, in order of first appearance.
 * Throws only ParseError or LimitError.
 */
export function parseExposition(body: string | Uint8Array, opts: ParseOptions): MetricFamily[] {
  const sink = new CollectingSink();
  const parser = new ExpositionStreamParser(opts, sink);
  parser.write(body);
  parser.end();
  return sink.families;
}

/** A sink that keeps everything, as parseExposition does: families with their samples. */
export class CollectingSink implements ExpositionSink {
  readonly families: MetricFamily[] = [];
  family(f: MetricFamily): void {
    this.families.push(f);
  }
  sample(s: Sample, f: MetricFamily): void {
    f.samples.push(s);
  }
}

/**
 * Parses a body written in chunks (strings or bytes, even mixed; a chunk may end anywhere,
 * inside a line or a UTF-8 sequence). Samples reach the sink as soon as their line is
 * complete; `end()` parses the last line and runs the end-of-input checks.
 *
 * After an error every further call throws the same error; after `end()`, calls throw an
 * EdgepromError with code ERR_PARSER_ENDED.
 */
export class ExpositionStreamParser {
  readonly #lines: LineParser;
  readonly #limits: ResolvedLimits;
  readonly #source: string | undefined;
  #decoder: InstanceType<typeof TextDecoder> | undefined;
  #bytes = 0;
  #pendingText = '';
  #pendingBytes: Uint8Array | null = null;
  #ended = false;
  #error: unknown = undefined;

  /** `fastPath: false` (for tests) parses every line with the general code only. */
  constructor(opts: ParseOptions, sink: ExpositionSink, fastPath = true) {
    const om = opts.format === 'openmetrics';
    if (!om && opts.format !== 'text') {
      throw new EdgepromError('ERR_INVALID_ARG', `unknown exposition format ${JSON.stringify(opts.format)}`);
    }
    this.#limits = resolveLimits(opts.limits);
    this.#source = opts.source;
    const memory = opts.memory;
    const cache = memory === undefined ? new StringCache() : memory.strings;
    // Exactly CollectingSink (not a subclass, which may override sample()).
    const collect = Object.getPrototypeOf(sink) === CollectingSink.prototype;
    const ctx = { source: opts.source, sink, collect, cache };
    const tracker = om ? new OpenMetricsFamilies(ctx) : new TextFamilies(ctx);
    this.#lines = new LineParser(om, this.#limits, opts.source, cache, tracker, fastPath, !om && !collect && sink.transientSamples === true, sink, memory);
  }

  /** Samples parsed so far. */
  get samples(): number {
    return this.#lines.samples;
  }

  /**
   * Inside the sink's `sample()`: the sample's series as the body writes it (`name{a="x"}`),
   * or undefined when its line took the general code. See LineParser.seriesText.
   */
  seriesText(): string | undefined {
    return this.#lines.seriesText();
  }

  /**
   * Inside the sink's `sample()`, when `seriesText()` is defined: the metric name of that
   * text (`name` of `name{a="x"}`), the parser's own string for it. A sink that keeps it with
   * the text can hand it back as `knownName`.
   */
  seriesName(): string | undefined {
    return this.#lines.seriesName();
  }

  /**
   * Inside the sink's `sample()`: whether the sample is of the series the sink's last
   * `knownSeries()` answer named (the parser did not read its labels). False when the sink
   * has no knownSeries, answered -1, or the line was read the usual way after all.
   */
  seriesKnown(): boolean {
    return this.#lines.seriesKnown();
  }

  /** Bytes (UTF-8) written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  write(chunk: string | Uint8Array): void {
    this.#check();
    try {
      if (typeof chunk === 'string') this.#writeText(chunk);
      else this.#writeBytes(chunk);
    } catch (e) {
      this.#error = e;
      throw e;
    }
  }

  end(): void {
    this.#check();
    this.#ended = true;
    try {
      let tail = this.#pendingText;
      if (this.#pendingBytes !== null) tail += this.#decode(this.#pendingBytes, tail);
      this.#pendingText = '';
      this.#pendingBytes = null;
      this.#lines.finish(tail);
    } catch (e) {
      this.#error = e;
      throw e;
    }
  }

  #check(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ended) throw new EdgepromError('ERR_PARSER_ENDED', 'the parser has ended: no more input is accepted');
  }

  #count(bytes: number): void {
    this.#bytes += bytes;
    const max = this.#limits.bodyBytes;
    if (this.#bytes > max) {
      const where = this.#source ? `${this.#source}: ` : '';
      throw new LimitError('maxBodyBytes', max, `${where}body is larger than ${max} bytes (limit maxBodyBytes = ${max})`);
    }
  }

  #writeText(chunk: string): void {
    // Count exactly only when the cheap bounds cannot decide (UTF-8 is 1..3 bytes per unit).
    const max = this.#limits.bodyBytes;
    this.#count(this.#bytes + chunk.length * 3 <= max ? chunk.length : utf8Length(chunk));
    let text = chunk;
    if (this.#pendingBytes !== null) {
      text = this.#decode(this.#pendingBytes, this.#pendingText) + text;
      this.#pendingBytes = null;
    }
    text = this.#pendingText + text;
    const lf = text.lastIndexOf('\n');
    if (lf < 0) {
      this.#pendingText = text;
    } else {
      this.#pendingText = lf + 1 < text.length ? text.slice(lf + 1) : '';
      this.#lines.feed(text, lf + 1);
    }
    this.#checkPending();
  }

  #writeBytes(chunk: Uint8Array): void {
    this.#count(chunk.length);
    const lf = chunk.lastIndexOf(10);
    if (lf < 0) {
      this.#pendingBytes = concat(this.#pendingBytes, chunk);
      this.#checkPending();
      return;
    }
    const head = this.#pendingBytes === null ? chunk.subarray(0, lf + 1) : concat(this.#pendingBytes, chunk.subarray(0, lf + 1));
    const text = this.#pendingText + this.#decode(head, this.#pendingText);
    this.#pendingText = '';
    // Copy the tail: the caller may reuse its buffer.
    this.#pendingBytes = lf + 1 < chunk.length ? copyOf(chunk.subarray(lf + 1)) : null;
    this.#lines.feed(text, text.length);
    this.#checkPending();
  }

  /** An unfinished line is bounded too, so a body without newlines cannot grow a buffer. */
  #checkPending(): void {
    const max = this.#limits.lineLength;
    const units = this.#pendingText.length;
    const bytes = this.#pendingBytes === null ? 0 : this.#pendingBytes.length;
    // Each UTF-16 unit takes at most 3 bytes, so more bytes than that is surely too long.
    if (units > max || bytes > 3 * (max - units)) {
      const where = `${this.#source ? `${this.#source}:` : ''}${this.#lines.lineNo}:1`;
      throw new LimitError('maxLineLength', max, `${where}: line is longer than ${max} characters (limit maxLineLength = ${max})`);
    }
  }

  /** Strict UTF-8 decoding; an invalid byte becomes a ParseError at its line and column. */
  #decode(bytes: Uint8Array, before: string): string {
    try {
      this.#decoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      return this.#decoder.decode(bytes);
    } catch {
      const off = Math.max(0, invalidUtf8Offset(bytes));
      // The prefix up to the bad byte is valid, so it decodes; count lines and columns in it.
      const prefix = before + new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, off));
      let line = this.#lines.lineNo;
      let lineStart = 0;
      for (let i = prefix.indexOf('\n'); i >= 0; i = prefix.indexOf('\n', i + 1)) {
        line++;
        lineStart = i + 1;
      }
      throw new ParseError('invalid UTF-8', { line, column: prefix.length - lineStart + 1 }, this.#source);
    }
  }
}

/** A new array holding a then b (never a view of the caller's buffer). */
/**
 * A copy of the bytes. Not `slice()`: on a Buffer (what sockets and zlib hand out) slice is
 * a view of the same memory, and a scrape reads into one buffer reused for every read.
 */
function copyOf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function concat(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (a === null || a.length === 0) return copyOf(b);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
