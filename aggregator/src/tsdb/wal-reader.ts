/**
 * Reading the WAL directory at open: which segments and checkpoint exist, replaying them in
 * order into a visitor, and repairing what a crash or a bad disk left behind.
 *
 * Repair follows Prometheus: the WAL is a log, so nothing after a bad frame can be trusted
 * to be in order with what came before. At the first torn or corrupt frame the segment is
 * truncated to the last good frame and every later segment is deleted; everything before it
 * is replayed. The logger says what was cut and how many bytes and segments were dropped, so
 * a restart after a crash mid-write is quiet apart from one warning, and never loops.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkpointName, CHECKPOINT_RE, SEGMENT_RE, segmentName, syncDirSync } from './wal-files.js';
import { scanCommits, type FrameProblem, type RecordVisitor } from './wal-record.js';
import type { TsdbLogger } from './wal-writer.js';


export interface WalDirListing {
  /** Segment indexes, ascending. */
  segments: number[];
  /** Newest complete checkpoint: the last segment it covers. */
  checkpoint: number | undefined;
  /** Older checkpoints and unfinished (.tmp) ones, safe to delete. */
  leftovers: string[];
}

export function listWalDir(walDir: string): WalDirListing {
  const segments: number[] = [];
  const checkpoints: number[] = [];
  const leftovers: string[] = [];
  for (const name of fs.readdirSync(walDir)) {
    if (SEGMENT_RE.test(name)) segments.push(Number(name));
    else if (CHECKPOINT_RE.test(name)) checkpoints.push(Number(CHECKPOINT_RE.exec(name)![1]));
    else if (name.startsWith('checkpoint.') && name.endsWith('.tmp')) leftovers.push(name);
  }
  segments.sort((a, b) => a - b);
  checkpoints.sort((a, b) => a - b);
  const checkpoint = checkpoints.pop();
  for (const c of checkpoints) leftovers.push(checkpointName(c));
  return { segments, checkpoint, leftovers };
}

/** What replay found, for the log line and the self metrics. */
export interface ReplayReport {
  /** Segments replayed, ascending (the checkpoint is not counted). */
  segments: number[];
  checkpoint: number | undefined;
  records: number;
  /** Bytes read, checkpoint included. */
  bytes: number;
  /** Set when a torn or corrupt frame was cut off. */
  repair?: {
    kind: FrameProblem['kind'];
    /** File holding the bad frame, relative to the WAL directory. */
    file: string;
    offset: number;
    reason: string;
    /** Bytes cut from that file plus the size of every deleted later segment. */
    droppedBytes: number;
    droppedSegments: number[];
  };
}

/**
 * Replays the newest checkpoint and the segments after it into visit, repairing the first
 * torn or corrupt frame as described above. Synchronous on purpose: nothing else may touch
 * the store until it has been rebuilt.
 */
export function replayWalDir(walDir: string, visit: RecordVisitor, logger: TsdbLogger): ReplayReport {
  const listing = listWalDir(walDir);
  for (const name of listing.leftovers) fs.rmSync(path.join(walDir, name), { recursive: true, force: true });
  const report: ReplayReport = { segments: [], checkpoint: listing.checkpoint, records: 0, bytes: 0 };

  if (listing.checkpoint !== undefined) {
    // A checkpoint is complete once renamed into place, so a bad frame in it is disk damage:
    // keep what reads, say so, and go on with the segments (samples of series it lost are
    // dropped and counted by the visitor).
    const dir = path.join(walDir, checkpointName(listing.checkpoint));
    for (const name of fs.readdirSync(dir).filter((n) => SEGMENT_RE.test(n)).sort()) {
      const data = fs.readFileSync(path.join(dir, name));
      report.bytes += data.length;
      const r = scanCommits(data, visit);
      report.records += r.records;
      if (r.problem) {
        logger.error(
          { file: `${checkpointName(listing.checkpoint)}/${name}`, offset: r.problem.offset, reason: r.problem.reason },
          'WAL checkpoint is damaged; replaying what is readable',
        );
        break;
      }
    }
  }

  // Segments the checkpoint covers are normally deleted right after it is written; a crash
  // in between leaves them, and they must not be replayed twice.
  let segments = listing.segments;
  if (listing.checkpoint !== undefined) {
    const covered = segments.filter((s) => s <= listing.checkpoint!);
    for (const s of covered) fs.rmSync(path.join(walDir, segmentName(s)), { force: true });
    segments = segments.filter((s) => s > listing.checkpoint!);
  }

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const file = path.join(walDir, segmentName(seg));
    // A gap means lost records, perhaps the series records later segments refer to: stop
    // there, as for a bad frame, and drop this segment whole.
    const prev = i > 0 ? segments[i - 1] : listing.checkpoint;
    const gap = prev !== undefined && seg !== prev + 1;
    let problem: FrameProblem | undefined;
    let end = 0;
    let size: number;
    if (gap) {
      problem = { kind: 'corrupt', offset: 0, reason: `segment ${segmentName(prev + 1)} is missing` };
      size = fs.statSync(file).size;
    } else {
      const data = fs.readFileSync(file);
      size = data.length;
      report.bytes += size;
      const r = scanCommits(data, visit);
      report.records += r.records;
      report.segments.push(seg);
      problem = r.problem;
      end = r.end;
    }
    if (problem === undefined) continue;

    const later = segments.slice(i + 1);
    let droppedBytes = size - end;
    for (const s of later) {
      const f = path.join(walDir, segmentName(s));
      droppedBytes += fs.statSync(f).size;
      fs.rmSync(f, { force: true });
    }
    if (gap) fs.rmSync(file, { force: true });
    else fs.truncateSync(file, end);
    syncDirSync(walDir);
    report.repair = {
      kind: problem.kind,
      file: segmentName(seg),
      offset: problem.offset,
      reason: problem.reason,
      droppedBytes,
      droppedSegments: later,
    };
    const atTail = later.length === 0 && problem.kind === 'torn';
    logger.warn(
      { ...report.repair, kind: atTail ? 'torn tail' : problem.kind },
      atTail
        ? 'WAL ends in a partly written record (crash during a write); cut it off'
        : 'WAL is corrupt; recovered everything before the damage and dropped the rest',
    );
    break;
  }
  return report;
}
