// Weak for WORK5: a classic multi-octave DeepDream of the target channel over
// the whole picture. The channel rises, but the region is ignored: pixels
// outside it change, and the octave resizing blurs them too.
import * as tf from '@tensorflow/tfjs';

interface Ctx { loadBase(o?: { cutAt?: string }): Promise<tf.LayersModel>; target: { layer: string; channel: number }; octaves: number; minSize: number }

export async function dream(image: tf.Tensor3D, _mask: tf.Tensor2D, ctx: Ctx) {
  const base = await ctx.loadBase({ cutAt: ctx.target.layer });
  const [H, W] = image.shape;
  const scale = Math.min(1.4, (Math.min(H, W) / (ctx.minSize + 4)) ** (1 / Math.max(1, ctx.octaves - 1)));
  let x = image.mul(2).sub(1) as tf.Tensor3D;
  const grad = tf.grad((img: tf.Tensor) => (base.apply(img.expandDims(0)) as tf.Tensor4D).slice([0, 0, 0, ctx.target.channel], [1, -1, -1, 1]).mean() as tf.Scalar);
  for (let o = ctx.octaves - 1; o >= 0; o--) {
    x = tf.image.resizeBilinear(x, [Math.round(H / scale ** o), Math.round(W / scale ** o)]);
    for (let s = 0; s < 20; s++) {
      x = tf.tidy(() => {
        const g = (grad(x) as tf.Tensor3D);
        return x.add(g.div(tf.moments(g).variance.sqrt().add(1e-8)).mul(0.01)).clipByValue(-1, 1) as tf.Tensor3D;
      });
    }
  }
  return tf.image.resizeBilinear(x, [H, W]).add(1).div(2) as tf.Tensor3D;
}
