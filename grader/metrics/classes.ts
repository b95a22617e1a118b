// Classifier metrics over predicted and true class indices, computed in the
// trusted grader (the true classes never leave it). One implementation for every task.

/** Share of `truth` that `predicted` gets right; a missing prediction (a shorter list) counts as wrong. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (truth.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (i < predicted.length && predicted[i] === truth[i]) right++;
  return right / truth.length;
}

/**
 * counts[t][p]: how many items of true class t were predicted as p, for classes 0…classes-1.
 * A prediction outside that range (or missing) is not counted in any cell, so a row may sum to fewer than its class's items.
 */
export function confusionMatrix(predicted: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!, p = i < predicted.length ? predicted[i]! : -1;
    if (Number.isInteger(t) && t >= 0 && t < classes && Number.isInteger(p) && p >= 0 && p < classes) counts[t]![p]!++;
  }
  return counts;
}
