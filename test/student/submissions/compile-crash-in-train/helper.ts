import * as tf from '@tensorflow/tfjs';

function train(images: tf.Tensor4D, pairs: number): tf.Tensor {
  if (pairs === 0) throw new Error('no pairs sampled');
  return images.mean();
}
export function pretrain(images: tf.Tensor4D): tf.Tensor {
  return train(images, 0);
}
