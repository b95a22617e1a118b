// Weak for WORK5: region-restricted and aimed at the target channel, but all
// at full size: one octave where the work asks for several.
import * as tf from '@tensorflow/tfjs';

interface Ctx { loadBase(o?: { cutAt?: string }): Promise<tf.LayersModel>; target: { layer: string; channel: number } }

export async function dream(image: tf.Tensor3D, mask: tf.Tensor2D, ctx: Ctx) {
  const base = await ctx.loadBase({ cutAt: ctx.target.layer });
  const region = mask.expandDims(-1);
  let x = image.mul(2).sub(1) as tf.Tensor3D;
  const grad = tf.grad((img: tf.Tensor) => (base.apply(img.expandDims(0)) as tf.Tensor4D).slice([0, 0, 0, ctx.target.channel], [1, -1, -1, 1]).mean() as tf.Scalar);
  for (let s = 0; s < 40; s++) {
    x = tf.tidy(() => {
      const g = (grad(x) as tf.Tensor3D).mul(region);
      return x.add(g.div(tf.moments(g).variance.sqrt().add(1e-8)).mul(0.01)).clipByValue(-1, 1) as tf.Tensor3D;
    });
  }
  return x.add(1).div(2) as tf.Tensor3D;
}
