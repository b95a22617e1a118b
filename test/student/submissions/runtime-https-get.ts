// expect: CRASH /^no network in the sandbox: example\.com(:443)? cannot be reached; use the data and models the grader passes to train\(\) \(see the statement\)/
// Downloads its data with Node's https module, as older Node tutorials do.
import * as https from 'node:https';
import * as tf from '@tensorflow/tfjs';

function download(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

export async function train() {
  JSON.parse(await download('https://example.com/mnist/labels.json'));
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
