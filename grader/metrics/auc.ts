// ROC AUC as the Mann–Whitney U statistic: the probability that a random
// positive scores above a random negative, ties counting one half.

/** `scores`: higher means "more likely label 1"; `labels`: 0 or 1. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`rocAuc: ${n} scores but ${labels.length} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!)) throw new Error(`rocAuc: score ${i} is not a finite number (${scores[i]})`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`rocAuc: label ${i} is ${labels[i]}, expected 0 or 1`);
    nPos += labels[i]!;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new Error('rocAuc: needs at least one positive and one negative');
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]!);
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const avgRank = (start + end) / 2 + 1; // 1-based average rank of the tie group
    for (let t = start; t <= end; t++) if (labels[order[t]!] === 1) rankSumPos += avgRank;
    start = end + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Most points rocCurve returns (a report plots them; the result file keeps them). */
export const MAX_ROC_POINTS = 200;

/**
 * The ROC curve of `scores` (higher = "more likely label 1"): false- and true-positive rates as
 * the threshold falls from above every score to below every score, one point per distinct score
 * (ties move both rates at once), from (0, 0) to (1, 1). Longer curves are thinned to at most
 * `maxPoints` points, evenly by index, keeping both ends. `auc` is rocAuc of the same data (exact, not from the thinned curve).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, maxPoints = MAX_ROC_POINTS): { fpr: number[]; tpr: number[]; auc: number } {
  const auc = rocAuc(scores, labels); // also checks the inputs
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += labels[i]!;
  const nNeg = n - nPos;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[j]! - scores[i]!);
  const fpr = [0], tpr = [0];
  let tp = 0, fp = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    for (let t = start; t <= end; t++) if (labels[order[t]!] === 1) tp++; else fp++;
    fpr.push(fp / nNeg);
    tpr.push(tp / nPos);
    start = end + 1;
  }
  if (fpr.length <= maxPoints) return { fpr, tpr, auc };
  const keep = Array.from({ length: maxPoints }, (_, k) => Math.round((k * (fpr.length - 1)) / (maxPoints - 1)));
  return { fpr: keep.map((i) => fpr[i]!), tpr: keep.map((i) => tpr[i]!), auc };
}
