// The three models of overfitting-regularization, as train() returns them.
export const ROLES = ['baseline', 'l2', 'dropout'] as const;
export type Role = (typeof ROLES)[number];
