// expect: BAD_OUTPUT /^distance\(\) returned the wrong number of distances: expected \d+ distances \(one per pair\), got \d+; return a tensor of shape \[n\] for the n pairs in a and b$/
// The mean distance of the batch instead of one per pair (a reduction over every axis).
import * as tf from '@tensorflow/tfjs';
export async function train() {}
export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) { return tf.tidy(() => a.sub(b).square().sum().sqrt()); }
