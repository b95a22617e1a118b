// expect: BAD_OUTPUT /more than the \d+ this task can need/
// Returns 200,000 distances per call: far more than the task's pairs, so far more bytes than it can need.
import * as tf from '@tensorflow/tfjs';
export async function train() {}
export async function distance() { return new Float32Array(200_000).fill(0.123456789); }
