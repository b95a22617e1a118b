/** Where the runner puts its tf; compiled submissions import '@tensorflow/tfjs*' from here. */
export const TF_GLOBAL = Symbol.for('dlgrade.tf');
