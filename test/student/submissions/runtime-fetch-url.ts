// expect: CRASH /^no network in the sandbox: https:\/\/example\.com\/mnist\/labels\.json cannot be fetched; use the data and models the grader passes to train\(\) \(see the statement\)[\s\S]*runtime-fetch-url\.ts:6/
// Downloads extra data with fetch, as browser examples do.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const res = await fetch('https://example.com/mnist/labels.json');
  return res.json();
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
