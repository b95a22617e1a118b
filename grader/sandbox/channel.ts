// The result channel's wire format, shared by the runner (which signs) and the
// grader (which verifies). The submission shares the runner's process and can
// write to the channel's fd itself, so every line carries an HMAC under a
// per-job key that reaches the runner over a pipe it reads and closes before
// any submission code loads. A line without a valid MAC, or out of sequence,
// is a forgery.
//
//   <seq> <hmac-sha256 hex> <json>\n      hmac over `${seq} ${json}`
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** fd of the result channel (write end in the sandbox). */
export const CHANNEL_FD = 3;
/** fd the runner reads the job's key from, once, then closes. */
export const KEY_FD = 4;
/** Bytes of key material (sent as hex, newline-terminated). */
export const KEY_BYTES = 32;

export type Key = KeyObject | Buffer;

// The grader's side. Do not sign with these from inside the sandbox once the
// submission has run: createHmac's JS wrapper is shared with the submission,
// which may patch it; the runner signs through handles it captured before
// (grader/sandbox/child/lockdown.ts) and checks them against mac() at start.

export function mac(key: Key, seq: number, json: string): string {
  return createHmac('sha256', key).update(`${seq} ${json}`).digest('hex');
}

export function signLine(key: Key, seq: number, json: string): string {
  return `${seq} ${mac(key, seq, json)} ${json}\n`;
}

export type Verified = { ok: true; seq: number; json: string } | { ok: false; why: string };

/** Checks one line (without its newline) against the key and the sequence number expected next. */
export function verifyLine(key: Key, expectedSeq: number, line: string): Verified {
  const s1 = line.indexOf(' ');
  const s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
  if (s1 <= 0 || s2 !== s1 + 65) return { ok: false, why: 'an unsigned message' };
  const seq = Number(line.slice(0, s1));
  const given = Buffer.from(line.slice(s1 + 1, s2), 'hex');
  const json = line.slice(s2 + 1);
  const want = Buffer.from(mac(key, seq, json), 'hex');
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, why: 'a message with a wrong signature' };
  if (seq !== expectedSeq) return { ok: false, why: `a replayed or reordered message (#${seq}, expected #${expectedSeq})` };
  return { ok: true, seq, json };
}
