// Keeps only the last bytes of what a submission prints: a submission that
// floods stdout costs the grader a bounded buffer and a byte counter.
export class OutputTail {
  private chunks: Buffer[] = [];
  private held = 0;
  total = 0;
  constructor(private readonly capBytes = 16 * 1024) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk.length > this.capBytes ? chunk.subarray(chunk.length - this.capBytes) : chunk);
    this.held += Math.min(chunk.length, this.capBytes);
    while (this.held - this.chunks[0]!.length >= this.capBytes) this.held -= this.chunks.shift()!.length;
  }

  /** The last `n` lines, without the ExperimentalWarning noise of the permission model. */
  lines(n = 30): string[] {
    let text = Buffer.concat(this.chunks).toString('utf8');
    if (this.total > this.held) text = `[... ${this.total - this.held} earlier bytes not kept ...]\n` + text.slice(text.indexOf('\n') + 1);
    const MAX_LINE = 400;
    return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-n)
      .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… [${l.length - MAX_LINE} more characters]` : l));
  }
}

/** Splits a byte stream into lines, refusing lines longer than `maxLine`. */
export function lineSplitter(maxLine: number, onLine: (line: string) => void, onOverflow: () => void) {
  let pending: Buffer[] = [];
  let size = 0;
  let overflowed = false;
  return (chunk: Buffer) => {
    if (overflowed) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      onLine(Buffer.concat(pending).toString('utf8'));
      pending = [];
      size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      size += chunk.length - start;
      if (size > maxLine) {
        overflowed = true;
        pending = [];
        onOverflow();
      }
    }
  };
}
