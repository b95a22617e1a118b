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

  /**
   * The last `n` lines the submission printed. Lines of the jail's own tools
   * (bwrap, setpriv, timeout, unshare, the shell that joins the cgroups: they
   * share its stderr) are not the student's and are left out: see jailLines().
   */
  lines(n = 30): string[] {
    return this.split().filter((l) => !isJailLine(l)).slice(-n).map(clip);
  }

  /** The jail tools' own lines (the last `n`): about the sandbox, not the submission, e.g. "unshare: sigprocmask unblock failed" when a limit kills the process group. */
  jailLines(n = 5): string[] {
    return this.split().filter(isJailLine).slice(-n).map(clip);
  }

  private split(): string[] {
    let text = Buffer.concat(this.chunks).toString('utf8');
    if (this.total > this.held) text = `[... ${this.total - this.held} earlier bytes not kept ...]\n` + text.slice(text.indexOf('\n') + 1);
    return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  }
}

const MAX_LINE = 400;
const clip = (l: string) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}… [${l.length - MAX_LINE} more characters]` : l);

/**
 * What the jail's tools print, as they print it: "unshare: …", "setpriv: …",
 * "bwrap: …", "timeout: …" (util-linux, bubblewrap, coreutils) and the shell's
 * "sh: 1: …" (dash) or "sh: line 1: …" (bash). A student who prints such a line
 * only loses it from their own tail.
 */
const JAIL_LINE = /^(?:(?:bwrap|setpriv|unshare|timeout): |sh: (?:line )?\d+: )/;
export function isJailLine(line: string): boolean {
  return JAIL_LINE.test(line);
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
