// The training curve as the submission's own loop reported it: the train-phase
// progress messages that carry an epoch, bounded. Progress is in-realm (student
// code shares the process that sends it and could forge it), so reports label
// it "as reported by the submission's training loop" and nothing is scored on it.
import type { Progress } from '../tasks/types.ts';

export interface HistoryEntry {
  epoch: number;
  /** Which fit / fitDataset call (1 = the first of the run), when the runner knew. */
  call?: number;
  /** What `epoch` counts, when not training epochs (DeepDream's octaves). */
  unit?: 'octave';
  logs: Record<string, number>;
}

/** Entries kept per result. */
export const MAX_HISTORY = 500;
/** Log keys kept per entry (the channel allows 32). */
const MAX_LOG_KEYS = 12;

/**
 * Keeps at most `max` entries spread evenly over everything pushed, and always the last one:
 * when full it drops every other entry and from then on keeps every 2nd, 4th, … entry.
 */
export class ProgressHistory {
  private kept: HistoryEntry[] = [];
  private stride = 1;
  private seen = 0;
  private last: HistoryEntry | undefined;
  constructor(private readonly max = MAX_HISTORY) {
    if (max < 2) throw new Error('ProgressHistory: max must be at least 2');
  }

  push(p: Progress): void {
    if (p.phase !== 'train' || p.epoch === undefined) return;
    const logs: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.logs ?? {}).slice(0, MAX_LOG_KEYS)) if (Number.isFinite(v)) logs[k] = v;
    const e: HistoryEntry = { epoch: p.epoch, ...(p.call !== undefined ? { call: p.call } : {}), ...(p.unit === 'octave' ? { unit: 'octave' as const } : {}), logs };
    this.last = e;
    if (this.seen++ % this.stride !== 0) return;
    this.kept.push(e);
    // One slot stays free for the last entry.
    if (this.kept.length >= this.max) {
      this.kept = this.kept.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  entries(): HistoryEntry[] {
    const out = [...this.kept];
    if (this.last && out[out.length - 1] !== this.last) out.push(this.last);
    return out;
  }
}
