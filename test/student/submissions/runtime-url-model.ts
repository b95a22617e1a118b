// expect: CRASH /^no network in the sandbox: https:\/\/storage\.googleapis\.com\/tfjs-models\/tfjs\/mobilenet_v1_0\.25_224\/model\.json cannot be fetched; use the data and models the grader passes to train\(\) \(see the statement\)[\s\S]*runtime-url-model\.ts:6/
// As tfjs-examples/webcam-transfer-learning does: the pretrained base comes from a URL.
import * as tf from '@tensorflow/tfjs';

export async function train() {
  const mobilenet = await tf.loadLayersModel(
    'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json');
  const layer = mobilenet.getLayer('conv_pw_13_relu');
  return tf.model({ inputs: mobilenet.inputs, outputs: layer.output });
}

export async function distance(_m: unknown, a: tf.Tensor4D, b: tf.Tensor4D) {
  return tf.tidy(() => a.sub(b).square().sum([1, 2, 3]).sqrt());
}
